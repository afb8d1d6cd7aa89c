/**
 * A Provenance belongs to the compartments of the resources it targets. R4's patient compartment
 * lists Provenance only through `patient` (a target that *is* the Patient), but US Core Provenance
 * targets the member's Observations, Conditions… and US Core servers return it with
 * `_revinclude=Provenance:target`: a member's app must see the provenance of its own data, and nobody
 * else's. So when a Provenance is written, the compartments of its targets (as stored, or written in
 * the same transaction) are added to its own; a write that would put it into a compartment the caller
 * cannot reach is then refused by the usual visibility check, which runs after this.
 */
import type { StoredRecord } from '../../store/port.js';

/** Targets looked at per Provenance: more is a bulk provenance, which keeps the compartments found so far. */
const MAX_TARGETS = 200;

export type CompartmentLookup = (type: string, id: string) => Promise<Pick<StoredRecord, 'cmp' | 'del'> | undefined>;

export async function withTargetCompartments(record: StoredRecord, lookup: CompartmentLookup): Promise<StoredRecord> {
  if (record.type !== 'Provenance' || record.del) return record;
  const cmp = new Set(record.cmp);
  const targets = (record.sp.target ?? []).filter((v): v is string => typeof v === 'string').slice(0, MAX_TARGETS);
  for (const ref of targets) {
    const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
    if (!m) continue;
    const target = await lookup(m[1], m[2]);
    if (target && !target.del) for (const c of target.cmp) cmp.add(c);
  }
  return cmp.size === record.cmp.length ? record : { ...record, cmp: [...cmp] };
}
