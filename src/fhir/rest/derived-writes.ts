/**
 * Derived resources: some resources are views of others and must never disagree with them (the PDex
 * prior-authorization ExplanationOfBenefit is computed from the PAS Claim and ClaimResponse). The
 * engine lets a derivation, given the writes about to be made, name the resources to put or delete
 * because of them; they are stamped, validated and indexed like any write and applied in the same
 * atomic store write, so a reader sees the source and its view change together or not at all.
 *
 * A derivation also guards its views: a client may not write them directly (422), because a view
 * written by hand would be overwritten by the next change of its source, or worse, contradict it.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredRecord, WriteOp } from '../../store/port.js';
import { unprocessable } from '../outcome.js';
import { validateOrThrow } from './resource-input.js';
import { buildRecord, stampMeta, tombstone } from './stored-record.js';
import type { DerivationLookup, DerivedChange, FhirContext } from './types.js';

export type { Derivation, DerivationLookup, DerivedChange } from './types.js';

function lookupOver(ctx: FhirContext, ops: readonly WriteOp[]): DerivationLookup {
  const pending = new Map(ops.map((op) => [op.record._id, op]));
  return {
    async current(type, id) {
      const op = pending.get(`${type}/${id}`);
      if (op) return op.kind === 'delete' ? undefined : op.record.res;
      const record = await ctx.store.current(type, id);
      return record && !record.del ? record.res : undefined;
    },
    async find(filter, limit) {
      const { records } = await ctx.store.find({ filter, sort: [['_id', 1]], limit });
      return records.filter((r) => !r.del && !pending.has(r._id)).map((r) => r.res as Resource);
    },
  };
}

/** The JSON of a resource without its server-owned meta fields, to skip writing an unchanged view. */
function content(resource: Resource | undefined): string {
  if (!resource) return '';
  const { meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
  return JSON.stringify({ ...rest, meta: keptMeta });
}

async function opFor(ctx: FhirContext, change: DerivedChange, now: Date): Promise<WriteOp | undefined> {
  const type = change.kind === 'put' ? change.resource.resourceType : change.type;
  const id = change.kind === 'put' ? (change.resource.id as string) : change.id;
  const current: StoredRecord | undefined = await ctx.store.current(type, id);
  if (change.kind === 'delete') {
    return current && !current.del ? { kind: 'delete', record: tombstone(current, now), expectVersion: current.v } : undefined;
  }
  if (current && !current.del && content(current.res) === content(change.resource)) return undefined;
  const v = (current?.v ?? 0) + 1;
  const stamped = stampMeta(change.resource, v, now);
  try {
    validateOrThrow(ctx, stamped);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw unprocessable([{ code: 'processing', diagnostics: `The ${type} derived from this write could not be produced: ${why}` }]);
  }
  return { kind: 'put', record: buildRecord(stamped, v, now, ctx.registry, ctx.baseUrl), expectVersion: current ? current.v : 'absent' };
}

/**
 * The writes plus the derived writes they cause, checked: a client's direct write of a derived view is
 * refused, and a view is never written twice or alongside a client write of the same resource.
 */
export async function withDerived(ctx: FhirContext, ops: WriteOp[]): Promise<WriteOp[]> {
  const derivation = ctx.derivation;
  if (!derivation || ops.length === 0) return ops;
  for (const op of ops) {
    const why = derivation.refuse(op);
    if (why) throw unprocessable([{ code: 'business-rule', diagnostics: why, expression: [op.record.type] }]);
  }
  const changes = await derivation.derive(ops, lookupOver(ctx, ops));
  if (changes.length === 0) return ops;
  // Stamped with the sources' time, so a view and the write that changed it carry the same lastUpdated.
  const now = new Date(Math.max(...ops.map((op) => op.record.lu)));
  const written = new Set(ops.map((op) => op.record._id));
  const out = [...ops];
  for (const change of changes) {
    const key = change.kind === 'put' ? `${change.resource.resourceType}/${change.resource.id}` : `${change.type}/${change.id}`;
    if (written.has(key)) continue;
    written.add(key);
    const op = await opFor(ctx, change, now);
    if (op) out.push(op);
  }
  return out;
}
