/**
 * Patient/[id]/$everything (R4 patient-operation-everything.html): the patient, every resource in their
 * compartment, and the directory resources those reference (organizations, practitioners, locations…),
 * as a searchset Bundle paged by `_count` with `next` links.
 *
 * Group and AuditEvent are left out although R4 puts them in the compartment (patient-record.ts).
 *
 * Parameters: `_since` (instant: only resources changed since), `_type` (comma-separated types),
 * `start` / `end` (dates of care, the `care-date` parameter; resources without one are always in),
 * `_count`. Unknown parameters are refused: an operation that silently ignored `_type` would send
 * far more than asked.
 *
 * Access: the caller must be able to read the Patient; each compartment type is searched with the
 * caller's search filter for it (types it may not search are skipped), and referenced resources are
 * read with its read filter, exactly as `_include` does. A member's token therefore gets its own
 * compartment, within the Patient Access window, and nothing else.
 *
 * One store query per page: the compartment (`cmp`, which the store indexes) ANDed with an OR of
 * each reachable type's own filter. Paging is keyset on _id (`Type/id`, so resources come grouped by
 * type, alphabetically); the cursor is the last _id, so a page is correct under concurrent writes. The referenced directory resources of a page come with it
 * (search.mode = include) and may repeat on later pages, as `_include` does.
 */
import type { BundleLink } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import type { FilterDocument, StoredRecord } from '../../store/port.js';
import { badRequest, forbidden, gone, notFound } from '../outcome.js';
import { pageUrl, recordJsonFor, renderBundle, type BundleEntryText } from '../search/bundle.js';
import { CARE_DATE_PARAM } from '../search/care-date.js';
import { dateRange } from '../search/date-range.js';
import { resolveIncludes } from '../search/include.js';
import type { IncludeSpec } from '../search/ir.js';
import { assertValidId } from './resource-input.js';
import type { FhirContext, FhirResponse } from './types.js';
import { compartmentsOf, visibleTo } from './visibility.js';
import { compartmentTypes, directoryRefsOf, patientRecordTypes } from './patient-record.js';

interface EverythingQuery {
  since?: number;
  types?: Set<string>;
  start?: number;
  end?: number;
  count: number;
  /** The _id of the last resource of the previous page. */
  cursor?: string;
  /** The parameters to repeat in page links (without _cursor). */
  used: Array<[string, string]>;
}

const KNOWN = new Set(['_since', '_type', 'start', 'end', '_count', '_cursor']);

function decodeCursor(raw: string): string {
  const invalid = badRequest('Invalid _cursor (use the links of a previous page)', ['_cursor']);
  if (raw.length > 512 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid;
  const key = Buffer.from(raw, 'base64url').toString('utf8');
  // Only a resource key: the cursor is an operand of `$gt`, never a document.
  if (!/^[A-Za-z]{1,64}\/[A-Za-z0-9\-.]{1,64}$/.test(key)) throw invalid;
  return key;
}

const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');

function parseQuery(ctx: FhirContext, query: Array<[string, string]>): EverythingQuery {
  const out: EverythingQuery = { count: ctx.limits.defaultCount, used: [] };
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (!KNOWN.has(name)) throw badRequest(`$everything does not take the parameter '${name}' (it takes _since, _type, start, end, _count)`, [name]);
    if (seen.has(name)) throw badRequest(`The parameter '${name}' may be given once`, [name]);
    seen.add(name);
    if (name !== '_cursor') out.used.push([name, value]);
    switch (name) {
      case '_since': {
        const r = dateRange(value);
        if (!r || !/T/.test(value)) throw badRequest('_since must be an instant, e.g. 2024-01-01T00:00:00Z', ['_since']);
        out.since = r.lo;
        break;
      }
      case '_type': {
        const types = value.split(',').map((t) => t.trim());
        const unknown = types.filter((t) => !ctx.registry.resourceTypes.has(t));
        if (unknown.length > 0 || types.length === 0) throw badRequest(`_type names unknown resource types: ${unknown.join(', ')}`, ['_type']);
        out.types = new Set(types);
        break;
      }
      case 'start':
      case 'end': {
        const r = dateRange(value);
        if (!r) throw badRequest(`${name} must be a date, e.g. 2020-01-01`, [name]);
        if (name === 'start') out.start = r.lo;
        else out.end = r.hi;
        break;
      }
      case '_count': {
        if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw badRequest('_count must be a positive integer', ['_count']);
        out.count = Math.min(Number(value), ctx.limits.maxCount);
        break;
      }
      case '_cursor':
        out.cursor = decodeCursor(value);
        break;
    }
  }
  return out;
}

/**
 * The filter of one type within the compartment: undefined when the caller may not search it, `{}`
 * when nothing beyond the type applies (those types are folded into one `type: {$in}`, which the
 * store answers from its type index).
 */
function typeFilter(ctx: FhirContext, type: string, q: EverythingQuery): FilterDocument | undefined {
  if (!ctx.access.allows(type, 'search')) return undefined;
  const parts: FilterDocument[] = [];
  const access = ctx.access.filterFor(type, 'search');
  if (access) parts.push(access);
  if ((q.start !== undefined || q.end !== undefined) && ctx.registry.get(type, CARE_DATE_PARAM)) {
    const field = `sp.${CARE_DATE_PARAM}`;
    const overlap: Record<string, unknown> = {};
    if (q.start !== undefined) overlap.hi = { $gte: q.start };
    if (q.end !== undefined) overlap.lo = { $lte: q.end };
    // A resource is in the range when one of its dates of care overlaps it; one without dates is always in.
    parts.push({ $or: [{ [field]: { $exists: false } }, { [field]: { $elemMatch: overlap } }] });
  }
  return parts.length === 0 ? {} : { $and: [{ type }, ...parts] };
}

/** The types' filters as one: plain types in one `$in`, the others each with their own conditions. */
function typesFilter(ctx: FhirContext, types: string[], q: EverythingQuery): FilterDocument | undefined {
  const plain: string[] = [];
  const filtered: FilterDocument[] = [];
  for (const type of types) {
    const f = typeFilter(ctx, type, q);
    if (f === undefined) continue;
    if (Object.keys(f).length === 0) plain.push(type);
    else filtered.push(f);
  }
  const branches = plain.length > 0 ? [{ type: plain.length === 1 ? plain[0] : { $in: plain } }, ...filtered] : filtered;
  return branches.length === 0 ? undefined : branches.length === 1 ? branches[0] : { $or: branches };
}

/**
 * What a page's includes follow: per source type, the reference parameters that can point outside
 * the compartment (organizations, practitioners, locations, medications…), within `_type` when given.
 */
function directoryIncludes(ctx: FhirContext, sourceTypes: string[], q: EverythingQuery): IncludeSpec[] {
  const specs: IncludeSpec[] = [];
  for (const sourceType of sourceTypes) {
    for (const ref of directoryRefsOf(ctx.registry, sourceType)) {
      const targets = q.types ? ref.targets.filter((t) => q.types?.has(t)) : ref.targets;
      if (targets.length === 0) continue;
      // A parameter aimed at one directory type names it, so references of other types it holds are not read.
      specs.push({ sourceType, param: ref.code, ...(targets.length === 1 && ref.allTargets > 1 ? { targetType: targets[0] } : {}), iterate: false });
    }
  }
  return specs;
}

export async function patientEverything(ctx: FhirContext, id: string, query: Array<[string, string]>): Promise<FhirResponse> {
  assertValidId(id);
  if (!ctx.access.allows('Patient', 'read')) throw forbidden('Not allowed to read Patient');
  const patient = await ctx.store.current('Patient', id);
  if (!patient || !visibleTo(ctx, patient, 'read')) throw notFound(`Patient/${id} is not known`);
  if (patient.del) throw gone(`Patient/${id} was deleted`);
  const q = parseQuery(ctx, query);
  const compartment = compartmentTypes(ctx.registry);
  const byType = typesFilter(
    ctx,
    [...patientRecordTypes(ctx.registry)].filter((t) => !q.types || q.types.has(t)),
    q,
  );

  let matches: StoredRecord[] = [];
  let next: string | undefined;
  if (byType) {
    const parts: FilterDocument[] = [{ cmp: `Patient/${id}` }, byType];
    if (q.since !== undefined) parts.push({ lu: { $gte: q.since } });
    if (q.cursor !== undefined) parts.push({ _id: { $gt: q.cursor } });
    const { records } = await ctx.store.find({ filter: { $and: parts }, sort: [['_id', 1]], limit: q.count + 1 });
    matches = records.slice(0, q.count);
    if (records.length > q.count) next = matches[matches.length - 1]._id;
  }

  // Directory resources the page refers to (organizations, practitioners, locations, medications…).
  // Compartment resources come as matches, never as includes; `_type` limits the includes too.
  const pageTypes = [...new Set(matches.map((r) => r.type))];
  const referenced = (
    await resolveIncludes({ store: ctx.store, registry: ctx.registry, access: ctx.access }, directoryIncludes(ctx, pageTypes, q), [], matches)
  ).filter((r) => !compartment.has(r.type) && (!q.types || q.types.has(r.type)));

  const path = `Patient/${id}/$everything`;
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(ctx.baseUrl, path, q.cursor ? [...q.used, ['_cursor', encodeCursor(q.cursor)]] : q.used) }];
  if (next) links.push({ relation: 'next', url: pageUrl(ctx.baseUrl, path, [...q.used, ['_cursor', encodeCursor(next)]]) });
  const entries: BundleEntryText[] = [
    ...matches.map((r) => ({ fullUrl: `${ctx.baseUrl}/${r._id}`, resource: recordJsonFor(ctx.access, r) ?? '{}', search: { mode: 'match' as const } })),
    ...referenced.map((r) => ({ fullUrl: `${ctx.baseUrl}/${r._id}`, resource: recordJsonFor(ctx.access, r) ?? '{}', search: { mode: 'include' as const } })),
  ];
  const json = renderBundle({ id: randomUUID(), type: 'searchset', lastUpdated: ctx.clock().toISOString(), link: links }, entries);
  return { status: 200, json, headers: {}, compartments: compartmentsOf([...matches, ...referenced]) };
}

/**
 * Patient/$everything (type level): for a caller who can see exactly one patient (a member's token),
 * that patient's $everything; anyone else names the patient.
 */
export async function ownEverything(ctx: FhirContext, query: Array<[string, string]>): Promise<FhirResponse> {
  if (!ctx.access.allows('Patient', 'search')) throw forbidden('Not allowed to search Patient');
  const filter = ctx.access.filterFor('Patient', 'search');
  if (!filter) throw badRequest('Name the patient: Patient/[id]/$everything');
  const { records } = await ctx.store.find({ filter: { $and: [{ type: 'Patient' }, filter] }, sort: [['_id', 1]], limit: 2 });
  if (records.length !== 1) throw badRequest('Name the patient: Patient/[id]/$everything');
  return patientEverything(ctx, records[0].id, query);
}
