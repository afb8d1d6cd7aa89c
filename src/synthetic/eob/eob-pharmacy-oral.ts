/**
 * C4BB ExplanationOfBenefit Pharmacy (NCPDP) and Oral (ADA dental) claims.
 *
 * Pharmacy: the pharmacy bills, the prescriber is careTeam role `prescribing`
 * (EOB-pharm-careTeam-practitioner), supportingInfo carries days supply, DAW code, refill
 * number/authorized and compound code; items are NDC with quantity dispensed.
 * Oral: CDT items with place of service and tooth, rendering dentist, item and header
 * benefitpaymentstatus.
 */
import type { ExplanationOfBenefit, ExplanationOfBenefitItem } from '@medplum/fhirtypes';
import { C4BB_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';
import type { Code, Drug } from '../tables/clinical-codes.js';
import { DENTAL_EXAM } from '../tables/clinical-codes.js';
import { PLACE_OF_SERVICE } from '../tables/claim-codes.js';
import { amountAdjudications, claimTimes, eobHeader, icn, payment, priceLines, statusAdjudication, sumAmounts, SupportingInfo, totals } from './eob-common.js';

export interface PharmacyClaim {
  coverageId: string;
  pharmacyId: string;
  prescriberId: string;
  day: string;
  drug: Drug;
  fillNumber: number;
  copay: number;
}

export function addPharmacyEob(run: MemberRun, c: PharmacyClaim): ExplanationOfBenefit {
  const id = run.sink.nextId('eob');
  const times = claimTimes(run, c.day);
  const eob = eobHeader(run, {
    id,
    icn: icn(run, times.received, id),
    profile: C4BB_PROFILE.eobPharmacy,
    type: 'pharmacy',
    coverageId: c.coverageId,
    provider: { type: 'Organization', id: c.pharmacyId },
    billableStart: c.day,
    billableEnd: c.day,
    created: times.created,
    denied: false,
  });
  eob.careTeam = [{ sequence: 1, provider: refTo('Practitioner', c.prescriberId), role: concept(CODE_SYSTEM.c4bbClaimCareTeamRole, 'prescribing', 'Prescribing provider') }];
  const info = new SupportingInfo();
  info.add('dayssupply', { valueQuantity: { value: c.drug.daysSupply, unit: 'days', system: CODE_SYSTEM.ucum, code: 'd' } });
  info.add('dawcode', { code: concept(CODE_SYSTEM.ncpdpDispensedAsWritten, '0', 'No Product Selection Indicated') });
  info.add('refillnum', { valueQuantity: { value: c.fillNumber } });
  info.add('refillsauthorized', { valueQuantity: { value: 11 } });
  info.add('clmrecvddate', { timingDate: times.received });
  info.add('compoundcode', { code: concept(CODE_SYSTEM.ncpdpCompound, '1', 'Not a Compound') });
  eob.supportingInfo = info.entries;
  const [priced] = priceLines(run, [Math.round(c.drug.cost * 1.35 * 100) / 100 + 2], false, c.copay);
  const item: ExplanationOfBenefitItem = {
    sequence: 1,
    productOrService: concept(CODE_SYSTEM.ndc, c.drug.ndc.replace(/-/g, ''), c.drug.rxnorm.display),
    servicedDate: c.day,
    quantity: { value: c.drug.quantity },
    adjudication: amountAdjudications(priced, false),
  };
  eob.item = [item];
  eob.adjudication = [statusAdjudication('billingnetworkstatus'), statusAdjudication('benefitpaymentstatus')];
  const total = sumAmounts([priced]);
  eob.total = totals(total, false);
  eob.payment = payment(total, false, times.created);
  return run.sink.add(eob);
}

export interface OralClaim {
  coverageId: string;
  dentalOrgId: string;
  dentistId: string;
  day: string;
  services: ReadonlyArray<{ code: string; display: string; charge: number; tooth?: string }>;
}

const TOOTH_DISPLAY = 'ADA Universal tooth number';

export function addOralEob(run: MemberRun, c: OralClaim): ExplanationOfBenefit {
  const id = run.sink.nextId('eob');
  const times = claimTimes(run, c.day);
  const eob = eobHeader(run, {
    id,
    icn: icn(run, times.received, id),
    profile: C4BB_PROFILE.eobOral,
    type: 'oral',
    coverageId: c.coverageId,
    provider: { type: 'Organization', id: c.dentalOrgId },
    billableStart: c.day,
    billableEnd: c.day,
    created: times.created,
    denied: false,
  });
  const dentist = run.ctx.directory.practitioner(c.dentistId);
  eob.careTeam = [
    {
      sequence: 1,
      provider: refTo('Practitioner', c.dentistId),
      role: concept(CODE_SYSTEM.c4bbClaimCareTeamRole, 'rendering', 'Rendering provider'),
      qualification: concept(CODE_SYSTEM.nuccTaxonomy, dentist.taxonomy.code, dentist.taxonomy.display),
    },
  ];
  const info = new SupportingInfo();
  info.add('clmrecvddate', { timingDate: times.received });
  eob.supportingInfo = info.entries;
  const exam: Code = DENTAL_EXAM;
  eob.diagnosis = [{ sequence: 1, diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, exam.code, exam.display), type: [concept(CODE_SYSTEM.diagnosisType, 'principal', 'Principal Diagnosis')] }];
  const priced = priceLines(run, c.services.map((s) => s.charge), false);
  eob.item = c.services.map((s, i): ExplanationOfBenefitItem => {
    const item: ExplanationOfBenefitItem = {
      sequence: i + 1,
      careTeamSequence: [1],
      diagnosisSequence: [1],
      productOrService: concept(CODE_SYSTEM.cdt, s.code, s.display),
      servicedDate: c.day,
      locationCodeableConcept: concept(CODE_SYSTEM.placeOfService, PLACE_OF_SERVICE.OFFICE.code, PLACE_OF_SERVICE.OFFICE.display),
      adjudication: [...amountAdjudications(priced[i], false), statusAdjudication('benefitpaymentstatus')],
    };
    if (s.tooth) item.bodySite = concept(CODE_SYSTEM.adaToothNumber, s.tooth, `${TOOTH_DISPLAY} ${s.tooth}`);
    return item;
  });
  eob.adjudication = [statusAdjudication('billingnetworkstatus'), statusAdjudication('renderingnetworkstatus'), statusAdjudication('benefitpaymentstatus')];
  const total = sumAmounts(priced);
  eob.total = totals(total, false);
  eob.payment = payment(total, false, times.created);
  return run.sink.add(eob);
}
