/**
 * Routes a FhirRequest to its interaction by method and path shape (R4 http.html summary table).
 * Used by the HTTP layer and by batch/transaction, so both behave identically.
 */
import { badRequest, methodNotAllowed, notFound } from '../outcome.js';
import { batchOrTransaction } from './batch-transaction.js';
import { ownEverything, patientEverything } from './everything.js';
import { history } from './history.js';
import { read, vread } from './read.js';
import { assertValidId } from './resource-input.js';
import { searchType } from './search.js';
import type { FhirContext, FhirRequest, FhirResponse } from './types.js';
import { applyPlan, planCreate, planDelete, planPatch, planUpdate } from './write-plans.js';

/** Search by POST: parameters come form-encoded in the body, and may also be in the URL. */
function searchParams(req: FhirRequest): Array<[string, string]> {
  if (req.method !== 'POST') return req.query;
  const body = req.body;
  if (typeof body === 'string') return [...req.query, ...new URLSearchParams(body)];
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return req.query;
  throw badRequest('POST _search takes application/x-www-form-urlencoded parameters');
}

/**
 * Operation parameters: the URL's, plus for POST a Parameters resource of simple values
 * (R4 operations.html#request) or a form body.
 */
function operationParams(req: FhirRequest): Array<[string, string]> {
  if (req.method !== 'POST') return req.query;
  const body = req.body as { resourceType?: unknown; parameter?: unknown } | string | undefined;
  if (body === undefined || body === null || typeof body === 'string' || (typeof body === 'object' && Object.keys(body).length === 0)) return searchParams(req);
  if (body.resourceType !== 'Parameters') throw badRequest('An operation is POSTed with a Parameters resource');
  const out: Array<[string, string]> = [...req.query];
  for (const p of Array.isArray(body.parameter) ? (body.parameter as Array<Record<string, unknown>>) : []) {
    const value = Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
    if (typeof p.name !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) throw badRequest('Only simple-valued parameters are accepted here');
    out.push([p.name, String(value)]);
  }
  return out;
}

function exportKickoff(ctx: FhirContext, req: FhirRequest, target: { level: 'patient' } | { level: 'group'; id: string }): Promise<FhirResponse> {
  if (!ctx.bulk) throw notFound('Bulk export is not enabled on this server');
  if (req.method !== 'GET' && req.method !== 'POST') throw methodNotAllowed('$export is called with GET or POST', 'GET, POST');
  return ctx.bulk.kickoff(ctx, target, req);
}

/** An operation handler added by an API layer for this path, if any answers it. */
async function addedOperation(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse | undefined> {
  if (!ctx.operations || ctx.operations.length === 0) return undefined;
  const [type, id, sub, vid] = req.path;
  const instance = sub?.startsWith('$') && vid === undefined && id !== undefined;
  const typeLevel = id?.startsWith('$') && sub === undefined;
  if (!instance && !typeLevel) return undefined;
  const name = (instance ? sub : id)?.slice(1);
  for (const op of ctx.operations) {
    if (op.type !== type || op.name !== name || op.level !== (instance ? 'instance' : 'type')) continue;
    if (instance) assertValidId(id as string);
    const out = await op.handle(ctx, req, instance ? id : undefined);
    if (out) return out;
  }
  return undefined;
}

export async function dispatch(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
  const [type, id, sub, vid, ...rest] = req.path;
  const m = req.method;
  if (rest.length > 0) throw notFound(`No route for ${req.path.join('/')}`);
  const added = await addedOperation(ctx, req);
  if (added) return added;
  const owner = type !== undefined && !type.startsWith('$') && !(id ?? '').startsWith('$') && !(sub ?? '').startsWith('$') ? ctx.typeHandlers?.find((h) => h.type === type) : undefined;
  if (owner) {
    const out = await owner.handle(ctx, req);
    if (out) return out;
  }
  if (type === undefined) {
    if (m === 'POST') return batchOrTransaction(ctx, req.body, dispatch);
    throw methodNotAllowed('The base URL takes POST (batch/transaction)', 'POST');
  }
  if (type === '_history') {
    if (id !== undefined) throw notFound(`No route for ${req.path.join('/')}`);
    if (m !== 'GET') throw methodNotAllowed('History is read with GET', 'GET');
    return history(ctx, undefined, undefined, req.query);
  }
  if (id === undefined) {
    if (m === 'GET') return searchType(ctx, type, req.query, req.headers.prefer);
    if (m === 'POST') {
      const plan = await planCreate(ctx, type, req.body, req.headers.ifNoneExist);
      return applyPlan(ctx, plan);
    }
    throw methodNotAllowed(`${m} is not supported on ${type}`, 'GET, POST');
  }
  if (type === 'Patient' && id === '$export' && sub === undefined) return exportKickoff(ctx, req, { level: 'patient' });
  if (type === 'Patient' && id === '$everything' && sub === undefined) {
    if (m !== 'GET' && m !== 'POST') throw methodNotAllowed('$everything is called with GET or POST', 'GET, POST');
    return ownEverything(ctx, operationParams(req));
  }
  if (id === '_search') {
    if (m !== 'POST' || sub !== undefined) throw methodNotAllowed('_search takes POST', 'POST');
    return searchType(ctx, type, searchParams(req), req.headers.prefer);
  }
  if (id === '_history') {
    if (sub !== undefined) throw notFound(`No route for ${req.path.join('/')}`);
    if (m !== 'GET') throw methodNotAllowed('History is read with GET', 'GET');
    return history(ctx, type, undefined, req.query);
  }
  if (sub === undefined) {
    switch (m) {
      case 'GET':
        return read(ctx, type, id);
      case 'PUT':
        return applyPlan(ctx, await planUpdate(ctx, type, id, req.body, req.headers.ifMatch), req.headers.ifMatch);
      case 'PATCH':
        return applyPlan(ctx, await planPatch(ctx, type, id, req.body, req.headers.ifMatch), req.headers.ifMatch);
      case 'DELETE':
        return applyPlan(ctx, await planDelete(ctx, type, id));
      default:
        throw methodNotAllowed(`${m} is not supported on a resource instance`, 'GET, PUT, PATCH, DELETE');
    }
  }
  if (type === 'Group' && sub === '$export' && vid === undefined) {
    assertValidId(id);
    return exportKickoff(ctx, req, { level: 'group', id });
  }
  if (type === 'Patient' && sub === '$everything' && vid === undefined) {
    if (m !== 'GET' && m !== 'POST') throw methodNotAllowed('$everything is called with GET or POST', 'GET, POST');
    return patientEverything(ctx, id, operationParams(req));
  }
  if (sub === '_history') {
    if (m !== 'GET') throw methodNotAllowed('History is read with GET', 'GET');
    return vid === undefined ? history(ctx, type, id, req.query) : vread(ctx, type, id, vid);
  }
  throw notFound(`No route for ${req.path.join('/')}`);
}
