/**
 * Pieces shared by the five C4BB ExplanationOfBenefit builders (C4BB 2.0.0/2.1.0):
 * the header (uniqueclaimid identifier, type, use = claim, patient, billablePeriod, created,
 * insurer, provider, payee, outcome, focal insurance), supportingInfo sequencing, adjudication
 * amounts (C4BBAdjudication value set), network/payment status slices, totals, payment and the
 * representation of a denial edit (adjustmentreason adjudication + processNote).
 */
import type {
  CodeableConcept,
  ExplanationOfBenefit,
  ExplanationOfBenefitItemAdjudication,
  ExplanationOfBenefitProcessNote,
  ExplanationOfBenefitSupportingInfo,
  ExplanationOfBenefitTotal,
} from '@medplum/fhirtypes';
import { denialEdit, denialReasonConcept, type DenialEditCode } from '../../domain/denial-edits.js';
import { c4bbProfileClaims } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { addDays, dayOf, HOUR_MS, instant, msOf } from '../dates.js';
import { concept, refTo, usd } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';

export interface ClaimAmounts {
  submitted: number;
  /** Allowed amount; 0 when denied. */
  eligible: number;
  /** Member cost sharing (copay). */
  copay: number;
  /** Paid to the provider. */
  paid: number;
}

export interface EobHeaderInput {
  id: string;
  icn: string;
  profile: string;
  type: 'institutional' | 'professional' | 'pharmacy' | 'oral';
  subType?: 'inpatient' | 'outpatient';
  coverageId: string;
  provider: { type: 'Organization' | 'Practitioner'; id: string };
  billableStart: string;
  billableEnd: string;
  created: string;
  denied: boolean;
  referralId?: string;
}

const TYPE_DISPLAY = { institutional: 'Institutional', professional: 'Professional', pharmacy: 'Pharmacy', oral: 'Oral' } as const;

export function eobHeader(run: MemberRun, h: EobHeaderInput): ExplanationOfBenefit {
  const eob: ExplanationOfBenefit = {
    resourceType: 'ExplanationOfBenefit',
    id: h.id,
    meta: { lastUpdated: h.created, profile: c4bbProfileClaims(h.profile) },
    identifier: [{ type: concept(CODE_SYSTEM.c4bbIdentifierType, 'uc', 'Unique Claim ID'), system: IDENTIFIER_SYSTEM.claimIcn, value: h.icn }],
    status: 'active',
    type: concept(CODE_SYSTEM.claimType, h.type, TYPE_DISPLAY[h.type], TYPE_DISPLAY[h.type]),
    use: 'claim',
    patient: refTo('Patient', run.profile.id),
    billablePeriod: { start: h.billableStart, end: h.billableEnd },
    created: h.created,
    insurer: refTo('Organization', run.ctx.directory.payer.id, 'MassHealth'),
    provider: refTo(h.provider.type, h.provider.id),
    payee: { type: concept(CODE_SYSTEM.payeeType, 'provider', 'Provider'), party: refTo(h.provider.type, h.provider.id) },
    outcome: 'complete',
    insurance: [{ focal: true, coverage: refTo('Coverage', h.coverageId) }],
  };
  if (h.subType) {
    eob.subType = concept(CODE_SYSTEM.c4bbInstitutionalClaimSubType, h.subType, h.subType === 'inpatient' ? 'Inpatient' : 'Outpatient');
  }
  if (h.referralId) eob.referral = refTo('ServiceRequest', h.referralId);
  return eob;
}

/** Builds supportingInfo entries with consecutive sequence numbers. */
export class SupportingInfo {
  readonly entries: ExplanationOfBenefitSupportingInfo[] = [];

  add(category: string, fields: Omit<ExplanationOfBenefitSupportingInfo, 'sequence' | 'category'>): number {
    const sequence = this.entries.length + 1;
    this.entries.push({ sequence, category: concept(CODE_SYSTEM.c4bbSupportingInfoType, category), ...fields });
    return sequence;
  }
}

function amount(system: string, code: string, display: string, value: number): ExplanationOfBenefitItemAdjudication {
  return { category: concept(system, code, display), amount: usd(value) };
}

/** Amount adjudications (C4BB adjudicationamounttype slice). */
export function amountAdjudications(a: ClaimAmounts, denied: boolean): ExplanationOfBenefitItemAdjudication[] {
  const list = [amount(CODE_SYSTEM.adjudication, 'submitted', 'Submitted Amount', a.submitted)];
  if (denied) {
    list.push(amount(CODE_SYSTEM.c4bbAdjudication, 'noncovered', 'Noncovered', a.submitted));
  } else {
    list.push(amount(CODE_SYSTEM.adjudication, 'eligible', 'Eligible Amount', a.eligible));
    if (a.copay > 0) list.push(amount(CODE_SYSTEM.adjudication, 'copay', 'CoPay', a.copay));
  }
  list.push(amount(CODE_SYSTEM.c4bbAdjudication, 'paidtoprovider', 'Paid to provider', a.paid));
  return list;
}

/** A network/payment status slice: benefitpaymentstatus, billingnetworkstatus or renderingnetworkstatus. */
export function statusAdjudication(slice: 'benefitpaymentstatus' | 'billingnetworkstatus' | 'renderingnetworkstatus'): ExplanationOfBenefitItemAdjudication {
  return {
    category: concept(CODE_SYSTEM.c4bbAdjudicationDiscriminator, slice),
    reason: concept(CODE_SYSTEM.c4bbPayerAdjudicationStatus, 'innetwork', 'In Network'),
  };
}

/** The denial: C4BB adjustmentreason slice whose reason carries the CARC and the MassHealth edit. */
export function denialAdjudication(code: DenialEditCode): ExplanationOfBenefitItemAdjudication {
  return { category: concept(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'adjustmentreason', 'Adjustment Reason'), reason: denialReasonConcept(code) };
}

/** processNote #1 with the edit text, referenced by the denied items' noteNumber. */
export function denialNote(code: DenialEditCode): ExplanationOfBenefitProcessNote {
  const edit = denialEdit(code);
  return { number: 1, type: 'display', text: `MassHealth EOB ${edit.code} - ${edit.display}` };
}

export function totals(a: ClaimAmounts, denied: boolean): ExplanationOfBenefitTotal[] {
  const list: ExplanationOfBenefitTotal[] = [
    { category: concept(CODE_SYSTEM.adjudication, 'submitted', 'Submitted Amount'), amount: usd(a.submitted) },
    { category: concept(CODE_SYSTEM.adjudication, 'eligible', 'Eligible Amount'), amount: usd(denied ? 0 : a.eligible) },
    { category: concept(CODE_SYSTEM.c4bbAdjudication, 'paidtoprovider', 'Paid to provider'), amount: usd(a.paid) },
    { category: concept(CODE_SYSTEM.c4bbAdjudication, 'paidbypatient', 'Paid by patient'), amount: usd(denied ? 0 : a.copay) },
  ];
  if (denied) list.push({ category: concept(CODE_SYSTEM.c4bbAdjudication, 'noncovered', 'Noncovered'), amount: usd(a.submitted) });
  return list;
}

export function payment(a: ClaimAmounts, denied: boolean, created: string): ExplanationOfBenefit['payment'] {
  const code = denied ? 'denied' : 'paid';
  return {
    type: concept(CODE_SYSTEM.c4bbPayerAdjudicationStatus, code, denied ? 'Denied' : 'Paid') as CodeableConcept,
    date: created.slice(0, 10),
    amount: usd(denied ? 0 : a.paid),
  };
}

/** Allowed amounts for billed charges: Medicaid fee schedules allow a fraction of the charge. */
export function priceLines(run: MemberRun, charges: readonly number[], denied: boolean, copay = 0): ClaimAmounts[] {
  return charges.map((charge, i) => {
    const eligible = denied ? 0 : Math.round(charge * (0.45 + run.rng.next() * 0.35) * 100) / 100;
    const cp = i === 0 && !denied ? Math.min(copay, eligible) : 0;
    return { submitted: charge, eligible, copay: cp, paid: denied ? 0 : Math.round((eligible - cp) * 100) / 100 };
  });
}

export function sumAmounts(lines: readonly ClaimAmounts[]): ClaimAmounts {
  const sum = (f: (a: ClaimAmounts) => number): number => Math.round(lines.reduce((s, a) => s + f(a), 0) * 100) / 100;
  return { submitted: sum((a) => a.submitted), eligible: sum((a) => a.eligible), copay: sum((a) => a.copay), paid: sum((a) => a.paid) };
}

export interface ClaimTimes {
  /** Day the payer received the claim (clmrecvddate). */
  received: string;
  /** Adjudication instant (EOB.created and meta.lastUpdated). */
  created: string;
}

/** Receipt 1–14 days after service, adjudication 1–20 days later, never after `now`. */
export function claimTimes(run: MemberRun, serviceEnd: string): ClaimTimes {
  const latest = run.nowMs - HOUR_MS;
  let createdMs = msOf(addDays(serviceEnd, run.rng.int(2, 34))) + run.rng.int(11, 22) * HOUR_MS;
  if (createdMs > latest) createdMs = Math.max(msOf(serviceEnd) + HOUR_MS, latest);
  const created = instant(createdMs);
  let received = addDays(serviceEnd, run.rng.int(1, 14));
  if (received > dayOf(createdMs)) received = dayOf(createdMs);
  return { received, created };
}

/** Internal control number: received year + day of year + member index + claim sequence. */
export function icn(run: MemberRun, received: string, eobId: string): string {
  const start = Date.UTC(Number(received.slice(0, 4)), 0, 1);
  const doy = Math.floor((msOf(received) - start) / 86_400_000) + 1;
  const seq = eobId.slice(eobId.lastIndexOf('-') + 1);
  return `${received.slice(2, 4)}${String(doy).padStart(3, '0')}${String(run.profile.index).padStart(6, '0')}${seq.padStart(4, '0')}`;
}
