/**
 * read and vread (R4 http.html#read, #vread): 404 unknown, 410 deleted. A record outside the caller's
 * Access answers 404 exactly like an unknown one, so its existence does not leak.
 */
import type { Resource } from '@medplum/fhirtypes';
import { forbidden, gone, notFound } from '../outcome.js';
import type { FhirContext, FhirResponse } from './types.js';
import { bodyOf, versionHeaders } from './stored-record.js';
import { assertKnownType, assertValidId } from './resource-input.js';
import { compartmentsOf, visibleTo } from './visibility.js';

export async function read(ctx: FhirContext, type: string, id: string): Promise<FhirResponse> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'read')) throw forbidden(`Not allowed to read ${type}`);
  const record = await ctx.store.current(type, id);
  if (!record || !visibleTo(ctx, record, 'read')) throw notFound(`${type}/${id} is not known`);
  if (record.del) throw gone(`${type}/${id} was deleted`);
  const rendered = await ctx.renderers?.[type]?.(record);
  const body = rendered !== undefined ? { json: rendered } : bodyOf(record);
  return { status: 200, ...presented(ctx, type, body), headers: versionHeaders(record), compartments: compartmentsOf([record]) };
}

/** The caller's view of a body (Access.present), e.g. a claim without amounts. */
export function presented(ctx: FhirContext, type: string, body: { json?: string; body?: Resource }): { json?: string; body?: Resource } {
  if (!ctx.access.present) return body;
  const json = body.json ?? (body.body !== undefined ? JSON.stringify(body.body) : undefined);
  return json === undefined ? body : { json: ctx.access.present(type, json) };
}

export async function vread(ctx: FhirContext, type: string, id: string, vid: string): Promise<FhirResponse> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'vread')) throw forbidden(`Not allowed to read ${type}`);
  const v = /^\d{1,9}$/.test(vid) ? Number(vid) : NaN;
  const record = Number.isNaN(v) ? undefined : await ctx.store.version(type, id, v);
  if (!record || !visibleTo(ctx, record, 'vread')) throw notFound(`${type}/${id}/_history/${vid} is not known`);
  if (record.del) throw gone(`${type}/${id} version ${vid} is a deletion`);
  return { status: 200, ...presented(ctx, type, bodyOf(record)), headers: versionHeaders(record), compartments: compartmentsOf([record]) };
}
