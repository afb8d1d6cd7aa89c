/** Chronic conditions (US Core problem list Conditions) and allergies for a member. */
import type { AllergyIntolerance, Condition } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addDays, businessInstant, instant, maxDay, minDay, msOf, randomDay } from '../dates.js';
import { coding, concept, refTo } from '../fhir-values.js';
import { ageOn, type MemberRun } from '../member/member-context.js';
import { HISTORY_START } from '../member/enrollment.js';
import { ALLERGENS, CHRONIC_CONDITIONS, type ChronicCondition } from '../tables/clinical-codes.js';

/** Rough prevalence by age band: [under 18, 18–39, 40+]. */
const PREVALENCE: Readonly<Record<string, readonly [number, number, number]>> = {
  hypertension: [0, 0.08, 0.38],
  diabetes: [0.01, 0.05, 0.18],
  hyperlipidemia: [0, 0.06, 0.28],
  asthma: [0.1, 0.08, 0.07],
  depression: [0.04, 0.12, 0.1],
  anxiety: [0.05, 0.1, 0.08],
  obesity: [0.12, 0.2, 0.22],
  gerd: [0, 0.06, 0.1],
};

/** Picks the member's chronic conditions and writes their problem-list Conditions. */
export function addChronicConditions(run: MemberRun): void {
  const { rng, profile, nowDay } = run;
  const age = ageOn(profile.birthDate, nowDay);
  const band = age < 18 ? 0 : age < 40 ? 1 : 2;
  const enrolled = profile.coverages[0].start;
  for (const condition of CHRONIC_CONDITIONS) {
    if (age < condition.minAge || !rng.chance(PREVALENCE[condition.key][band])) continue;
    // Onset after the minimum age, mostly before or early in the enrollment.
    const earliest = maxDay(addDays(profile.birthDate, condition.minAge * 365), '2010-01-01');
    const latest = addDays(nowDay, -60);
    if (earliest > latest) continue;
    const early = minDay(latest, maxDay(earliest, addDays(enrolled, 365)));
    const onset = rng.chance(0.6) ? randomDay(rng, earliest, early) : randomDay(rng, earliest, latest);
    const id = run.sink.nextId('cond');
    profile.conditions.push({ id, condition, onset });
    run.sink.add(problemCondition(id, profile.id, condition, onset, maxDay(onset, HISTORY_START), run.profile.pcp?.practitionerId));
  }
}

function problemCondition(id: string, patientId: string, c: ChronicCondition, onset: string, recorded: string, recorderId: string | undefined): Condition {
  const condition: Condition = {
    resourceType: 'Condition',
    id,
    meta: { lastUpdated: instant(msOf(recorded) + 3_600_000 * 14), profile: [US_CORE_PROFILE.conditionProblems] },
    clinicalStatus: concept(CODE_SYSTEM.conditionClinical, 'active', 'Active'),
    verificationStatus: concept(CODE_SYSTEM.conditionVerification, 'confirmed', 'Confirmed'),
    category: [concept(CODE_SYSTEM.conditionCategory, 'problem-list-item', 'Problem List Item')],
    code: {
      coding: [coding(CODE_SYSTEM.snomed, c.snomed.code, c.snomed.display), coding(CODE_SYSTEM.icd10cm, c.icd10.code, c.icd10.display)],
      text: c.snomed.display,
    },
    subject: refTo('Patient', patientId),
    onsetDateTime: onset,
    recordedDate: recorded,
  };
  if (recorderId) condition.recorder = refTo('Practitioner', recorderId);
  return condition;
}

/** About one member in four has a recorded allergy. */
export function addAllergies(run: MemberRun): void {
  const { rng, profile, nowDay } = run;
  if (!rng.chance(0.25)) return;
  const allergen = rng.pick(ALLERGENS);
  const recorded = randomDay(rng, maxDay(profile.coverages[0].start, HISTORY_START), addDays(nowDay, -30));
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    id: run.sink.nextId('alg'),
    meta: { lastUpdated: businessInstant(rng, recorded), profile: [US_CORE_PROFILE.allergyIntolerance] },
    clinicalStatus: concept(CODE_SYSTEM.allergyClinical, 'active', 'Active'),
    verificationStatus: concept(CODE_SYSTEM.allergyVerification, 'confirmed', 'Confirmed'),
    type: 'allergy',
    category: [allergen.category],
    criticality: allergen.reaction.code === '39579001' ? 'high' : 'low',
    code: concept(CODE_SYSTEM.snomed, allergen.snomed.code, allergen.snomed.display),
    patient: refTo('Patient', profile.id),
    recordedDate: recorded,
    reaction: [{ manifestation: [concept(CODE_SYSTEM.snomed, allergen.reaction.code, allergen.reaction.display)] }],
  };
  run.sink.add(allergy);
}
