/**
 * C4BB ExplanationOfBenefit Inpatient Institutional and Outpatient Institutional (UB-04 claims).
 *
 * Amounts are adjudicated at the header, never also on items (C4BB invariant
 * EOB-institutional-item-or-header-adjudication). Header adjudication carries billingnetworkstatus,
 * benefitpaymentstatus and, for a denial, adjustmentreason. supportingInfo carries the NUBC
 * type of bill, point of origin, admission type (urgent care = "2", the program's admit code 02),
 * discharge status, and for inpatient the admission period and MS-DRG.
 */
import type { ExplanationOfBenefit, ExplanationOfBenefitItem } from '@medplum/fhirtypes';
import type { DenialEditCode } from '../../domain/denial-edits.js';
import { C4BB_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addDays } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';
import type { Code } from '../tables/clinical-codes.js';
import { INPATIENT_REVENUE, type InstitutionalStay, type OutpatientVisit } from '../tables/claim-codes.js';
import {
  amountAdjudications,
  claimTimes,
  denialAdjudication,
  denialNote,
  eobHeader,
  icn,
  payment,
  priceLines,
  statusAdjudication,
  sumAmounts,
  SupportingInfo,
  totals,
  type ClaimAmounts,
} from './eob-common.js';

const NOT_APPLICABLE = concept(CODE_SYSTEM.dataAbsentReason, 'not-applicable', 'Not Applicable');

const ADMISSION_TYPE_DISPLAY: Readonly<Record<string, string>> = { '1': 'Emergency', '2': 'Urgent', '3': 'Elective' };

interface RevenueLine {
  revenue: Code;
  product?: { system: string; code: string; display: string };
  quantity: number;
  charge: number;
  day?: string;
}

function institutionalItems(lines: readonly RevenueLine[], encounterId: string | undefined, denied: boolean): ExplanationOfBenefitItem[] {
  return lines.map((l, i) => {
    const item: ExplanationOfBenefitItem = {
      sequence: i + 1,
      revenue: concept(CODE_SYSTEM.nubcRevenue, l.revenue.code, l.revenue.display),
      productOrService: l.product ? concept(l.product.system, l.product.code, l.product.display) : NOT_APPLICABLE,
      quantity: { value: l.quantity },
    };
    if (l.day) item.servicedDate = l.day;
    if (encounterId) item.encounter = [refTo('Encounter', encounterId)];
    if (denied) item.noteNumber = [1];
    return item;
  });
}

function headerAdjudication(total: ClaimAmounts, denial: DenialEditCode | undefined): ExplanationOfBenefit['adjudication'] {
  const list = [statusAdjudication('billingnetworkstatus'), statusAdjudication('benefitpaymentstatus'), ...amountAdjudications(total, denial !== undefined)];
  if (denial) list.push(denialAdjudication(denial));
  return list;
}

function finish(eob: ExplanationOfBenefit, lines: readonly RevenueLine[], run: MemberRun, encounterId: string | undefined, denial: DenialEditCode | undefined, created: string): void {
  const denied = denial !== undefined;
  const total = sumAmounts(priceLines(run, lines.map((l) => l.charge), denied));
  eob.item = institutionalItems(lines, encounterId, denied);
  eob.adjudication = headerAdjudication(total, denial);
  eob.total = totals(total, denied);
  eob.payment = payment(total, denied, created);
  if (denial) eob.processNote = [denialNote(denial)];
}

export interface InpatientClaim {
  coverageId: string;
  hospitalId: string;
  attendingId: string;
  admit: string;
  discharge: string;
  stay: InstitutionalStay;
  secondary?: Code;
  encounterId?: string;
  denial?: DenialEditCode;
}

export function addInpatientEob(run: MemberRun, c: InpatientClaim): ExplanationOfBenefit {
  const id = run.sink.nextId('eob');
  const times = claimTimes(run, c.discharge);
  const eob = eobHeader(run, {
    id,
    icn: icn(run, times.received, id),
    profile: C4BB_PROFILE.eobInpatient,
    type: 'institutional',
    subType: 'inpatient',
    coverageId: c.coverageId,
    provider: { type: 'Organization', id: c.hospitalId },
    billableStart: c.admit,
    billableEnd: c.discharge,
    created: times.created,
    denied: c.denial !== undefined,
  });
  const attending = run.ctx.directory.practitioner(c.attendingId);
  eob.careTeam = [
    {
      sequence: 1,
      provider: refTo('Practitioner', c.attendingId),
      role: concept(CODE_SYSTEM.c4bbClaimCareTeamRole, 'attending', 'Attending'),
      qualification: concept(CODE_SYSTEM.nuccTaxonomy, attending.taxonomy.code, attending.taxonomy.display),
    },
  ];
  const info = new SupportingInfo();
  info.add('admissionperiod', { timingPeriod: { start: c.admit, end: c.discharge } });
  info.add('clmrecvddate', { timingDate: times.received });
  info.add('typeofbill', { code: concept(CODE_SYSTEM.nubcTypeOfBill, '0111', 'Hospital inpatient, admit through discharge claim') });
  info.add('pointoforigin', { code: concept(CODE_SYSTEM.nubcPointOfOrigin, '1', 'Non-health care facility point of origin') });
  info.add('admtype', { code: concept(CODE_SYSTEM.nubcAdmissionType, c.stay.admissionType, ADMISSION_TYPE_DISPLAY[c.stay.admissionType]) });
  info.add('discharge-status', { code: concept(CODE_SYSTEM.nubcDischargeStatus, '01', 'Discharged to home or self care') });
  info.add('drg', { code: concept(CODE_SYSTEM.msDrg, c.stay.drg.code, c.stay.drg.display) });
  eob.supportingInfo = info.entries;
  eob.diagnosis = [
    {
      sequence: 1,
      diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, c.stay.reason.code, c.stay.reason.display),
      type: [concept(CODE_SYSTEM.diagnosisType, 'principal', 'Principal Diagnosis')],
      onAdmission: concept(CODE_SYSTEM.presentOnAdmission, 'Y', 'Diagnosis was present at time of inpatient admission'),
    },
  ];
  if (c.secondary) {
    eob.diagnosis.push({
      sequence: 2,
      diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, c.secondary.code, c.secondary.display),
      type: [concept(CODE_SYSTEM.c4bbClaimDiagnosisType, 'other', 'Other')],
      onAdmission: concept(CODE_SYSTEM.presentOnAdmission, 'Y', 'Diagnosis was present at time of inpatient admission'),
    });
  }
  if (c.stay.procedure) {
    eob.procedure = [
      {
        sequence: 1,
        type: [concept(CODE_SYSTEM.c4bbClaimProcedureType, 'principal', 'Principal')],
        date: `${addDays(c.admit, c.stay.admissionType === '3' ? 0 : 1)}T15:00:00Z`,
        procedureCodeableConcept: concept(CODE_SYSTEM.icd10pcs, c.stay.procedure.code, c.stay.procedure.display),
      },
    ];
  }
  const days = Math.max(1, Math.round((Date.parse(c.discharge) - Date.parse(c.admit)) / 86_400_000));
  const lines: RevenueLine[] = [
    { revenue: INPATIENT_REVENUE.roomAndBoard, quantity: days, charge: c.stay.chargePerDay * days },
    { revenue: INPATIENT_REVENUE.pharmacy, quantity: 1, charge: 250 + run.rng.int(0, 1500) },
    { revenue: INPATIENT_REVENUE.lab, product: { system: CODE_SYSTEM.cpt, code: '80053', display: 'Comprehensive metabolic panel' }, quantity: 1, charge: 180 },
  ];
  if (c.stay.procedure) lines.push({ revenue: INPATIENT_REVENUE.operatingRoom, quantity: 1, charge: 7800 + run.rng.int(0, 4000) });
  finish(eob, lines, run, c.encounterId, c.denial, times.created);
  return run.sink.add(eob);
}

export interface OutpatientClaim {
  coverageId: string;
  hospitalId: string;
  attendingId?: string;
  day: string;
  visit: OutpatientVisit;
  diagnosis: Code;
  encounterId?: string;
  referralId?: string;
  denial?: DenialEditCode;
}

export function addOutpatientEob(run: MemberRun, c: OutpatientClaim): ExplanationOfBenefit {
  const id = run.sink.nextId('eob');
  const times = claimTimes(run, c.day);
  const eob = eobHeader(run, {
    id,
    icn: icn(run, times.received, id),
    profile: C4BB_PROFILE.eobOutpatient,
    type: 'institutional',
    subType: 'outpatient',
    coverageId: c.coverageId,
    provider: { type: 'Organization', id: c.hospitalId },
    billableStart: c.day,
    billableEnd: c.day,
    created: times.created,
    denied: c.denial !== undefined,
    referralId: c.referralId,
  });
  if (c.attendingId) {
    const attending = run.ctx.directory.practitioner(c.attendingId);
    eob.careTeam = [
      {
        sequence: 1,
        provider: refTo('Practitioner', c.attendingId),
        role: concept(CODE_SYSTEM.c4bbClaimCareTeamRole, 'attending', 'Attending'),
        qualification: concept(CODE_SYSTEM.nuccTaxonomy, attending.taxonomy.code, attending.taxonomy.display),
      },
    ];
  }
  const info = new SupportingInfo();
  info.add('clmrecvddate', { timingDate: times.received });
  info.add('typeofbill', { code: concept(CODE_SYSTEM.nubcTypeOfBill, '0131', 'Hospital outpatient, admit through discharge claim') });
  info.add('pointoforigin', { code: concept(CODE_SYSTEM.nubcPointOfOrigin, '1', 'Non-health care facility point of origin') });
  info.add('admtype', { code: concept(CODE_SYSTEM.nubcAdmissionType, c.visit.admissionType, ADMISSION_TYPE_DISPLAY[c.visit.admissionType]) });
  info.add('discharge-status', { code: concept(CODE_SYSTEM.nubcDischargeStatus, '01', 'Discharged to home or self care') });
  eob.supportingInfo = info.entries;
  eob.diagnosis = [
    {
      sequence: 1,
      diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, c.diagnosis.code, c.diagnosis.display),
      type: [concept(CODE_SYSTEM.diagnosisType, 'principal', 'Principal Diagnosis')],
    },
  ];
  const line = c.visit.line;
  const lines: RevenueLine[] = [
    { revenue: c.visit.revenue, product: { system: line.system === 'cpt' ? CODE_SYSTEM.cpt : CODE_SYSTEM.hcpcs, code: line.code, display: line.display }, quantity: 1, charge: line.charge, day: c.day },
  ];
  if (c.visit.label === 'emergency' && run.rng.chance(0.5)) {
    lines.push({ revenue: INPATIENT_REVENUE.lab, product: { system: CODE_SYSTEM.cpt, code: '85025', display: 'Complete blood count (CBC) with automated differential' }, quantity: 1, charge: 60, day: c.day });
  }
  finish(eob, lines, run, c.encounterId, c.denial, times.created);
  return run.sink.add(eob);
}
