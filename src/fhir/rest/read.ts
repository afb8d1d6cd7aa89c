/** read and vread (R4 http.html#read, #vread): 404 unknown, 410 deleted. */
import { forbidden, gone, notFound } from '../outcome.js';
import type { FhirContext, FhirResponse } from './types.js';
import { bodyOf, versionHeaders } from './stored-record.js';
import { assertKnownType, assertValidId } from './resource-input.js';
import type { StoredRecord } from '../../store/port.js';
import { Query } from 'mingo';

/** True when the caller's compartment filter admits this record (evaluated like a store query). */
export function visibleTo(ctx: FhirContext, record: StoredRecord): boolean {
  const filter = ctx.access.filterFor(record.type);
  return filter === undefined || new Query(filter).test(record as unknown as Record<string, unknown>);
}

export async function read(ctx: FhirContext, type: string, id: string): Promise<FhirResponse> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'read')) throw forbidden(`Not allowed to read ${type}`);
  const record = await ctx.store.current(type, id);
  if (!record || !visibleTo(ctx, record)) throw notFound(`${type}/${id} is not known`);
  if (record.del) throw gone(`${type}/${id} was deleted`);
  return { status: 200, ...bodyOf(record), headers: versionHeaders(record) };
}

export async function vread(ctx: FhirContext, type: string, id: string, vid: string): Promise<FhirResponse> {
  assertKnownType(ctx, type);
  assertValidId(id);
  if (!ctx.access.allows(type, 'vread')) throw forbidden(`Not allowed to read ${type}`);
  const v = /^\d{1,9}$/.test(vid) ? Number(vid) : NaN;
  const record = Number.isNaN(v) ? undefined : await ctx.store.version(type, id, v);
  if (!record || !visibleTo(ctx, record)) throw notFound(`${type}/${id}/_history/${vid} is not known`);
  if (record.del) throw gone(`${type}/${id} version ${vid} is a deletion`);
  return { status: 200, ...bodyOf(record), headers: versionHeaders(record) };
}
