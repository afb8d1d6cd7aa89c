/**
 * Building searchset and history Bundles. Stored resources are already JSON text, so a Bundle is
 * assembled as text around them rather than parsed and serialised again (the hot path of every
 * search). The output is exactly the JSON of the equivalent object.
 */
import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import type { StoredRecord } from '../../store/port.js';
import type { Access } from '../access.js';

export interface BundleEntryText {
  fullUrl?: string;
  /** The resource JSON text, or undefined (e.g. a deleted version in a history bundle). */
  resource?: string;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: { method: string; url: string };
  response?: { status: string; etag?: string; lastModified?: string; location?: string; outcome?: Resource };
}

export function recordJson(record: StoredRecord): string | undefined {
  if (record.del) return undefined;
  return record.json ?? (record.res ? JSON.stringify(record.res) : undefined);
}

/** A record's JSON as a caller sees it (Access.present, when the caller gets a reduced view). */
export function recordJsonFor(access: Access, record: StoredRecord): string | undefined {
  const json = recordJson(record);
  return json !== undefined && access.present ? access.present(record.type, json) : json;
}

/** Apply _elements (R4 search.html §3.1.1.5.9) or _summary=data to one resource, marking it SUBSETTED. */
export function subsetResource(json: string, elements: string[] | undefined, summaryData: boolean): string {
  const resource = JSON.parse(json) as Record<string, unknown>;
  let out: Record<string, unknown>;
  if (elements) {
    out = { resourceType: resource.resourceType, id: resource.id, meta: resource.meta };
    for (const e of elements) if (e in resource) out[e] = resource[e];
  } else {
    out = { ...resource };
    if (summaryData) delete out.text;
  }
  const meta = { ...((out.meta as Record<string, unknown> | undefined) ?? {}) };
  const tags = [...((meta.tag as unknown[] | undefined) ?? [])];
  tags.push({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' });
  meta.tag = tags;
  out.meta = meta;
  return JSON.stringify(out);
}

const SEARCH_MODE_JSON = {
  match: '"search":{"mode":"match"}',
  include: '"search":{"mode":"include"}',
  outcome: '"search":{"mode":"outcome"}',
} as const;

export function renderBundle(
  shell: { id: string; type: Bundle['type']; total?: number; link?: BundleLink[]; lastUpdated: string },
  entries: BundleEntryText[],
): string {
  const head: Record<string, unknown> = {
    resourceType: 'Bundle',
    id: shell.id,
    meta: { lastUpdated: shell.lastUpdated },
    type: shell.type,
  };
  if (shell.total !== undefined) head.total = shell.total;
  if (shell.link && shell.link.length > 0) head.link = shell.link;
  const headJson = JSON.stringify(head);
  if (entries.length === 0) return headJson;
  // Built with `+` on purpose: V8 keeps the concatenation as a rope and copies the (large) resource
  // texts once, when the response is encoded, instead of once per join.
  let out = `${headJson.slice(0, -1)},"entry":[`;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    let entry = '{';
    let sep = '';
    if (e.fullUrl !== undefined) {
      entry += `"fullUrl":${JSON.stringify(e.fullUrl)}`;
      sep = ',';
    }
    if (e.resource !== undefined) {
      entry += sep + '"resource":' + e.resource;
      sep = ',';
    }
    if (e.search) {
      entry += sep + SEARCH_MODE_JSON[e.search.mode];
      sep = ',';
    }
    if (e.request) {
      entry += sep + '"request":' + JSON.stringify(e.request);
      sep = ',';
    }
    if (e.response) entry += sep + '"response":' + JSON.stringify(e.response);
    out += (i === 0 ? '' : ',') + entry + '}';
  }
  return out + ']}';
}

export function pageUrl(baseUrl: string, path: string, params: Array<[string, string]>): string {
  const qs = new URLSearchParams(params).toString();
  return qs ? `${baseUrl}/${path}?${qs}` : `${baseUrl}/${path}`;
}
