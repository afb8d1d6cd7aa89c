/**
 * A member's other payer, recorded by payer staff at enrollment (CMS-0057-F 42 CFR 431.61(b): the new
 * payer identifies the member's previous and concurrent payers, whose data it asks for once the member
 * opts in). The record is a Coverage of the member whose payor is that payer's Organization, which is
 * what `member-choice.ts` reads back as the member's other payers:
 *  - `previous`: the coverage has ended, so `end` is required and before today (status stays active:
 *    R4 Coverage.status says whether the record is in force, the period says when the coverage was);
 *  - `concurrent`: in force today, so `start` (if given) is not after today and `end` (if given) not
 *    before it.
 * `subscriberId` is the member's ID at that payer (what `$member-match` sends it as CoverageToLink's
 * subscriber), `relationship` self. Pure: the route checks that the Patient and the Organization exist.
 */
import type { Coverage } from '@medplum/fhirtypes';
import { z } from 'zod';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { badRequest } from '../../fhir/outcome.js';

function isCalendarDay(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** A real calendar day, YYYY-MM-DD (2025-02-30 is refused). */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine(isCalendarDay, 'not a calendar date');

/** An ID another payer gave the member: letters, digits, `-`, `.`, `_`, starting with a letter or digit. */
const memberId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9\-._]{0,63}$/, 'a member ID of 1 to 64 letters, digits, "-", "." or "_"');

export const otherPayerInput = z
  .object({
    payer: z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/, 'Organization/<id>'),
    memberId,
    kind: z.enum(['previous', 'concurrent']),
    start: day.optional(),
    end: day.optional(),
  })
  .strict();

export type OtherPayerInput = z.infer<typeof otherPayerInput>;

/** Why these dates do not fit the kind of payer, or undefined when they do. */
export function periodProblem(input: Pick<OtherPayerInput, 'kind' | 'start' | 'end'>, today: string): string | undefined {
  if (input.start !== undefined && input.end !== undefined && input.end < input.start) return 'end is before start';
  if (input.kind === 'previous') {
    if (input.end === undefined) return 'a previous payer needs the day its coverage ended (end)';
    if (input.end >= today) return `a previous payer's coverage has ended: end must be before today (${today}); record a payer still covering the member as concurrent`;
    return undefined;
  }
  if (input.start !== undefined && input.start > today) return `a concurrent payer covers the member today: start must not be after today (${today})`;
  if (input.end !== undefined && input.end < today) return `a concurrent payer covers the member today: end must not be before today (${today}); record an ended coverage as previous`;
  return undefined;
}

/** The Coverage recording `input` for the member, or a 400 FhirError when its dates do not fit its kind. */
export function otherPayerCoverage(input: OtherPayerInput, o: { patient: string; payerName?: string; today: string }): Coverage {
  const problem = periodProblem(input, o.today);
  if (problem) throw badRequest(problem);
  const period = { ...(input.start ? { start: input.start } : {}), ...(input.end ? { end: input.end } : {}) };
  return {
    resourceType: 'Coverage',
    status: 'active',
    subscriberId: input.memberId,
    beneficiary: { reference: `Patient/${o.patient}` },
    relationship: { coding: [{ system: CODE_SYSTEM.subscriberRelationship, code: 'self', display: 'Self' }] },
    ...(Object.keys(period).length > 0 ? { period } : {}),
    payor: [{ reference: input.payer, ...(o.payerName ? { display: o.payerName } : {}) }],
  };
}
