/** MedicationRequest, Immunization and Procedure (US Core) for a member. */
import type { Immunization, MedicationRequest, Procedure } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { instant, msOf } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';
import type { Code, Drug } from '../tables/clinical-codes.js';

export interface Prescription {
  id: string;
  drug: Drug;
  prescriberId: string;
  /** Day the prescription was written. */
  authoredOn: string;
}

/** A prescription (community MedicationRequest); returned for the pharmacy claims that fill it. */
export function addMedicationRequest(run: MemberRun, drug: Drug, reason: Code, prescriberId: string, authoredOn: string, active: boolean): Prescription {
  const id = run.sink.nextId('med');
  const request: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id,
    meta: { lastUpdated: instant(msOf(authoredOn) + 15 * 3_600_000), profile: [US_CORE_PROFILE.medicationRequest] },
    status: active ? 'active' : 'completed',
    intent: 'order',
    category: [concept('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationCodeableConcept: concept(CODE_SYSTEM.rxnorm, drug.rxnorm.code, drug.rxnorm.display, drug.rxnorm.display),
    subject: refTo('Patient', run.profile.id),
    authoredOn,
    requester: refTo('Practitioner', prescriberId),
    reasonCode: [concept(CODE_SYSTEM.icd10cm, reason.code, reason.display)],
    dosageInstruction: [{ text: drug.quantity > drug.daysSupply ? 'Take 1 tablet by mouth twice daily' : 'Use as directed once daily' }],
    dispenseRequest: {
      numberOfRepeatsAllowed: 11,
      quantity: { value: drug.quantity, unit: 'each', system: CODE_SYSTEM.ucum, code: '{each}' },
      expectedSupplyDuration: { value: drug.daysSupply, unit: 'days', system: CODE_SYSTEM.ucum, code: 'd' },
    },
  };
  run.sink.add(request);
  return { id, drug, prescriberId, authoredOn };
}

export function addImmunization(run: MemberRun, vaccine: Code, at: string, encounterId: string | undefined, performerId: string | undefined, locationId: string | undefined): void {
  const imm: Immunization = {
    resourceType: 'Immunization',
    id: run.sink.nextId('imm'),
    meta: { lastUpdated: instant(msOf(at) + 2 * 3_600_000), profile: [US_CORE_PROFILE.immunization] },
    status: 'completed',
    vaccineCode: concept(CODE_SYSTEM.cvx, vaccine.code, vaccine.display, vaccine.display),
    patient: refTo('Patient', run.profile.id),
    occurrenceDateTime: at,
    primarySource: true,
  };
  if (encounterId) imm.encounter = refTo('Encounter', encounterId);
  if (locationId) imm.location = refTo('Location', locationId);
  if (performerId) imm.performer = [{ actor: refTo('Practitioner', performerId) }];
  run.sink.add(imm);
}

export function addProcedure(
  run: MemberRun,
  code: { system: string; code: string; display: string },
  at: string,
  encounterId: string | undefined,
  performerId: string | undefined,
  reason: Code | undefined,
): void {
  const proc: Procedure = {
    resourceType: 'Procedure',
    id: run.sink.nextId('proc'),
    meta: { lastUpdated: instant(msOf(at) + 4 * 3_600_000), profile: [US_CORE_PROFILE.procedure] },
    status: 'completed',
    code: concept(code.system, code.code, code.display, code.display),
    subject: refTo('Patient', run.profile.id),
    performedDateTime: at,
  };
  if (encounterId) proc.encounter = refTo('Encounter', encounterId);
  if (performerId) proc.performer = [{ actor: refTo('Practitioner', performerId) }];
  if (reason) proc.reasonCode = [concept(CODE_SYSTEM.icd10cm, reason.code, reason.display)];
  run.sink.add(proc);
}
