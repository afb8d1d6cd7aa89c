/**
 * Social history: the member's tobacco smoking status (US Core Smoking Status Observation,
 * category social-history). USCDI asks for it for patients 13 and older.
 */
import type { Observation } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addDays, businessInstant, maxDay, minDay, msOf, instant, randomDay } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import { HISTORY_START } from '../member/enrollment.js';
import { ageOn, type MemberRun } from '../member/member-context.js';
import { Rng } from '../prng.js';
import { SMOKING_STATUS, type Code } from '../tables/clinical-codes.js';

const MIN_AGE = 13;

/** Share of adult Medicaid members by status (roughly the program's survey figures). */
const STATUS_WEIGHTS: ReadonlyArray<readonly [Code, number]> = [
  [SMOKING_STATUS.never, 58],
  [SMOKING_STATUS.former, 20],
  [SMOKING_STATUS.daily, 22],
];

/** The days the member was enrolled and could have been seen, within the Patient Access window. */
export function enrolledWindow(run: MemberRun): { from: string; to: string } | undefined {
  const { profile, nowDay } = run;
  const last = profile.coverages[profile.coverages.length - 1];
  const from = maxDay(profile.coverages[0].start, HISTORY_START);
  const to = minDay(last.end ?? nowDay, addDays(nowDay, -1));
  return from <= to ? { from, to } : undefined;
}

/** One smoking status observation for members 13 or older, recorded on a day of their enrollment. */
export function addSmokingStatus(run: MemberRun): void {
  // A stream of its own, so adding social history did not change any other generated value.
  const rng = Rng.derive(run.ctx.seed, 'smoking-status', run.profile.index);
  const window = enrolledWindow(run);
  if (!window) return;
  const from = maxDay(window.from, addDays(run.profile.birthDate, MIN_AGE * 366));
  if (from > window.to) return;
  const day = randomDay(rng, from, window.to);
  if (ageOn(run.profile.birthDate, day) < MIN_AGE) return;
  const status = rng.weighted(STATUS_WEIGHTS);
  const at = businessInstant(rng, day);
  const observation: Observation = {
    resourceType: 'Observation',
    id: run.sink.nextId('obs'),
    meta: { lastUpdated: instant(msOf(at) + 1_800_000), profile: [US_CORE_PROFILE.smokingStatus] },
    status: 'final',
    category: [concept(CODE_SYSTEM.observationCategory, 'social-history', 'Social History')],
    code: concept(CODE_SYSTEM.loinc, SMOKING_STATUS.code.code, SMOKING_STATUS.code.display, SMOKING_STATUS.code.display),
    subject: refTo('Patient', run.profile.id),
    effectiveDateTime: at,
    issued: at,
    valueCodeableConcept: concept(CODE_SYSTEM.snomed, status.code, status.display, status.display),
  };
  run.sink.add(observation);
}
