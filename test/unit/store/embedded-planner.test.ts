/**
 * The embedded store's query planner: which conjuncts an in-memory index answers, and that answering
 * them never changes a result. Results are compared with mingo evaluating the same filter over every
 * record (the reference semantics), and the plan itself is checked so a regression to a full scan is
 * seen (a full scan gives the right answer, only slowly: a Provider Access export went from 10 s to 2 s
 * when `{ type, 'sp.beneficiary': {$in} }` stopped being one opaque conjunct).
 */
import { describe, expect, it } from 'vitest';
import { Query } from 'mingo';
import { indexKeysOf, lastUpdatedBounds, SecondaryIndexes, type IndexedRecord } from '../../../src/store/embedded/secondary-indexes.js';
import type { FilterDocument, StoredRecord } from '../../../src/store/port.js';
import { aRecord } from '../../contract/records.js';

function build(records: StoredRecord[]): { indexes: SecondaryIndexes; all: Array<StoredRecord & IndexedRecord> } {
  const indexes = new SecondaryIndexes();
  const all = records.map((r) => ({ ...r, ix: indexKeysOf(r) }));
  for (const r of all) indexes.add(r);
  return { indexes, all };
}

/** What the planner's candidates + checks + mingo residual select, as the embedded store evaluates it. */
function planned(indexes: SecondaryIndexes, all: Array<StoredRecord & IndexedRecord>, filter: FilterDocument): string[] {
  const plan = indexes.plan(filter);
  const byId = new Map(all.map((r) => [r._id, r]));
  const keys = plan.candidates === undefined ? all.map((r) => r._id) : [...plan.candidates];
  const residual = plan.residual.length === 0 ? undefined : new Query(plan.residual.length === 1 ? plan.residual[0] : { $and: plan.residual });
  return keys
    .map((k) => byId.get(k))
    .filter((r): r is StoredRecord & IndexedRecord => r !== undefined && !r.del && plan.checks.every((c) => c(r)) && (residual === undefined || residual.test(r as unknown as Record<string, unknown>)))
    .map((r) => r._id)
    .sort();
}

const reference = (all: StoredRecord[], filter: FilterDocument): string[] => {
  const q = new Query(filter);
  return all.filter((r) => !r.del && q.test(r as unknown as Record<string, unknown>)).map((r) => r._id).sort();
};

const members = Array.from({ length: 30 }, (_, i) => `m${i}`);
const records: StoredRecord[] = [
  ...members.map((m) => aRecord('Patient', m, { cmp: [`Patient/${m}`] })),
  ...members.map((m, i) => aRecord('Coverage', `cov-${m}`, { sp: { beneficiary: [`Patient/${m}`], status: [{ c: i % 3 === 0 ? 'cancelled' : 'active' }] }, cmp: [`Patient/${m}`] })),
  ...members.flatMap((m) => [1, 2, 3].map((n) => aRecord('Observation', `obs-${m}-${n}`, { lu: n * 100, sp: { subject: [`Patient/${m}`], patient: [`Patient/${m}`] }, cmp: [`Patient/${m}`] }))),
  ...members.slice(0, 4).map((m) => aRecord('Goal', `goal-${m}`, { sp: { patient: [`Patient/${m}`] }, cmp: [`Patient/${m}`] })),
  aRecord('Provenance', 'shared', { sp: { target: ['Observation/obs-m1-1', 'Observation/obs-m2-1'] }, cmp: ['Patient/m1', 'Patient/m2'] }),
];

describe('embedded planner', () => {
  const { indexes, all } = build(records);

  it('when a filter document has several keys, then each key is a conjunct and the indexed ones drive the scan', () => {
    const filter = { type: 'Coverage', 'sp.beneficiary': { $in: ['Patient/m1', 'Patient/m2', 'Patient/m3'] } };
    const plan = indexes.plan(filter);
    expect(plan.residual).toEqual([]);
    expect(plan.size).toBe(3);
    expect(planned(indexes, all, filter)).toEqual(['Coverage/cov-m1', 'Coverage/cov-m2', 'Coverage/cov-m3']);
    expect(planned(indexes, all, filter)).toEqual(reference(all, filter));
  });

  it('when several keys mix indexed and unindexed conditions, then only the unindexed go to mingo and the result equals a full evaluation', () => {
    const filter = { type: 'Coverage', 'sp.beneficiary': { $in: members.slice(0, 10).map((m) => `Patient/${m}`) }, 'sp.status': { $elemMatch: { c: 'active' } } };
    const plan = indexes.plan(filter);
    expect(plan.residual).toEqual([{ 'sp.status': { $elemMatch: { c: 'active' } } }]);
    const got = planned(indexes, all, filter);
    expect(got).toEqual(reference(all, filter));
    expect(got).toHaveLength(6);
  });

  it('when a small type drives and a long cmp $in is a check, then the check answers from the record and matches mingo', () => {
    // Goal (4 records) is smaller than 25 members' compartments: the type drives, cmp is checked.
    const filter = { $and: [{ type: 'Goal' }, { cmp: { $in: members.slice(2, 27).map((m) => `Patient/${m}`) } }] };
    const plan = indexes.plan(filter);
    expect(plan.size).toBe(4);
    expect(plan.checks).toHaveLength(1);
    expect(planned(indexes, all, filter)).toEqual(['Goal/goal-m2', 'Goal/goal-m3']);
    // A record in two compartments passes when either is asked for.
    const shared = { $and: [{ type: 'Provenance' }, { cmp: { $in: ['Patient/m2', 'Patient/m9'] } }] };
    expect(planned(indexes, all, shared)).toEqual(['Provenance/shared']);
    expect(planned(indexes, all, { $and: [{ type: 'Provenance' }, { cmp: { $in: ['Patient/m9'] } }] })).toEqual([]);
  });

  it('when an $or or $nor sits beside other keys, then it stays a residual conjunct with the same meaning', () => {
    const filter = { type: 'Observation', 'sp.subject': 'Patient/m5', $nor: [{ lu: 200 }] };
    const plan = indexes.plan(filter);
    expect(plan.residual).toEqual([{ $nor: [{ lu: 200 }] }]);
    expect(planned(indexes, all, filter)).toEqual(['Observation/obs-m5-1', 'Observation/obs-m5-3']);
    expect(planned(indexes, all, filter)).toEqual(reference(all, filter));
  });

  it('when a filter bounds lu (export _since/_until), then the bounds are known to the planner, strict ones widened', () => {
    expect(lastUpdatedBounds({ $and: [{ type: 'Observation' }, { lu: { $gte: 200 } }] })).toEqual({ min: 200, max: undefined });
    expect(lastUpdatedBounds({ type: 'Observation', lu: { $gt: 100, $lte: 300 } })).toEqual({ min: 100, max: 300 });
    expect(lastUpdatedBounds({ type: 'Consent', lu: 5 })).toBeUndefined();
    expect(lastUpdatedBounds({ type: 'Consent' })).toBeUndefined();
  });
});
