/**
 * A member's demographics, enrollment spans (Coverage) and PCC/PCP assignment, and the
 * Patient and Coverage resources for them.
 */
import type { Coverage, Patient } from '@medplum/fhirtypes';
import { IG_EXTENSION } from '../../domain/extensions.js';
import { BENEFIT_PACKAGES, PLAN_TYPES, type PlanTypeCode } from '../../domain/plan-types.js';
import { C4BB_PROFILE, c4bbProfileClaims, US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { addDays, daysBetween, instant, maxDay, randomDay } from '../dates.js';
import { coding, concept, refTo, typedIdentifier } from '../fhir-values.js';
import { hashKey, type Rng } from '../prng.js';
import type { ProviderDirectory } from '../provider-directory.js';
import { ETHNICITIES, FAMILY, FEMALE_GIVEN, MA_PLACES, MALE_GIVEN, RACES, STREETS } from '../tables/people.js';
import { memberKey, type CoverageSpan, type MemberProfile, type MemberSpec, type PcpAssignment } from './member-context.js';

/** Claims and clinical history start here (CMS-0057-F: data with service dates from 2016-01-01). */
export const HISTORY_START = '2016-01-01';

const PLAN_WEIGHTS: ReadonlyArray<readonly [PlanTypeCode, number]> = [
  ['FFS', 22],
  ['PCC', 20],
  ['PCACO', 38],
  ['MCO', 20],
];

const BENEFIT_WEIGHTS: ReadonlyArray<readonly [(typeof BENEFIT_PACKAGES)[number], number]> = [
  [BENEFIT_PACKAGES[0], 60],
  [BENEFIT_PACKAGES[2], 20],
  [BENEFIT_PACKAGES[3], 12],
  [BENEFIT_PACKAGES[1], 8],
];

/** A unique 12-digit MassHealth member ID per index (affine permutation modulo 10^11). */
export function memberIdFor(seed: number, index: number): string {
  const offset = hashKey(seed, 'member-id') % 100_000_000_000;
  return `1${String((index * 7_368_787 + offset) % 100_000_000_000).padStart(11, '0')}`;
}

function birthDateFor(rng: Rng, nowDay: string): string {
  const age = rng.weighted<[number, number]>([
    [[0, 17], 35],
    [[18, 64], 55],
    [[65, 90], 10],
  ]);
  const years = rng.int(age[0], age[1]);
  return addDays(nowDay, -(years * 365 + rng.int(0, 364)));
}

export function makeProfile(rng: Rng, seed: number, spec: MemberSpec, nowDay: string, directory: ProviderDirectory): MemberProfile {
  const key = memberKey(spec.index);
  const gender = spec.gender ?? (rng.chance(0.52) ? 'female' : 'male');
  const birthDate = spec.birthDate ?? birthDateFor(rng, nowDay);
  const coverages = makeCoverages(rng, key, spec, nowDay, birthDate);
  return {
    index: spec.index,
    id: key,
    memberId: memberIdFor(seed, spec.index),
    given: rng.pick(gender === 'female' ? FEMALE_GIVEN : MALE_GIVEN),
    family: rng.pick(FAMILY),
    gender,
    birthDate,
    place: rng.pick(MA_PLACES),
    coverages,
    pcp: coverages.some((c) => PLAN_TYPES[c.plan].hasPrimaryCareAssignment) ? choosePcp(rng, directory, coverages) : undefined,
    conditions: [],
  };
}

function makeCoverages(rng: Rng, key: string, spec: MemberSpec, nowDay: string, birthDate: string): CoverageSpan[] {
  const latestStart = addDays(nowDay, -90);
  let start = spec.enrolledFrom ?? (rng.chance(0.35) ? randomDay(rng, '2012-01-01', HISTORY_START) : randomDay(rng, HISTORY_START, latestStart));
  start = maxDay(start, birthDate);
  let end: string | undefined;
  if (spec.enrolledFrom === undefined && rng.chance(0.12) && daysBetween(start, nowDay) > 400) {
    end = randomDay(rng, addDays(start, 180), addDays(nowDay, -1));
  }
  const benefit = rng.weighted(BENEFIT_WEIGHTS);
  const lastPlan = spec.plan ?? rng.weighted(PLAN_WEIGHTS);
  const spanEnd = end ?? nowDay;
  if (rng.chance(0.2) && daysBetween(start, spanEnd) > 400) {
    const switchDay = randomDay(rng, addDays(start, 180), addDays(spanEnd, -120));
    let firstPlan = rng.weighted(PLAN_WEIGHTS);
    if (firstPlan === lastPlan) firstPlan = lastPlan === 'FFS' ? 'PCACO' : 'FFS';
    return [
      { id: `${key}-cov-1`, plan: firstPlan, benefit, start, end: addDays(switchDay, -1) },
      { id: `${key}-cov-2`, plan: lastPlan, benefit, start: switchDay, end },
    ];
  }
  return [{ id: `${key}-cov-1`, plan: lastPlan, benefit, start, end }];
}

function choosePcp(rng: Rng, directory: ProviderDirectory, coverages: CoverageSpan[]): PcpAssignment {
  const orgs = rng.chance(0.75) ? directory.groupsWith('primary-care') : directory.orgsOfKind('chc');
  const org = rng.pick(orgs.length > 0 ? orgs : directory.groupsWith('primary-care'));
  const from = maxDay(coverages[0].start, HISTORY_START);
  const linked = directory.linkedOn(org.id, from).filter((p) => p.pcpEligible && p.links.every((l) => l.orgId !== org.id || l.end === undefined));
  const candidates = linked.length > 0 ? linked : directory.practitionersOf(org.id).filter((p) => p.pcpEligible);
  const practitioner = rng.pick(candidates.length > 0 ? candidates : directory.practitionersOf(org.id));
  return { orgId: org.id, practitionerId: practitioner.id };
}

export function patientResource(rng: Rng, profile: MemberProfile, nowMs: number): Patient {
  const race = rng.weighted(RACES);
  const ethnicity = rng.weighted(ETHNICITIES);
  const spanish = ethnicity.code === '2135-2' && rng.chance(0.5);
  const middle = rng.chance(0.4) ? [rng.pick(profile.gender === 'female' ? FEMALE_GIVEN : MALE_GIVEN)] : [];
  const patient: Patient = {
    resourceType: 'Patient',
    id: profile.id,
    meta: { lastUpdated: instant(nowMs - rng.int(1, 200) * 86_400_000), profile: [...c4bbProfileClaims(C4BB_PROFILE.patient), US_CORE_PROFILE.patient] },
    extension: [
      {
        url: IG_EXTENSION.usCoreRace,
        extension: [
          { url: 'ombCategory', valueCoding: coding(CODE_SYSTEM.ombRaceEthnicity, race.code, race.display) },
          { url: 'text', valueString: race.display },
        ],
      },
      {
        url: IG_EXTENSION.usCoreEthnicity,
        extension: [
          { url: 'ombCategory', valueCoding: coding(CODE_SYSTEM.ombRaceEthnicity, ethnicity.code, ethnicity.display) },
          { url: 'text', valueString: ethnicity.display },
        ],
      },
    ],
    identifier: [typedIdentifier(IDENTIFIER_SYSTEM.memberId, profile.memberId, 'MB', 'Member Number')],
    active: true,
    name: [{ use: 'official', family: profile.family, given: [profile.given, ...middle] }],
    telecom: [{ system: 'phone', value: `${profile.place.areaCode}-555-01${String(rng.int(0, 99)).padStart(2, '0')}`, use: 'home' }],
    gender: profile.gender,
    birthDate: profile.birthDate,
    address: [
      {
        use: 'home',
        line: [`${rng.int(1, 999)} ${rng.pick(STREETS)}${rng.chance(0.3) ? ` Apt ${rng.int(1, 40)}` : ''}`],
        city: profile.place.city,
        state: 'MA',
        postalCode: profile.place.postalCode,
        country: 'US',
      },
    ],
    communication: [{ language: concept('urn:ietf:bcp:47', spanish ? 'es' : 'en', spanish ? 'Spanish' : 'English'), preferred: true }],
  };
  if (profile.pcp) {
    patient.generalPractitioner = [refTo('Practitioner', profile.pcp.practitionerId), refTo('Organization', profile.pcp.orgId)];
  }
  return patient;
}

export function coverageResource(span: CoverageSpan, profile: MemberProfile, payerId: string, lastUpdatedMs: number): Coverage {
  const plan = PLAN_TYPES[span.plan];
  return {
    resourceType: 'Coverage',
    id: span.id,
    meta: { lastUpdated: instant(lastUpdatedMs), profile: [...c4bbProfileClaims(C4BB_PROFILE.coverage), US_CORE_PROFILE.coverage] },
    identifier: [typedIdentifier(IDENTIFIER_SYSTEM.memberId, profile.memberId, 'MB', 'Member Number')],
    status: 'active',
    type: concept(CODE_SYSTEM.sourceOfPayment, plan.sourceOfPayment.code, plan.sourceOfPayment.display),
    subscriberId: profile.memberId,
    beneficiary: refTo('Patient', profile.id),
    relationship: concept(CODE_SYSTEM.subscriberRelationship, 'self', 'Self'),
    period: span.end === undefined ? { start: span.start } : { start: span.start, end: span.end },
    payor: [refTo('Organization', payerId, 'MassHealth')],
    class: [
      { type: concept(CODE_SYSTEM.coverageClass, 'group', 'Group'), value: span.benefit.code, name: span.benefit.display },
      {
        type: concept(CODE_SYSTEM.coverageClass, 'plan', 'Plan'),
        value: plan.code,
        name: plan.display,
      },
    ],
  };
}
