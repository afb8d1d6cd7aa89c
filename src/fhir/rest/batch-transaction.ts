/**
 * batch and transaction Bundles (R4 http.html#transaction).
 *  - batch: every entry is processed on its own; a failing entry gets its OperationOutcome in its
 *    response and the others still apply.
 *  - transaction: all or nothing. Entries are processed in the order the spec prescribes (DELETE, POST,
 *    PUT/PATCH, then GET); POST entries get their ids first so that references to their fullUrl
 *    (`urn:uuid:…`) anywhere in the Bundle are rewritten to `Type/id`; all writes go to the store as
 *    one atomic write, and any failure rolls back everything and answers with that entry's error.
 * Every entry goes through the same handlers (dispatch or the write plans), so it is checked against the
 * caller's Access exactly like a request of its own; the response's compartments are the union of the
 * entries'.
 */
import { randomUUID } from 'node:crypto';
import { withDerived } from './derived-writes.js';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { FhirError, badRequest, conflict, outcome } from '../outcome.js';
import { renderBundle, type BundleEntryText } from '../search/bundle.js';
import { assertJsonDepth } from './json-depth.js';
import type { FhirContext, FhirRequest, FhirResponse } from './types.js';
import { conditionalMatch, planCreate, planDelete, planPatch, planUpdate, type WritePlan } from './write-plans.js';
import type { StoredRecord, WriteOp } from '../../store/port.js';
import { unionCompartments } from './visibility.js';

type Dispatch = (ctx: FhirContext, req: FhirRequest) => Promise<FhirResponse>;
type Method = FhirRequest['method'];

const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3 };
const METHODS = new Set<Method>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

interface ParsedEntry {
  index: number;
  method: Method;
  path: string[];
  query: Array<[string, string]>;
  entry: BundleEntry;
  fullUrl?: string;
  ifMatch?: string;
  ifNoneExist?: string;
}

const optionalString = (value: unknown, what: string, index: number): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`Bundle entry ${index}: ${what} must be a string`, [`Bundle.entry[${index}]`]);
  return value;
};

/** Every field of an entry is checked here: a Bundle is untrusted input, entry by entry. */
function parseEntry(raw: unknown, index: number): ParsedEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(`Bundle entry ${index} is not an object`, [`Bundle.entry[${index}]`]);
  const entry = raw as BundleEntry;
  const request = entry.request as Record<string, unknown> | undefined;
  if (typeof request !== 'object' || request === null || typeof request.method !== 'string' || typeof request.url !== 'string') {
    throw badRequest(`Bundle entry ${index} needs request.method and request.url (strings)`, [`Bundle.entry[${index}].request`]);
  }
  const method = request.method.toUpperCase() as Method;
  if (!METHODS.has(method)) throw badRequest(`Bundle entry ${index}: unsupported method ${request.method}`);
  const url = request.url.replace(/^https?:\/\/[^/]+\/fhir\//, '').replace(/^\//, '');
  const [pathPart, queryPart] = url.split('?', 2);
  const path = pathPart.split('/').filter(Boolean);
  if (path.length === 0 || path.length > 4) throw badRequest(`Bundle entry ${index}: invalid request.url '${request.url}'`);
  return {
    index,
    method,
    path,
    query: [...new URLSearchParams(queryPart ?? '')],
    entry,
    fullUrl: optionalString(entry.fullUrl, 'fullUrl', index),
    ifMatch: optionalString(request.ifMatch, 'request.ifMatch', index),
    ifNoneExist: optionalString(request.ifNoneExist, 'request.ifNoneExist', index),
  };
}

function responseText(res: FhirResponse, resource?: Resource): BundleEntryText['response'] {
  const r: NonNullable<BundleEntryText['response']> = { status: String(res.status) };
  if (res.headers.ETag) r.etag = res.headers.ETag;
  if (res.headers['Last-Modified']) r.lastModified = new Date(res.headers['Last-Modified']).toISOString();
  if (res.headers.Location) r.location = res.headers.Location;
  if (resource?.resourceType === 'OperationOutcome') r.outcome = resource;
  return r;
}

function bodyText(res: FhirResponse): string | undefined {
  return res.json ?? (res.body ? JSON.stringify(res.body) : undefined);
}

/** Replace every `reference` equal to a mapped fullUrl, at any depth. */
function rewriteReferences(value: unknown, map: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, map));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewriteReferences(v, map);
    }
    return out;
  }
  return value;
}

interface Rendered {
  json: string;
  compartments: string[];
}

async function runBatch(ctx: FhirContext, entries: unknown[], dispatch: Dispatch): Promise<Rendered> {
  const out: BundleEntryText[] = [];
  const disclosed: Array<string[] | undefined> = [];
  for (let i = 0; i < entries.length; i++) {
    try {
      const p = parseEntry(entries[i], i);
      const res = await dispatch(ctx, {
        method: p.method,
        path: p.path,
        query: p.query,
        body: p.method === 'PATCH' ? patchBody(p.entry) : p.entry.resource,
        headers: { ifMatch: p.ifMatch, ifNoneExist: p.ifNoneExist },
      });
      out.push({ resource: bodyText(res), response: responseText(res) });
      disclosed.push(res.compartments);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      out.push({ response: { status: String(err.status), outcome: outcome(err.issues) } });
    }
  }
  const json = renderBundle({ id: randomUUID(), type: 'batch-response', lastUpdated: ctx.clock().toISOString() }, out);
  return { json, compartments: unionCompartments(disclosed) };
}

/** A PATCH entry carries its JSON Patch as a Binary resource (R4 http.html#patch in a transaction). */
function patchBody(entry: BundleEntry): unknown {
  const r = entry.resource as { resourceType?: string; data?: string } | undefined;
  if (r?.resourceType === 'Binary' && typeof r.data === 'string') {
    let patch: unknown;
    try {
      patch = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'));
    } catch {
      throw badRequest('PATCH entry: Binary.data is not a base64 JSON Patch');
    }
    assertJsonDepth(patch, 'PATCH entry: the JSON Patch');
    return patch;
  }
  return r;
}

async function runTransaction(ctx: FhirContext, entries: unknown[], dispatch: Dispatch): Promise<Rendered> {
  const parsed = entries.map(parseEntry);
  // Resolve every fullUrl before any entry is planned, so a reference to any entry resolves wherever it
  // appears: a POST gets its new id (or, for a conditional create that matches, the existing resource);
  // a PUT/PATCH entry is its own Type/id.
  const idMap = new Map<string, string>();
  const assigned = new Map<number, string>();
  const matched = new Map<number, WritePlan>();
  for (const p of parsed) {
    if (p.method === 'POST' && p.path.length === 1) {
      const existing = p.ifNoneExist ? await conditionalMatch(ctx, p.path[0], p.ifNoneExist) : undefined;
      if (existing) {
        matched.set(p.index, existing);
        if (p.fullUrl && existing.record) idMap.set(p.fullUrl, existing.record._id);
        continue;
      }
      const id = ctx.newId();
      assigned.set(p.index, id);
      if (p.fullUrl) idMap.set(p.fullUrl, `${p.path[0]}/${id}`);
    } else if ((p.method === 'PUT' || p.method === 'PATCH') && p.path.length === 2 && p.fullUrl) {
      idMap.set(p.fullUrl, `${p.path[0]}/${p.path[1]}`);
    }
  }
  // Provenance after the other writes of its method, so it inherits the compartments of targets written here.
  const provenanceLast = (p: (typeof parsed)[number]): number => (p.path[0] === 'Provenance' ? 1 : 0);
  const order = [...parsed].sort((a, b) => ORDER[a.method] - ORDER[b.method] || provenanceLast(a) - provenanceLast(b) || a.index - b.index);
  const pendingRecords = new Map<string, StoredRecord>();
  ctx = { ...ctx, pendingRecords };
  const plans = new Map<number, WritePlan>();
  const touched = new Set<string>();
  const ops: WriteOp[] = [];
  for (const p of order) {
    if (p.method === 'GET') continue;
    try {
      const resource = rewriteReferences(p.entry.resource, idMap);
      let plan: WritePlan;
      if (p.method === 'POST' && p.path.length === 1) {
        plan = matched.get(p.index) ?? (await planCreate(ctx, p.path[0], resource, undefined, assigned.get(p.index)));
      } else if (p.method === 'PUT' && p.path.length === 2) plan = await planUpdate(ctx, p.path[0], p.path[1], resource, p.ifMatch);
      else if (p.method === 'PATCH' && p.path.length === 2) plan = await planPatch(ctx, p.path[0], p.path[1], patchBody(p.entry), p.ifMatch);
      else if (p.method === 'DELETE' && p.path.length === 2) plan = await planDelete(ctx, p.path[0], p.path[1]);
      else throw badRequest(`Bundle entry ${p.index}: ${p.method} ${p.path.join('/')} is not allowed in a transaction`);
      if (plan.op) {
        if (touched.has(plan.op.record._id)) throw badRequest(`Bundle entry ${p.index}: ${plan.op.record._id} is written twice in one transaction`);
        touched.add(plan.op.record._id);
        ops.push(plan.op);
        pendingRecords.set(plan.op.record._id, plan.op.record);
      }
      plans.set(p.index, plan);
    } catch (err) {
      if (err instanceof FhirError) throw new FhirError(err.status, err.issues.map((i) => ({ ...i, diagnostics: `Transaction failed at entry ${p.index}: ${i.diagnostics}` })));
      throw err;
    }
  }
  // Every write of the transaction in one atomic store write.
  const all = await withDerived(ctx, ops);
  try {
    await ctx.store.write(all);
  } catch (err) {
    if ((err as Error).name === 'VersionConflictError') throw conflict('A resource in the transaction was changed concurrently; nothing was applied');
    throw err;
  }
  const out: BundleEntryText[] = [];
  const disclosed: Array<string[] | undefined> = [];
  for (const p of parsed) {
    if (p.method === 'GET') {
      try {
        const res = await dispatch(ctx, { method: 'GET', path: p.path, query: p.query, headers: {} });
        out.push({ resource: bodyText(res), response: responseText(res) });
        disclosed.push(res.compartments);
      } catch (err) {
        if (!(err instanceof FhirError)) throw err;
        out.push({ response: { status: String(err.status), outcome: outcome(err.issues) } });
      }
      continue;
    }
    const plan = plans.get(p.index)!;
    disclosed.push(plan.response.compartments);
    out.push({
      fullUrl: plan.record ? `${ctx.baseUrl}/${plan.record._id}` : undefined,
      resource: bodyText(plan.response),
      response: responseText(plan.response),
    });
  }
  const json = renderBundle({ id: randomUUID(), type: 'transaction-response', lastUpdated: ctx.clock().toISOString() }, out);
  return { json, compartments: unionCompartments(disclosed) };
}

export async function batchOrTransaction(ctx: FhirContext, body: unknown, dispatch: Dispatch): Promise<FhirResponse> {
  const bundle = body as Bundle;
  if (typeof body !== 'object' || body === null || bundle.resourceType !== 'Bundle') throw badRequest('POST to the base takes a Bundle');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') throw badRequest(`Bundle.type must be batch or transaction, not '${String(bundle.type)}'`);
  const entries: unknown[] = (bundle.entry as unknown[] | undefined) ?? [];
  if (!Array.isArray(entries)) throw badRequest('Bundle.entry must be an array');
  if (entries.length > ctx.limits.maxBundleEntries) throw badRequest(`A Bundle may have at most ${ctx.limits.maxBundleEntries} entries`);
  const { json, compartments } = bundle.type === 'batch' ? await runBatch(ctx, entries, dispatch) : await runTransaction(ctx, entries, dispatch);
  return { status: 200, json, headers: {}, compartments };
}
