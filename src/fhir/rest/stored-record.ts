/**
 * Turning a validated resource into the StoredRecord of its next version (meta set, index extracted),
 * and a stored record into response headers. Used by every write path (create, update, patch,
 * delete, transaction, seed) so they cannot disagree.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredRecord } from '../../store/port.js';
import { extractIndex } from '../search/extract.js';
import type { SearchRegistry } from '../search/registry.js';

/** meta.versionId and meta.lastUpdated are server-owned (R4 resource.html#Meta); the rest of meta is kept. */
export function stampMeta(resource: Resource, v: number, now: Date): Resource {
  return { ...resource, meta: { ...(resource.meta ?? {}), versionId: String(v), lastUpdated: now.toISOString() } } as Resource;
}

/**
 * The record of a resource's version `v`. Profiles may require meta.lastUpdated (C4BB does), so writers
 * validate the stamped resource: `buildRecord(stampMeta(r, v, now), …)` stamps again harmlessly.
 */
export function buildRecord(resource: Resource, v: number, now: Date, registry: SearchRegistry, baseUrl: string): StoredRecord {
  const type = resource.resourceType;
  const id = resource.id as string;
  const res = stampMeta(resource, v, now);
  const { sp, so, cmp } = extractIndex(res, registry, baseUrl);
  return { _id: `${type}/${id}`, type, id, v, lu: now.getTime(), del: false, res, sp, so, cmp };
}

export function tombstone(prev: StoredRecord, now: Date): StoredRecord {
  return { _id: prev._id, type: prev.type, id: prev.id, v: prev.v + 1, lu: now.getTime(), del: true, sp: {}, so: {}, cmp: prev.cmp };
}

export const etagOf = (v: number): string => `W/"${v}"`;

export function versionHeaders(record: StoredRecord): Record<string, string> {
  return { ETag: etagOf(record.v), 'Last-Modified': new Date(record.lu).toUTCString() };
}

/** Parse an If-Match value: W/"3" or "3" → 3. */
export function parseEtag(value: string): number | undefined {
  const m = /^(?:W\/)?"(\d+)"$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

export function bodyOf(record: StoredRecord): { json?: string; body?: Resource } {
  return record.json !== undefined ? { json: record.json } : { body: record.res };
}
