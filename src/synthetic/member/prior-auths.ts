/**
 * A member's prior-authorization requests (drugs excluded): PAS Claim + ClaimResponse, a
 * supporting document for some, and for appealed denials the appeal's own Claim + ClaimResponse.
 */
import { priorAuthView } from '../../domain/prior-auth-view.js';
import type { DocumentReference } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { DAY_MS, dayOf, instant, msOf } from '../dates.js';
import { coding, concept, refTo } from '../fhir-values.js';
import { paClaim, paClaimResponse, type PaRequestInput } from '../prior-auth/pa-resources.js';
import { drawPaTimeline, type PaTimeline } from '../prior-auth/pa-timeline.js';
import { DOCUMENT_TYPES } from '../tables/clinical-codes.js';
import { PA_SERVICES, type PaService } from '../tables/claim-codes.js';
import type { MemberRun } from './member-context.js';
import { ordererOn, type ServiceState } from './service-state.js';

/** PA history kept for about three years back (PA data must stay available a year after the last change). */
const PA_HISTORY_DAYS = 3 * 365;

function supportingDocument(run: MemberRun, atMs: number, authorId: string | undefined, service: PaService): string {
  const id = run.sink.nextId('doc');
  const text = `Clinical documentation supporting a prior authorization request for ${service.display}.\nDiagnosis: ${service.diagnosis.display} (${service.diagnosis.code}).\nSynthetic demo data - not a real patient.`;
  const type = service.label === 'elective-admission' ? DOCUMENT_TYPES.historyAndPhysical : DOCUMENT_TYPES.consultNote;
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id,
    meta: { lastUpdated: instant(atMs), profile: [US_CORE_PROFILE.documentReference] },
    identifier: [{ system: IDENTIFIER_SYSTEM.documentId, value: id.toUpperCase() }],
    status: 'current',
    docStatus: 'final',
    type: concept(CODE_SYSTEM.loinc, type.code, type.display),
    category: [concept(CODE_SYSTEM.usCoreDocumentCategory, 'clinical-note', 'Clinical Note')],
    subject: refTo('Patient', run.profile.id),
    date: instant(atMs),
    content: [
      {
        attachment: { contentType: 'text/plain', data: Buffer.from(text, 'utf8').toString('base64'), title: type.display },
        format: coding('http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', 'urn:ihe:iti:xds:2017:mimeTypeSufficient', 'mimeType Sufficient'),
      },
    ],
  };
  if (authorId) doc.author = [refTo('Practitioner', authorId)];
  run.sink.add(doc);
  return id;
}

function trackingNumber(run: MemberRun, submittedMs: number, n: number): string {
  const day = dayOf(submittedMs);
  return `T${day.slice(2, 4)}${day.slice(5, 7)}${day.slice(8, 10)}${String(run.profile.index).padStart(6, '0')}${String(n).padStart(2, '0')}`;
}

function paNumber(run: MemberRun, n: number): string {
  return `PA${String(run.profile.index).padStart(7, '0')}${String(n).padStart(3, '0')}`;
}

/** Writes `count` requests (fewer when the member's coverage leaves no room for them). */
export function addPriorAuths(state: ServiceState, count: number): void {
  const { run } = state;
  const { rng, ctx, profile, nowMs } = run;
  const horizonMs = nowMs - PA_HISTORY_DAYS * DAY_MS;
  let n = 0;
  for (let attempt = 0; attempt < count * 3 && n < count; attempt++) {
    const coverage = rng.pick(profile.coverages);
    const earliestMs = Math.max(msOf(coverage.start), horizonMs);
    const latestMs = Math.min(coverage.end ? msOf(coverage.end) + DAY_MS - 1 : nowMs, nowMs);
    if (earliestMs >= latestMs) continue;
    const service = rng.pick(PA_SERVICES);
    const timeline = drawPaTimeline(rng, service, earliestMs, latestMs, nowMs);
    if (!timeline) continue;
    n++;
    const submittedDay = dayOf(timeline.submittedMs);
    const requester =
      service.label === 'elective-admission'
        ? rng.pick(ctx.directory.orgsOfKind('hospital'))
        : profile.pcp
          ? ctx.directory.org(profile.pcp.orgId)
          : state.homePrimaryOrg;
    const author = ordererOn(state, submittedDay);
    const documentId = rng.chance(0.6) ? supportingDocument(run, timeline.submittedMs - 2 * 3_600_000, author?.id, service) : undefined;
    const claimId = run.sink.nextId('pa');
    const responseId = run.sink.nextId('par');
    const tracking = trackingNumber(run, timeline.submittedMs, n);
    const base: PaRequestInput = {
      id: claimId,
      trackingNumber: tracking,
      patientId: profile.id,
      payerId: ctx.directory.payer.id,
      requesterOrgId: requester.id,
      coverageId: coverage.id,
      service,
      timeline,
      documentId,
      contact: service.label === 'elective-admission' ? `Contact: utilization review nurse, phone 617-555-0142, fax 617-555-0143` : undefined,
    };
    const claim = paClaim(base);
    run.sink.add(claim);
    const appealIds = timeline.appeal ? { claimId: run.sink.nextId('pa'), responseId: run.sink.nextId('par') } : undefined;
    const response = paClaimResponse({ ...base, responseId, paNumber: paNumber(run, n), appeal: appealIds ? { responseId: appealIds.responseId } : undefined });
    run.sink.add(response);
    // The member's PDex view, made by the same function the server uses when the PA process writes.
    run.sink.add(priorAuthView(claim, response));
    if (timeline.appeal && appealIds) addAppeal(state, base, responseId, appealIds, timeline, n);
  }
}

function addAppeal(state: ServiceState, original: PaRequestInput, originalResponseId: string, ids: { claimId: string; responseId: string }, t: PaTimeline, n: number): void {
  const { run } = state;
  const appeal = t.appeal;
  if (!appeal) return;
  // The appeal is decided like a new request: overturned = approved, upheld = denied, pending = pended.
  const decision = appeal.status === 'overturned' ? 'approved' : appeal.status === 'upheld' ? 'denied' : 'pended';
  const timeline: PaTimeline = {
    priority: 'standard',
    decision,
    submittedMs: appeal.filedMs,
    decidedMs: appeal.decidedMs,
    dueMs: appeal.filedMs + 30 * DAY_MS,
    requestedQuantity: t.requestedQuantity,
    requestedStart: t.requestedStart,
    requestedEnd: t.requestedEnd,
    denialReason: decision === 'denied' ? t.denialReason : undefined,
  };
  if (decision === 'approved' && appeal.decidedMs !== undefined) {
    timeline.approvedQuantity = t.requestedQuantity;
    timeline.approvedStart = dayOf(appeal.decidedMs) > t.requestedStart ? dayOf(appeal.decidedMs) : t.requestedStart;
    timeline.approvedEnd = t.requestedEnd > timeline.approvedStart ? t.requestedEnd : timeline.approvedStart;
    timeline.usedQuantity = 0;
  }
  const input: PaRequestInput = {
    ...original,
    id: ids.claimId,
    trackingNumber: `${original.trackingNumber}A`,
    timeline,
    documentId: original.documentId,
    appealOf: { claimId: original.id, responseId: originalResponseId },
  };
  const claim = paClaim(input);
  const response = paClaimResponse({ ...input, responseId: ids.responseId, paNumber: `${paNumber(run, n)}A` });
  run.sink.add(claim);
  run.sink.add(response);
  run.sink.add(priorAuthView(claim, response));
}
