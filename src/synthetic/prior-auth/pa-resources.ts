/**
 * A prior-authorization request and decision as Da Vinci PAS resources:
 * Claim (use = preauthorization, priority stat | normal) and ClaimResponse whose item
 * adjudication carries the PAS reviewAction (X12 HCR01) and, for denials, the specific program
 * denial reason. Program extensions (domain/extensions.ts) record decision status, timestamps,
 * timeframe extension and appeal so metrics and PDex PA views can be computed from ClaimResponse.
 */
import type { Claim, ClaimResponse, ClaimResponseItem, ClaimResponseItemAdjudication, Extension } from '@medplum/fhirtypes';
import { IG_EXTENSION, PROGRAM_EXTENSION } from '../../domain/extensions.js';
import { PA_DECISIONS, PA_DENIAL_REASONS, processPriorityFor } from '../../domain/prior-auth-rules.js';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../../domain/systems.js';
import { dayOf, instant } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import type { PaService } from '../tables/claim-codes.js';
import type { PaTimeline } from './pa-timeline.js';

export interface PaRequestInput {
  id: string;
  trackingNumber: string;
  patientId: string;
  payerId: string;
  requesterOrgId: string;
  coverageId: string;
  service: PaService;
  timeline: PaTimeline;
  documentId?: string;
  contact?: string;
  /** For an appeal: the original request and decision. */
  appealOf?: { claimId: string; responseId: string };
  /** Submission instant, when it differs from timeline.submittedMs (appeals). */
  submittedMs?: number;
}

const SERVICE_SYSTEMS: Readonly<Record<PaService['system'], string>> = { cpt: CODE_SYSTEM.cpt, hcpcs: CODE_SYSTEM.hcpcs, icd10pcs: CODE_SYSTEM.icd10pcs };

export function paClaim(r: PaRequestInput): Claim {
  const submitted = instant(r.submittedMs ?? r.timeline.submittedMs);
  const supportingInfo: NonNullable<Claim['supportingInfo']> = [];
  if (r.documentId) {
    supportingInfo.push({ sequence: supportingInfo.length + 1, category: concept(CODE_SYSTEM.pasSupportingInfoType, 'additionalInformation'), valueReference: refTo('DocumentReference', r.documentId) });
  }
  if (r.service.label === 'elective-admission') {
    // MassHealth pre-admission screening: admission date at least 7 days out, contact details on the request.
    supportingInfo.push({ sequence: supportingInfo.length + 1, category: concept(CODE_SYSTEM.pasSupportingInfoType, 'admissionReviewStart'), timingDate: r.timeline.requestedStart });
  }
  if (r.contact) {
    supportingInfo.push({ sequence: supportingInfo.length + 1, category: concept(CODE_SYSTEM.pasSupportingInfoType, 'freeFormMessage'), valueString: r.contact });
  }
  const claim: Claim = {
    resourceType: 'Claim',
    id: r.id,
    meta: { lastUpdated: submitted, profile: [DAVINCI_PROFILE.pasClaim] },
    identifier: [{ system: IDENTIFIER_SYSTEM.paTrackingNumber, value: r.trackingNumber }],
    status: 'active',
    type: concept(CODE_SYSTEM.claimType, r.service.claimType, r.service.claimType === 'institutional' ? 'Institutional' : 'Professional'),
    use: 'preauthorization',
    patient: refTo('Patient', r.patientId),
    created: submitted,
    insurer: refTo('Organization', r.payerId, 'MassHealth'),
    provider: refTo('Organization', r.requesterOrgId),
    priority: concept(CODE_SYSTEM.processPriority, processPriorityFor(r.timeline.priority), r.timeline.priority === 'expedited' ? 'Immediate' : 'Normal'),
    diagnosis: [{ sequence: 1, diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, r.service.diagnosis.code, r.service.diagnosis.display) }],
    insurance: [{ sequence: 1, focal: true, coverage: refTo('Coverage', r.coverageId) }],
    item: [
      {
        sequence: 1,
        diagnosisSequence: [1],
        category: concept(CODE_SYSTEM.x12ServiceType, r.service.serviceType.code, r.service.serviceType.display),
        productOrService: concept(SERVICE_SYSTEMS[r.service.system], r.service.code, r.service.display),
        quantity: { value: r.timeline.requestedQuantity, unit: r.service.unit },
        servicedPeriod: { start: r.timeline.requestedStart, end: r.timeline.requestedEnd },
      },
    ],
  };
  if (supportingInfo.length > 0) claim.supportingInfo = supportingInfo;
  if (r.appealOf) {
    claim.related = [{ claim: refTo('Claim', r.appealOf.claimId), relationship: concept(CODE_SYSTEM.relatedClaimRelationship, 'prior', 'Prior Claim') }];
    claim.extension = [{ url: PROGRAM_EXTENSION.paAppealOf, valueReference: refTo('ClaimResponse', r.appealOf.responseId) }];
  }
  return claim;
}

export interface PaResponseInput extends PaRequestInput {
  responseId: string;
  paNumber: string;
  /** Appeal of this decision, when one was filed. */
  appeal?: { responseId: string };
}

function sub(url: string, value: Omit<Extension, 'url'>): Extension {
  return { url, ...value };
}

export function paClaimResponse(r: PaResponseInput): ClaimResponse {
  const t = r.timeline;
  const decision = PA_DECISIONS[t.decision];
  const submittedMs = r.submittedMs ?? t.submittedMs;
  const lastChangeMs = Math.max(t.decidedMs ?? submittedMs + 5 * 60_000, t.appeal?.decidedMs ?? t.appeal?.filedMs ?? 0);
  const extension: Extension[] = [
    sub(PROGRAM_EXTENSION.paDecision, { valueCode: t.decision }),
    sub(PROGRAM_EXTENSION.paReviewPriority, { valueCode: t.priority }),
    sub(PROGRAM_EXTENSION.paSubmittedAt, { valueDateTime: instant(submittedMs) }),
    sub(PROGRAM_EXTENSION.paDueAt, { valueDateTime: instant(t.dueMs) }),
  ];
  if (t.decidedMs !== undefined) extension.push(sub(PROGRAM_EXTENSION.paDecidedAt, { valueDateTime: instant(t.decidedMs) }));
  if (t.extension) {
    extension.push({
      url: PROGRAM_EXTENSION.paTimeframeExtension,
      extension: [sub('extendedAt', { valueDateTime: instant(t.extension.extendedAtMs) }), sub('reason', { valueString: t.extension.reason })],
    });
  }
  if (t.appeal && r.appeal) {
    const parts: Extension[] = [sub('status', { valueCode: t.appeal.status }), sub('filedAt', { valueDateTime: instant(t.appeal.filedMs) })];
    if (t.appeal.decidedMs !== undefined) parts.push(sub('decidedAt', { valueDateTime: instant(t.appeal.decidedMs) }));
    parts.push(sub('appealResponse', { valueReference: refTo('ClaimResponse', r.appeal.responseId) }));
    extension.push({ url: PROGRAM_EXTENSION.paAppeal, extension: parts });
  }
  if (r.appealOf) extension.push(sub(PROGRAM_EXTENSION.paAppealOf, { valueReference: refTo('ClaimResponse', r.appealOf.responseId) }));

  const reviewAction: Extension = {
    url: IG_EXTENSION.pasReviewAction,
    extension: [sub(IG_EXTENSION.pasReviewActionCode, { valueCodeableConcept: concept(CODE_SYSTEM.x12ReviewAction, decision.x12ReviewAction.code, decision.x12ReviewAction.display) })],
  };
  if (decision.determined) reviewAction.extension?.push(sub('number', { valueString: r.paNumber }));
  const adjudication: ClaimResponseItemAdjudication = { category: concept(CODE_SYSTEM.adjudication, 'submitted', 'Submitted Amount'), extension: [reviewAction] };
  const reason = t.denialReason ? PA_DENIAL_REASONS.find((d) => d.code === t.denialReason) : undefined;
  if (reason) adjudication.reason = concept(PROGRAM_CODE_SYSTEM.paDenialReason, reason.code, reason.display, reason.text);
  const item: ClaimResponseItem = { itemSequence: 1, adjudication: [adjudication] };
  if (t.approvedQuantity !== undefined && t.approvedStart && t.approvedEnd && t.decidedMs !== undefined) {
    item.extension = [
      sub(IG_EXTENSION.pasItemPreAuthIssueDate, { valueDate: dayOf(t.decidedMs) }),
      sub(IG_EXTENSION.pasItemPreAuthPeriod, { valuePeriod: { start: t.approvedStart, end: t.approvedEnd } }),
      { url: IG_EXTENSION.pasItemAuthorizedDetail, extension: [sub('quantity', { valueQuantity: { value: t.approvedQuantity, unit: r.service.unit } })] },
      sub(PROGRAM_EXTENSION.paQuantityUsed, { valueDecimal: t.usedQuantity ?? 0 }),
    ];
  }

  const response: ClaimResponse = {
    resourceType: 'ClaimResponse',
    id: r.responseId,
    meta: { lastUpdated: instant(lastChangeMs), profile: [DAVINCI_PROFILE.pasClaimResponse] },
    extension,
    identifier: [{ system: IDENTIFIER_SYSTEM.paTrackingNumber, value: r.trackingNumber }],
    status: 'active',
    type: concept(CODE_SYSTEM.claimType, r.service.claimType, r.service.claimType === 'institutional' ? 'Institutional' : 'Professional'),
    use: 'preauthorization',
    patient: refTo('Patient', r.patientId),
    created: instant(t.decidedMs ?? submittedMs + 5 * 60_000),
    insurer: refTo('Organization', r.payerId, 'MassHealth'),
    requestor: refTo('Organization', r.requesterOrgId),
    request: refTo('Claim', r.id),
    outcome: decision.outcome,
    disposition: dispositionText(r, reason?.text),
    item: [item],
  };
  if (decision.determined) {
    response.identifier?.push({ system: IDENTIFIER_SYSTEM.paNumber, value: r.paNumber });
    response.preAuthRef = r.paNumber;
  }
  if (t.approvedStart && t.approvedEnd) response.preAuthPeriod = { start: t.approvedStart, end: t.approvedEnd };
  if (t.decision !== 'approved') response.processNote = [{ number: 1, type: 'display', text: response.disposition ?? decision.display }];
  return response;
}

function dispositionText(r: PaResponseInput, denialText: string | undefined): string {
  const t = r.timeline;
  switch (t.decision) {
    case 'approved':
      return `Approved: ${t.approvedQuantity ?? t.requestedQuantity} ${r.service.unit} of ${r.service.display}.`;
    case 'partially-approved':
      return `Approved with modifications: ${t.approvedQuantity} of ${t.requestedQuantity} ${r.service.unit} requested. The requested quantity exceeds the program service limit for the period.`;
    case 'denied':
      return `Denied: ${denialText ?? 'see reason'}`;
    case 'pended':
      return 'Pended: the request is under clinical review.';
    case 'withdrawn':
      return 'Withdrawn by the requesting provider before a determination.';
    case 'cancelled':
      return 'Cancelled: a duplicate of another request for the same service.';
  }
}

