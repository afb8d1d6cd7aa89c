/**
 * Deterministic synthetic demo data for the embedded server: the provider directory, then each
 * member's resources. Attribution lists are not generated: the server builds them from the data
 * (PCC/PCP assignment and claims; apis/provider-access/attribution-builder.ts), as it would for a
 * real payer's data. The same
 * (members, seed, now) always yields the same resources in the same order; every resource has a
 * client-assigned id and every reference is a `Type/id` to another yielded resource.
 *
 * The first members are scenario members so every demo shows each rule at least once when the
 * clock allows it (1200 needs service dates from 2025-08-01): see SCENARIOS.
 */
import type { Resource } from '@medplum/fhirtypes';
import { generateMember } from './member/generate-member.js';
import type { MemberContext, MemberSpec } from './member/member-context.js';
import { buildProviderDirectory } from './provider-directory.js';
import { demoQuestionnaires } from './prior-auth/pa-rule-set.js';

export interface DemoDataOptions {
  /** Number of members (Patients); about 30 resources each. */
  members: number;
  seed: number;
  /** The generation clock: nothing is dated after it. */
  now: Date;
}

/** Scenario members, by index (1-based); the rest are drawn at random. */
export const SCENARIOS: ReadonlyArray<Omit<MemberSpec, 'index'>> = [
  { plan: 'PCC', denials: ['1200'], enrolledFrom: '2016-01-01', payerToPayerOptIn: true },
  { plan: 'FFS', denials: ['1010'], enrolledFrom: '2017-03-01' },
  { plan: 'PCACO', priorAuths: 6, enrolledFrom: '2019-06-01' },
  { plan: 'MCO', providerAccessOptOut: true, priorAuths: 2 },
  { plan: 'PCACO', denials: ['1200', '1010'], priorAuths: 3 },
];

function checkOptions(o: DemoDataOptions): void {
  if (!Number.isInteger(o.members) || o.members < 0) throw new RangeError('members must be a non-negative integer');
  if (!Number.isFinite(o.seed)) throw new RangeError('seed must be a finite number');
  if (!(o.now instanceof Date) || Number.isNaN(o.now.getTime())) throw new RangeError('now must be a valid Date');
  if (o.now.toISOString() < '2017-01-01') throw new RangeError('now must be after 2017-01-01 (history starts 2016-01-01)');
}

export function* generateDemoData(opts: DemoDataOptions): Generator<Resource> {
  checkOptions(opts);
  const seed = Math.trunc(opts.seed);
  const directory = buildProviderDirectory({ seed, now: opts.now, members: opts.members });
  yield* directory.resources;
  // The DTR Questionnaires of the demo prior-authorization rules (synthetic/prior-auth/pa-rule-set.ts).
  yield* demoQuestionnaires();

  const ctx: MemberContext = { seed, now: opts.now, directory };
  for (let index = 1; index <= opts.members; index++) {
    const scenario = SCENARIOS[index - 1] ?? {};
    const member = generateMember(ctx, { ...scenario, index });
    yield* member.resources;
  }
}
