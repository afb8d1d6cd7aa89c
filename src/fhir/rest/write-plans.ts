/**
 * The write interactions as *plans*: each checks its input and the current state and returns the store
 * operation plus the response to send once it is applied. create/update/patch/delete run one plan;
 * a transaction runs many and applies all their operations in one atomic store write.
 *
 * Access (SMART c/u/d): the record written must pass the caller's filter for the interaction, and for
 * update/patch/delete so must the record it replaces. An existing record outside the caller's Access is
 * unknown to them (404), except that a PUT onto it is refused (403): update-as-create must never
 * overwrite a resource the caller cannot see. A write may not move a resource out of, or into, a
 * compartment the caller cannot reach.
 */
import type { Resource } from '@medplum/fhirtypes';
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { StoredRecord, WriteOp } from '../../store/port.js';
import { badRequest, conflict, forbidden, gone, notFound, preconditionFailed, unprocessable } from '../outcome.js';
import { assertKnownType, assertValidId, requireResource, validateOrThrow } from './resource-input.js';
import { compartmentsOf, visibleTo } from './visibility.js';
import { filterFor, parseFor } from './search.js';
import { buildRecord, parseEtag, stampMeta, tombstone, versionHeaders } from './stored-record.js';
import { withDerived } from './derived-writes.js';
import { withTargetCompartments, type CompartmentLookup } from './target-compartments.js';
import type { FhirContext, FhirResponse } from './types.js';

/** Records for a Provenance's targets: those written earlier in the same transaction first, then the store. */
function compartmentLookup(ctx: FhirContext): CompartmentLookup {
  return async (type, id) => ctx.pendingRecords?.get(`${type}/${id}`) ?? (await ctx.store.current(type, id));
}

export interface WritePlan {
  op?: WriteOp;
  record?: StoredRecord;
  response: FhirResponse;
}

function located(ctx: FhirContext, record: StoredRecord, status: number): FhirResponse {
  return {
    status,
    body: record.res,
    headers: { ...versionHeaders(record), Location: `${ctx.baseUrl}/${record._id}/_history/${record.v}` },
    compartments: compartmentsOf([record]),
  };
}

/** Conditional create (R4 http.html#ccreate): If-None-Exist holds a search query string. */
async function existingFor(ctx: FhirContext, type: string, ifNoneExist: string): Promise<StoredRecord | undefined> {
  const query = [...new URLSearchParams(ifNoneExist.replace(/^[^?]*\?/, ''))];
  if (query.length === 0) throw badRequest('If-None-Exist must carry search parameters');
  const ir = parseFor(ctx, type, query, 'handling=strict');
  const { records } = await ctx.store.find({ filter: filterFor(ctx, ir), sort: [['_id', 1]], limit: 2 });
  if (records.length > 1) throw preconditionFailed(`If-None-Exist matched ${records.length} or more ${type} resources`);
  return records[0];
}

/**
 * The plan of a conditional create whose condition matched: nothing to write, 200 with the match.
 * The condition is a search, so it needs the search permission and sees only what the caller's search
 * filter admits: another member's resource never matches (and is never returned).
 */
export async function conditionalMatch(ctx: FhirContext, type: string, ifNoneExist: string): Promise<WritePlan | undefined> {
  assertKnownType(ctx, type);
  if (!ctx.access.allows(type, 'create')) throw forbidden(`Not allowed to create ${type}`);
  if (!ctx.access.allows(type, 'search')) throw forbidden(`Not allowed to search ${type} (If-None-Exist is a search)`);
  const existing = await existingFor(ctx, type, ifNoneExist);
  if (!existing) return undefined;
  return { record: existing, response: located(ctx, existing, 200) };
}

export async function planCreate(ctx: FhirContext, type: string, body: unknown, ifNoneExist?: string, id?: string): Promise<WritePlan> {
  assertKnownType(ctx, type);
  if (!ctx.access.allows(type, 'create')) throw forbidden(`Not allowed to create ${type}`);
  const input = requireResource(ctx, body, type);
  if (ifNoneExist) {
    const matched = await conditionalMatch(ctx, type, ifNoneExist);
    if (matched) return matched;
  }
  // The server assigns the id of a created resource; any id in the body is ignored (R4 http.html#create).
  const now = ctx.clock();
  const resource = stampMeta({ ...input, id: id ?? ctx.newId() } as Resource, 1, now);
  validateOrThrow(ctx, resource);
  const record = await withTargetCompartments(buildRecord(resource, 1, now, ctx.registry, ctx.baseUrl), compartmentLookup(ctx));
  if (!visibleTo(ctx, record, 'create')) throw forbidden(`This ${type} is outside your access: you may not create it`);
  return { op: { kind: 'put', record, expectVersion: 'absent' }, record, response: located(ctx, record, 201) };
}

function checkIfMatch(ifMatch: string | undefined, current: StoredRecord | undefined, key: string): void {
  if (ifMatch === undefined) return;
  const wanted = parseEtag(ifMatch);
  if (wanted === undefined) throw badRequest(`Invalid If-Match '${ifMatch}': use W/"<versionId>"`);
  if (!current || current.del || current.v !== wanted) {
    throw preconditionFailed(`If-Match ${ifMatch} does not match the current version of ${key}${current ? ` (W/"${current.v}")` : ''}`);
  }
}

export async function planUpdate(ctx: FhirContext, type: string, id: string, body: unknown, ifMatch?: string): Promise<WritePlan> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'update')) throw forbidden(`Not allowed to update ${type}`);
  const input = requireResource(ctx, body, type);
  if (input.id === undefined) throw badRequest('The resource in an update must have an id (R4 http.html#update)');
  if (input.id !== id) throw badRequest(`Resource id '${input.id}' does not match the URL id '${id}'`);
  const current = await ctx.store.current(type, id);
  // The id is taken by a resource the caller cannot see: neither update it nor create over it.
  if (current && !visibleTo(ctx, current, 'update')) throw forbidden(`${type}/${id} is outside your access`);
  checkIfMatch(ifMatch, current, `${type}/${id}`);
  const now = ctx.clock();
  const v = (current?.v ?? 0) + 1;
  const stamped = stampMeta(input, v, now);
  validateOrThrow(ctx, stamped);
  const record = await withTargetCompartments(buildRecord(stamped, v, now, ctx.registry, ctx.baseUrl), compartmentLookup(ctx));
  if (!visibleTo(ctx, record, 'update')) throw forbidden(`This ${type} would be outside your access: you may not move it to another compartment`);
  const created = !current || current.del;
  return {
    op: { kind: 'put', record, expectVersion: current ? current.v : 'absent' },
    record,
    response: located(ctx, record, created ? 201 : 200),
  };
}

function isPatch(body: unknown): body is Operation[] {
  return (
    Array.isArray(body) &&
    body.every((o) => typeof o === 'object' && o !== null && typeof (o as { op?: unknown }).op === 'string' && typeof (o as { path?: unknown }).path === 'string')
  );
}

/** JSON Patch (RFC 6902; R4 http.html#patch). The patched resource is validated like an update. */
export async function planPatch(ctx: FhirContext, type: string, id: string, body: unknown, ifMatch?: string): Promise<WritePlan> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'patch')) throw forbidden(`Not allowed to patch ${type}`);
  if (!isPatch(body)) throw badRequest('A JSON Patch body is an array of operations with op and path');
  const current = await ctx.store.current(type, id);
  if (!current || !visibleTo(ctx, current, 'patch')) throw notFound(`${type}/${id} is not known`);
  if (current.del) throw gone(`${type}/${id} was deleted`);
  checkIfMatch(ifMatch, current, `${type}/${id}`);
  const error = jsonPatch.validate(body, current.res);
  if (error) throw unprocessable([{ code: 'processing', diagnostics: `Invalid JSON Patch: ${error.name}: ${error.message.split('\n')[0]}` }]);
  let patched: Resource;
  try {
    patched = jsonPatch.applyPatch(structuredClone(current.res) as Resource, body, true, false).newDocument;
  } catch (err) {
    throw unprocessable([{ code: 'processing', diagnostics: `JSON Patch failed: ${(err as Error).message.split('\n')[0]}` }]);
  }
  if (patched?.resourceType !== type || patched.id !== id) throw unprocessable([{ code: 'processing', diagnostics: 'A patch may not change resourceType or id' }]);
  const now = ctx.clock();
  const stamped = stampMeta(patched, current.v + 1, now);
  validateOrThrow(ctx, stamped);
  const record = await withTargetCompartments(buildRecord(stamped, current.v + 1, now, ctx.registry, ctx.baseUrl), compartmentLookup(ctx));
  if (!visibleTo(ctx, record, 'patch')) throw forbidden(`The patched ${type} would be outside your access: you may not move it to another compartment`);
  return { op: { kind: 'put', record, expectVersion: current.v }, record, response: located(ctx, record, 200) };
}

/** delete (R4 http.html#delete): deleting an absent or already-deleted resource succeeds too. */
export async function planDelete(ctx: FhirContext, type: string, id: string): Promise<WritePlan> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'delete')) throw forbidden(`Not allowed to delete ${type}`);
  const current = await ctx.store.current(type, id);
  if (!current || current.del) return { response: { status: 204, headers: {} } };
  if (!visibleTo(ctx, current, 'delete')) throw notFound(`${type}/${id} is not known`);
  const record = tombstone(current, ctx.clock());
  // The tombstone keeps the compartments, so the audit trail knows whose data was deleted.
  return {
    op: { kind: 'delete', record, expectVersion: current.v },
    record,
    response: { status: 204, headers: { ETag: `W/"${record.v}"` }, compartments: compartmentsOf([record]) },
  };
}

/** Apply one plan on its own, mapping a lost race to 409 (R4 http.html#concurrency). */
export async function applyPlan(ctx: FhirContext, plan: WritePlan, ifMatch?: string): Promise<FhirResponse> {
  if (plan.op) {
    try {
      await ctx.store.write(await withDerived(ctx, [plan.op]));
    } catch (err) {
      if ((err as Error).name === 'VersionConflictError') {
        throw ifMatch ? preconditionFailed('The resource changed since If-Match was read') : conflict('The resource was changed by another request; retry');
      }
      throw err;
    }
  }
  return plan.response;
}
