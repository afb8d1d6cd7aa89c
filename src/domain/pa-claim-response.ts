/**
 * The state of a prior-authorization request as the PAS ClaimResponse carries it, both ways: built from
 * the state (`paClaimResponseFrom`) and read back from a stored ClaimResponse (`paStateOf`), so the
 * ClaimResponse in the FHIR store stays the one record of a request (its PDex view, the reviewer queue,
 * the deadlines and the metrics all read it). Pure.
 *
 * Per item: the PAS review action (X12 306: A1 certified, A3 not certified, A4 pended, A6 modified,
 * C cancelled) on `item.adjudication`, the program's specific denial reason, and for approvals the
 * PAS issue date, period and authorized quantity. For the request: the program's decision, priority,
 * submission, due and decision instants, timeframe extension and appeal (PROGRAM_EXTENSION), and the PA
 * number once determined.
 */
import { createHash } from 'node:crypto';
import type { ClaimResponse, ClaimResponseItem, CodeableConcept, Extension, Organization, Patient, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';
import { IG_EXTENSION, PROGRAM_EXTENSION } from './extensions.js';
import { PA_DECISIONS, PA_DENIAL_REASONS, type PaAppealStatus, type PaDecisionCode, type PaDenialReasonCode, type PaPriority } from './prior-auth-rules.js';
import { DAVINCI_PROFILE } from './profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from './systems.js';

export type PaItemDecision = 'approved' | 'partially-approved' | 'denied' | 'pended' | 'cancelled';

export interface PaItemState {
  sequence: number;
  decision: PaItemDecision;
  denialReason?: PaDenialReasonCode;
  approvedQuantity?: number;
  unit?: string;
  approvedPeriod?: { start: string; end: string };
  /** How much of the approved quantity claims have used so far (0 when absent). */
  usedQuantity?: number;
  /** Plain-language note for the provider (why pended, what is needed). */
  note?: string;
}

export interface PaState {
  id: string;
  claimId: string;
  trackingNumber: string;
  /** Identifiers the submitter gave its Claim (echoed back, matched by $inquire). */
  submitterIdentifiers: Array<{ system?: string; value: string }>;
  paNumber?: string;
  priority: PaPriority;
  submittedAt: string;
  dueAt: string;
  decidedAt?: string;
  /** Set when the request was withdrawn or cancelled rather than determined. */
  closed?: 'withdrawn' | 'cancelled';
  extension?: { extendedAt: string; reason: string };
  appeal?: { status: PaAppealStatus; filedAt: string; decidedAt?: string; appealResponse?: string };
  /** For an appeal: the ClaimResponse it appeals. */
  appealOf?: string;
  patient: Reference<Patient>;
  insurer: Reference<Organization>;
  requestor: Reference<Organization | PractitionerRole | Practitioner>;
  claimType: CodeableConcept;
  items: PaItemState[];
  /** Questionnaires (canonical) the provider was asked to complete. */
  documentationRequested?: string[];
}

/** The PA number a request gets when first determined: `PA` + the day (YYYYMMDD) + 6 characters of its id's hash. */
export function paNumberFor(requestId: string, determinedAt: Date): string {
  return `PA${determinedAt.toISOString().slice(0, 10).replace(/-/g, '')}${createHash('sha256').update(requestId).digest('hex').slice(0, 6).toUpperCase()}`;
}

/** The request's decision from its items: pended while any item is; otherwise approved, denied or partly. */
export function requestDecision(s: Pick<PaState, 'items' | 'closed'>): PaDecisionCode {
  if (s.closed) return s.closed;
  const live = s.items.filter((i) => i.decision !== 'cancelled');
  if (live.length === 0) return 'withdrawn';
  if (live.some((i) => i.decision === 'pended')) return 'pended';
  if (live.every((i) => i.decision === 'approved')) return 'approved';
  if (live.every((i) => i.decision === 'denied')) return 'denied';
  return 'partially-approved';
}

const ITEM_ACTION: Readonly<Record<PaItemDecision, { code: string; display: string }>> = {
  approved: PA_DECISIONS.approved.x12ReviewAction,
  'partially-approved': PA_DECISIONS['partially-approved'].x12ReviewAction,
  denied: PA_DECISIONS.denied.x12ReviewAction,
  pended: PA_DECISIONS.pended.x12ReviewAction,
  cancelled: PA_DECISIONS.cancelled.x12ReviewAction,
};

const coded = (system: string, code: string, display?: string, text?: string): CodeableConcept => ({ coding: [{ system, code, ...(display ? { display } : {}) }], ...(text ? { text } : {}) });

function itemOf(s: PaState, i: PaItemState): ClaimResponseItem {
  const action = ITEM_ACTION[i.decision];
  const reviewAction: Extension = {
    url: IG_EXTENSION.pasReviewAction,
    extension: [{ url: IG_EXTENSION.pasReviewActionCode, valueCodeableConcept: coded(CODE_SYSTEM.x12ReviewAction, action.code, action.display) }],
  };
  if (s.paNumber && i.decision !== 'pended' && i.decision !== 'cancelled') reviewAction.extension?.push({ url: 'number', valueString: s.paNumber });
  const adjudication: NonNullable<ClaimResponseItem['adjudication']>[number] = { category: coded(CODE_SYSTEM.adjudication, 'submitted', 'Submitted Amount'), extension: [reviewAction] };
  const reason = i.denialReason ? PA_DENIAL_REASONS.find((d) => d.code === i.denialReason) : undefined;
  if (reason) adjudication.reason = coded(PROGRAM_CODE_SYSTEM.paDenialReason, reason.code, reason.display, reason.text);
  const item: ClaimResponseItem = { itemSequence: i.sequence, adjudication: [adjudication] };
  if ((i.decision === 'approved' || i.decision === 'partially-approved') && s.decidedAt) {
    item.extension = [
      { url: IG_EXTENSION.pasItemPreAuthIssueDate, valueDate: s.decidedAt.slice(0, 10) },
      ...(i.approvedPeriod ? [{ url: IG_EXTENSION.pasItemPreAuthPeriod, valuePeriod: i.approvedPeriod }] : []),
      ...(i.approvedQuantity !== undefined ? [{ url: IG_EXTENSION.pasItemAuthorizedDetail, extension: [{ url: 'quantity', valueQuantity: { value: i.approvedQuantity, ...(i.unit ? { unit: i.unit } : {}) } }] }] : []),
      { url: PROGRAM_EXTENSION.paQuantityUsed, valueDecimal: i.usedQuantity ?? 0 },
    ];
  }
  if (i.note) item.noteNumber = [i.sequence];
  return item;
}

function disposition(s: PaState, decision: PaDecisionCode): string {
  switch (decision) {
    case 'approved':
      return 'Approved as requested.';
    case 'partially-approved':
      return 'Approved with modifications: see each item.';
    case 'denied': {
      const reasons = [...new Set(s.items.map((i) => PA_DENIAL_REASONS.find((d) => d.code === i.denialReason)?.text).filter(Boolean))];
      return `Denied: ${reasons.join(' ') || 'see each item.'}`;
    }
    case 'pended':
      return s.documentationRequested?.length ? 'Pended: documentation is needed (see the notes).' : 'Pended: the request is under clinical review.';
    case 'withdrawn':
      return 'Withdrawn by the requesting provider before a determination.';
    case 'cancelled':
      return 'Cancelled by the program.';
  }
}

/** The PAS ClaimResponse for a request's state. */
export function paClaimResponseFrom(s: PaState): ClaimResponse {
  const decision = requestDecision(s);
  const extension: Extension[] = [
    { url: PROGRAM_EXTENSION.paDecision, valueCode: decision },
    { url: PROGRAM_EXTENSION.paReviewPriority, valueCode: s.priority },
    { url: PROGRAM_EXTENSION.paSubmittedAt, valueDateTime: s.submittedAt },
    { url: PROGRAM_EXTENSION.paDueAt, valueDateTime: s.dueAt },
  ];
  if (s.decidedAt) extension.push({ url: PROGRAM_EXTENSION.paDecidedAt, valueDateTime: s.decidedAt });
  if (s.extension) extension.push({ url: PROGRAM_EXTENSION.paTimeframeExtension, extension: [{ url: 'extendedAt', valueDateTime: s.extension.extendedAt }, { url: 'reason', valueString: s.extension.reason }] });
  if (s.appeal) {
    extension.push({
      url: PROGRAM_EXTENSION.paAppeal,
      extension: [
        { url: 'status', valueCode: s.appeal.status },
        { url: 'filedAt', valueDateTime: s.appeal.filedAt },
        ...(s.appeal.decidedAt ? [{ url: 'decidedAt', valueDateTime: s.appeal.decidedAt }] : []),
        ...(s.appeal.appealResponse ? [{ url: 'appealResponse', valueReference: { reference: `ClaimResponse/${s.appeal.appealResponse}` } }] : []),
      ],
    });
  }
  if (s.appealOf) extension.push({ url: PROGRAM_EXTENSION.paAppealOf, valueReference: { reference: `ClaimResponse/${s.appealOf}` } });
  const notes = s.items.filter((i) => i.note).map((i) => ({ number: i.sequence, type: 'display' as const, text: i.note as string }));
  const approved = s.items.filter((i) => i.approvedPeriod && (i.decision === 'approved' || i.decision === 'partially-approved'));
  const response: ClaimResponse = {
    resourceType: 'ClaimResponse',
    id: s.id,
    meta: { profile: [DAVINCI_PROFILE.pasClaimResponse] },
    extension,
    identifier: [
      { system: IDENTIFIER_SYSTEM.paTrackingNumber, value: s.trackingNumber },
      ...(s.paNumber && PA_DECISIONS[decision].determined ? [{ system: IDENTIFIER_SYSTEM.paNumber, value: s.paNumber }] : []),
      ...s.submitterIdentifiers.map((i) => ({ ...(i.system ? { system: i.system } : {}), value: i.value })),
    ],
    status: 'active',
    type: s.claimType,
    use: 'preauthorization',
    patient: s.patient,
    created: s.decidedAt ?? s.submittedAt,
    insurer: s.insurer,
    requestor: s.requestor,
    request: { reference: `Claim/${s.claimId}` },
    outcome: PA_DECISIONS[decision].outcome,
    disposition: disposition(s, decision),
    item: s.items.map((i) => itemOf(s, i)),
  };
  if (s.paNumber && PA_DECISIONS[decision].determined) response.preAuthRef = s.paNumber;
  if (approved.length > 0) {
    const starts = approved.map((i) => i.approvedPeriod?.start as string).sort();
    const ends = approved.map((i) => i.approvedPeriod?.end as string).sort();
    response.preAuthPeriod = { start: starts[0], end: ends[ends.length - 1] };
  }
  if (notes.length > 0) response.processNote = notes;
  return response;
}

const ext = (r: { extension?: Extension[] }, url: string): Extension | undefined => r.extension?.find((e) => e.url === url);
const subValue = (e: Extension | undefined, url: string): Extension | undefined => e?.extension?.find((x) => x.url === url);

const ITEM_DECISION_BY_ACTION: Readonly<Record<string, PaItemDecision>> = { A1: 'approved', A2: 'partially-approved', A6: 'partially-approved', A3: 'denied', A4: 'pended', C: 'cancelled' };

/** The state a stored PAS ClaimResponse carries (the inverse of paClaimResponseFrom). */
export function paStateOf(r: ClaimResponse): PaState {
  const decision = ext(r, PROGRAM_EXTENSION.paDecision)?.valueCode as PaDecisionCode | undefined;
  const extension = ext(r, PROGRAM_EXTENSION.paTimeframeExtension);
  const appeal = ext(r, PROGRAM_EXTENSION.paAppeal);
  const appealOf = ext(r, PROGRAM_EXTENSION.paAppealOf)?.valueReference?.reference?.replace(/^ClaimResponse\//, '');
  const notes = new Map((r.processNote ?? []).map((n) => [n.number, n.text]));
  const items: PaItemState[] = (r.item ?? []).map((i) => {
    const adj = i.adjudication?.[0];
    const action = subValue(ext(adj ?? {}, IG_EXTENSION.pasReviewAction), IG_EXTENSION.pasReviewActionCode)?.valueCodeableConcept?.coding?.[0]?.code ?? 'A4';
    const quantity = subValue(ext(i, IG_EXTENSION.pasItemAuthorizedDetail), 'quantity')?.valueQuantity;
    const period = ext(i, IG_EXTENSION.pasItemPreAuthPeriod)?.valuePeriod;
    const used = ext(i, PROGRAM_EXTENSION.paQuantityUsed)?.valueDecimal;
    const reason = adj?.reason?.coding?.find((c) => c.system === PROGRAM_CODE_SYSTEM.paDenialReason)?.code as PaDenialReasonCode | undefined;
    const note = notes.get(i.itemSequence);
    return {
      sequence: i.itemSequence,
      decision: ITEM_DECISION_BY_ACTION[action] ?? 'pended',
      ...(reason ? { denialReason: reason } : {}),
      ...(quantity?.value !== undefined ? { approvedQuantity: quantity.value, ...(quantity.unit ? { unit: quantity.unit } : {}) } : {}),
      ...(period?.start && period.end ? { approvedPeriod: { start: period.start, end: period.end } } : {}),
      ...(used ? { usedQuantity: used } : {}),
      ...(note ? { note } : {}),
    };
  });
  const idOf = (system: string) => r.identifier?.find((i) => i.system === system)?.value;
  const paNumber = r.preAuthRef ?? idOf(IDENTIFIER_SYSTEM.paNumber);
  return {
    id: r.id as string,
    claimId: (r.request?.reference ?? '').replace(/^Claim\//, ''),
    trackingNumber: idOf(IDENTIFIER_SYSTEM.paTrackingNumber) ?? '',
    submitterIdentifiers: (r.identifier ?? []).filter((i) => i.system !== IDENTIFIER_SYSTEM.paTrackingNumber && i.system !== IDENTIFIER_SYSTEM.paNumber && i.value).map((i) => ({ ...(i.system ? { system: i.system } : {}), value: i.value as string })),
    ...(paNumber ? { paNumber } : {}),
    priority: (ext(r, PROGRAM_EXTENSION.paReviewPriority)?.valueCode as PaPriority | undefined) ?? 'standard',
    submittedAt: ext(r, PROGRAM_EXTENSION.paSubmittedAt)?.valueDateTime ?? r.created,
    dueAt: ext(r, PROGRAM_EXTENSION.paDueAt)?.valueDateTime ?? r.created,
    ...(ext(r, PROGRAM_EXTENSION.paDecidedAt)?.valueDateTime ? { decidedAt: ext(r, PROGRAM_EXTENSION.paDecidedAt)?.valueDateTime as string } : {}),
    ...(decision === 'withdrawn' || decision === 'cancelled' ? { closed: decision } : {}),
    ...(extension ? { extension: { extendedAt: subValue(extension, 'extendedAt')?.valueDateTime ?? '', reason: subValue(extension, 'reason')?.valueString ?? '' } } : {}),
    ...(appeal
      ? {
          appeal: {
            status: (subValue(appeal, 'status')?.valueCode as PaAppealStatus | undefined) ?? 'pending',
            filedAt: subValue(appeal, 'filedAt')?.valueDateTime ?? '',
            ...(subValue(appeal, 'decidedAt')?.valueDateTime ? { decidedAt: subValue(appeal, 'decidedAt')?.valueDateTime as string } : {}),
            ...(subValue(appeal, 'appealResponse')?.valueReference?.reference ? { appealResponse: (subValue(appeal, 'appealResponse')?.valueReference?.reference as string).replace(/^ClaimResponse\//, '') } : {}),
          },
        }
      : {}),
    ...(appealOf ? { appealOf } : {}),
    patient: r.patient,
    insurer: r.insurer,
    requestor: r.requestor ?? { display: 'unknown' },
    claimType: r.type,
    items,
  };
}
