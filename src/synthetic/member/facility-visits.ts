/** Hospital outpatient visits and inpatient stays: institutional EOBs plus their clinical data. */
import type { DenialEditCode } from '../../domain/denial-edits.js';
import { isReferralRequired } from '../../domain/referral-rules.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addClinicalNote, addEncounter } from '../clinical/encounters.js';
import { addVitalSigns } from '../clinical/observations.js';
import { addProcedure } from '../clinical/orders.js';
import { addDays, businessInstant, HOUR_MS, instant, minDay, msOf } from '../dates.js';
import { addInpatientEob, addOutpatientEob } from '../eob/eob-institutional.js';
import type { DirectoryPractitioner } from '../provider-directory.js';
import { ACUTE_REASONS, DOCUMENT_TYPES, OTHER_DIAGNOSES, type Code } from '../tables/clinical-codes.js';
import { INPATIENT_STAYS, OUTPATIENT_VISITS, type OutpatientVisit } from '../tables/claim-codes.js';
import type { PlannedClaim } from './claim-plan.js';
import { ageOn } from './member-context.js';
import { conditionsOn, locationFor, staffOn, type ServiceState } from './service-state.js';

function attendingOn(state: ServiceState, hospitalId: string, day: string, preferTaxonomy: string): DirectoryPractitioner | undefined {
  const linked = state.run.ctx.directory.linkedOn(hospitalId, day);
  const preferred = linked.filter((p) => p.taxonomy.code === preferTaxonomy);
  const physicians = linked.filter((p) => p.providerType.code === 'PT-01');
  const pool = preferred.length > 0 ? preferred : physicians;
  return pool.length > 0 ? state.run.rng.pick(pool) : staffOn(state, hospitalId, day);
}

export function addOutpatientVisit(state: ServiceState, planned: PlannedClaim, force?: DenialEditCode): void {
  const { run } = state;
  const { rng, ctx, profile } = run;
  const day = planned.day;
  const age = ageOn(profile.birthDate, day);
  const visits = OUTPATIENT_VISITS.filter((v) => v.label !== 'colonoscopy' || age >= 45);
  const weights: Record<string, number> = { emergency: 45, 'urgent-care': 20, clinic: 25, colonoscopy: 10 };
  const visit: OutpatientVisit = rng.weighted(visits.map((v) => [v, weights[v.label] ?? 10] as const));
  const hospital = rng.pick(ctx.directory.orgsOfKind('hospital'));
  const emergencyLike = visit.admissionType !== '3';
  const attending = attendingOn(state, hospital.id, day, emergencyLike ? '207P00000X' : '208M00000X');
  const acute = rng.pick(ACUTE_REASONS);
  const chronic = conditionsOn(state, day);
  const diagnosis: Code = visit.label === 'colonoscopy' ? OTHER_DIAGNOSES.colonScreening : emergencyLike || chronic.length === 0 ? acute.icd10 : rng.pick(chronic).condition.icd10;

  // Emergency (admission type 1) and urgent care (2, "admit code 02") need no referral.
  let denial: DenialEditCode | undefined;
  let referralId: string | undefined;
  const required = isReferralRequired({
    plan: planned.coverage.plan,
    serviceDate: day,
    byPrimaryCareProvider: false,
    admissionType: visit.admissionType,
    exempt: visit.admissionType === '1',
  });
  if (required) {
    referralId = state.referrals.referralFor(
      { orgId: hospital.id, serviceDay: day, coverageId: planned.coverage.id, service: { system: CODE_SYSTEM.cpt, code: visit.line.code, display: visit.line.display }, reason: diagnosis, label: hospital.name },
      force === '1200' ? 0 : 0.9,
    );
    if (!referralId) denial = '1200';
  }
  if (denial) state.denials.add(denial);

  const start = businessInstant(rng, day);
  const end = instant(msOf(start) + rng.int(2, 8) * HOUR_MS);
  const encounterVisit = {
    cls: emergencyLike ? ('EMER' as const) : ('AMB' as const),
    start,
    end,
    type: { system: CODE_SYSTEM.cpt, code: visit.line.code, display: visit.line.display },
    reason: diagnosis.code === acute.icd10.code ? acute : { icd10: diagnosis },
    orgId: hospital.id,
    locationId: locationFor(hospital, attending),
    practitionerId: attending?.id,
    acute: diagnosis.code === acute.icd10.code,
  };
  const encounterId = addEncounter(run, encounterVisit);
  if (emergencyLike) addVitalSigns(run, encounterId, start);
  if (visit.label === 'colonoscopy') {
    addProcedure(run, { system: CODE_SYSTEM.cpt, code: visit.line.code, display: visit.line.display }, start, encounterId, attending?.id, diagnosis);
  }
  addOutpatientEob(run, {
    coverageId: planned.coverage.id,
    hospitalId: hospital.id,
    attendingId: attending?.id,
    day,
    visit,
    diagnosis,
    encounterId,
    referralId,
    denial,
  });
}

export function addInpatientStay(state: ServiceState, planned: PlannedClaim): void {
  const { run } = state;
  const { rng, ctx, profile } = run;
  const admit = planned.day;
  const age = ageOn(profile.birthDate, admit);
  const stays = INPATIENT_STAYS.filter((s) => (s.reason.code === 'O80' ? profile.gender === 'female' && age >= 16 && age <= 45 : s.drg.code === '470' ? age >= 50 : true));
  const stay = rng.pick(stays);
  const coverageEnd = planned.coverage.end ?? addDays(run.nowDay, -5);
  const discharge = minDay(addDays(admit, rng.int(stay.days[0], stay.days[1])), minDay(coverageEnd, addDays(run.nowDay, -3)));
  const hospital = rng.pick(ctx.directory.orgsOfKind('hospital'));
  const attending = attendingOn(state, hospital.id, admit, '208M00000X');
  if (!attending) return;
  const start = instant(msOf(admit) + rng.int(0, 23) * HOUR_MS);
  const end = instant(Math.max(msOf(discharge) + rng.int(14, 20) * HOUR_MS, msOf(start) + 6 * HOUR_MS));
  const encounterVisit = {
    cls: 'IMP' as const,
    start,
    end,
    type: { system: CODE_SYSTEM.cpt, code: '99223', display: 'Initial hospital inpatient or observation care, high MDM' },
    reason: { icd10: stay.reason },
    orgId: hospital.id,
    locationId: locationFor(hospital, attending),
    practitionerId: attending.id,
    acute: true,
  };
  const encounterId = addEncounter(run, encounterVisit);
  addVitalSigns(run, encounterId, start);
  addClinicalNote(run, encounterId, encounterVisit, DOCUMENT_TYPES.dischargeSummary);
  if (stay.procedure) {
    addProcedure(run, { system: CODE_SYSTEM.icd10pcs, code: stay.procedure.code, display: stay.procedure.display }, instant(msOf(start) + 5 * HOUR_MS), encounterId, attending.id, stay.reason);
  }
  const chronic = conditionsOn(state, admit);
  addInpatientEob(run, {
    coverageId: planned.coverage.id,
    hospitalId: hospital.id,
    attendingId: attending.id,
    admit,
    discharge,
    stay,
    secondary: chronic.length > 0 ? rng.pick(chronic).condition.icd10 : undefined,
    encounterId,
  });
}
