/**
 * Visits as US Core resources: Encounter, the encounter-diagnosis Condition for acute visits,
 * and a clinical note (DocumentReference) for some visits.
 */
import type { Condition, DocumentReference, Encounter } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { addDays, instant, msOf } from '../dates.js';
import { coding, concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';
import type { Code } from '../tables/clinical-codes.js';
import { DOCUMENT_TYPES } from '../tables/clinical-codes.js';

export type VisitClass = 'AMB' | 'EMER' | 'IMP';

const CLASS_DISPLAY: Readonly<Record<VisitClass, string>> = { AMB: 'ambulatory', EMER: 'emergency', IMP: 'inpatient encounter' };

export interface Visit {
  cls: VisitClass;
  /** Start instant. */
  start: string;
  /** End instant. */
  end: string;
  type: { system: string; code: string; display: string };
  reason: { icd10: Code; snomed?: Code };
  orgId: string;
  locationId: string;
  practitionerId?: string;
  /** Acute reason: also write an encounter-diagnosis Condition. */
  acute: boolean;
}

/** Writes the Encounter (and acute diagnosis) and returns the Encounter id. */
export function addEncounter(run: MemberRun, v: Visit): string {
  const id = run.sink.nextId('enc');
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id,
    meta: { lastUpdated: instant(msOf(v.end) + 2 * 3_600_000), profile: [US_CORE_PROFILE.encounter] },
    identifier: [{ system: IDENTIFIER_SYSTEM.encounterId, value: id.toUpperCase() }],
    status: 'finished',
    class: coding(CODE_SYSTEM.actCode, v.cls, CLASS_DISPLAY[v.cls]),
    type: [concept(v.type.system, v.type.code, v.type.display)],
    subject: refTo('Patient', run.profile.id),
    period: { start: v.start, end: v.end },
    reasonCode: [concept(CODE_SYSTEM.icd10cm, v.reason.icd10.code, v.reason.icd10.display)],
    location: [{ location: refTo('Location', v.locationId) }],
    serviceProvider: refTo('Organization', v.orgId),
  };
  if (v.practitionerId) {
    const role = v.cls === 'IMP' ? ['ATND', 'attender'] : ['PPRF', 'primary performer'];
    encounter.participant = [
      { type: [concept(CODE_SYSTEM.participationType, role[0], role[1])], individual: refTo('Practitioner', v.practitionerId), period: { start: v.start, end: v.end } },
    ];
  }
  if (v.cls === 'IMP') {
    encounter.hospitalization = { dischargeDisposition: concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'home', 'Home') };
  }
  run.sink.add(encounter);
  if (v.acute) addEncounterDiagnosis(run, id, v);
  return id;
}

function addEncounterDiagnosis(run: MemberRun, encounterId: string, v: Visit): void {
  const day = v.start.slice(0, 10);
  const codings = [coding(CODE_SYSTEM.icd10cm, v.reason.icd10.code, v.reason.icd10.display)];
  if (v.reason.snomed) codings.unshift(coding(CODE_SYSTEM.snomed, v.reason.snomed.code, v.reason.snomed.display));
  const condition: Condition = {
    resourceType: 'Condition',
    id: run.sink.nextId('cond'),
    meta: { lastUpdated: instant(msOf(v.end) + 3 * 3_600_000), profile: [US_CORE_PROFILE.conditionEncounterDiagnosis] },
    clinicalStatus: concept(CODE_SYSTEM.conditionClinical, 'resolved', 'Resolved'),
    verificationStatus: concept(CODE_SYSTEM.conditionVerification, 'confirmed', 'Confirmed'),
    category: [concept(CODE_SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')],
    code: { coding: codings, text: v.reason.snomed?.display ?? v.reason.icd10.display },
    subject: refTo('Patient', run.profile.id),
    encounter: refTo('Encounter', encounterId),
    onsetDateTime: day,
    abatementDateTime: addDays(day, run.rng.int(5, 21)),
    recordedDate: v.start,
  };
  run.sink.add(condition);
}

const NOTE_TEXT: Readonly<Record<string, string>> = {
  [DOCUMENT_TYPES.progressNote.code]: 'Progress note. Patient seen for the visit reason below. Vital signs reviewed. Plan discussed with the patient.',
  [DOCUMENT_TYPES.dischargeSummary.code]: 'Discharge summary. Admitted for the reason below, treated, and discharged home in stable condition with follow-up in primary care.',
  [DOCUMENT_TYPES.consultNote.code]: 'Consult note. Referred by the primary care clinician; findings and recommendations sent to the referring clinician.',
};

/** A short synthetic clinical note for the encounter. */
export function addClinicalNote(run: MemberRun, encounterId: string, v: Visit, type: Code): void {
  const text = `${NOTE_TEXT[type.code] ?? type.display}\nReason: ${v.reason.icd10.display} (${v.reason.icd10.code}).\nSynthetic demo data - not a real patient.`;
  const id = run.sink.nextId('doc');
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id,
    meta: { lastUpdated: instant(msOf(v.end) + 6 * 3_600_000), profile: [US_CORE_PROFILE.documentReference] },
    identifier: [{ system: IDENTIFIER_SYSTEM.documentId, value: id.toUpperCase() }],
    status: 'current',
    docStatus: 'final',
    type: concept(CODE_SYSTEM.loinc, type.code, type.display),
    category: [concept(CODE_SYSTEM.usCoreDocumentCategory, 'clinical-note', 'Clinical Note')],
    subject: refTo('Patient', run.profile.id),
    date: instant(msOf(v.end) + 3_600_000),
    content: [
      {
        attachment: { contentType: 'text/plain', data: Buffer.from(text, 'utf8').toString('base64'), title: type.display, creation: v.end },
        format: coding('http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', 'urn:ihe:iti:xds:2017:mimeTypeSufficient', 'mimeType Sufficient'),
      },
    ],
    context: { encounter: [refTo('Encounter', encounterId)], period: { start: v.start, end: v.end } },
  };
  if (v.practitionerId) doc.author = [refTo('Practitioner', v.practitionerId)];
  doc.custodian = refTo('Organization', v.orgId);
  run.sink.add(doc);
}
