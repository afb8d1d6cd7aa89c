/**
 * The reviewer's side of a prior-authorization request: the queue of pended requests ordered by their
 * deadline, a decision with its reasons (a denial always with a specific reason), a timeframe extension
 * where the rules allow it (a standard request, once, up to 14 days: 42 CFR 438.210(d)(1)(ii)), and the
 * decision on an appeal, which also records on the original denial whether it was overturned or upheld.
 *
 * Every change goes through the PAS store path (pas.ts `save`): one transaction writes the ClaimResponse
 * (so the member's PDex view changes at once), a Provenance naming the reviewer, and subscribers are told.
 */
import type { ClaimResponse, Provenance } from '@medplum/fhirtypes';
import { conflict, notFound, unprocessable } from '../../fhir/outcome.js';
import { paNumberFor, paStateOf, requestDecision, type PaItemState, type PaState } from '../../domain/pa-claim-response.js';
import { PA_DENIAL_REASONS, PA_TIMEFRAME_EXTENSION_DAYS, type PaDenialReasonCode } from '../../domain/prior-auth-rules.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import type { ResourceStore } from '../../store/port.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { findLive } from './member-facts.js';
import type { ReviewPageEntry } from '../../web/pages/pa-review-page.js';
import type { PasOperations } from './pas.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const HOUR = 3_600_000;

/** A queue entry: what the review page shows, and when the request was received. */
export interface QueueEntry extends ReviewPageEntry {
  submittedAt: string;
}

export interface ReviewDecision {
  decision: 'approved' | 'partially-approved' | 'denied';
  /** Required for a denial: one of the program's specific reasons. */
  reason?: PaDenialReasonCode;
  /** Plain-language note to the provider. */
  note?: string;
  /** Per item (by sequence): the approved quantity when less than requested. */
  quantities?: Record<string, number>;
  reviewer: string;
}

export function review(deps: { store: ResourceStore; policy: PolicyDeps; pas: PasOperations; clock: () => Date; newId: () => string }) {
  async function load(id: string): Promise<ClaimResponse> {
    if (!ID.test(id)) throw notFound(`No prior-authorization request ${id.slice(0, 64)}`);
    const record = await deps.store.current('ClaimResponse', id);
    const r = record && !record.del ? (record.res as ClaimResponse) : undefined;
    if (!r || r.use !== 'preauthorization') throw notFound(`No prior-authorization request ${id}`);
    return r;
  }

  function provenance(state: PaState, who: string, activity: string): Provenance {
    const now = deps.clock().toISOString();
    return {
      resourceType: 'Provenance',
      id: `${state.id}-${deps.newId().slice(0, 8)}`,
      target: [{ reference: `ClaimResponse/${state.id}` }],
      recorded: now,
      activity: { coding: [{ system: CODE_SYSTEM.dataOperation, code: 'UPDATE' }], text: activity },
      agent: [{ type: { coding: [{ system: CODE_SYSTEM.provenanceParticipantType, code: 'author' }] }, who: { display: who } }],
    };
  }

  const entry = (r: ClaimResponse, now: number): QueueEntry => {
    const s = paStateOf(r);
    const due = Date.parse(s.dueAt);
    return {
      id: s.id,
      trackingNumber: s.trackingNumber,
      patient: s.patient.reference ?? '',
      ...(s.requestor.reference ? { requestor: s.requestor.reference } : {}),
      priority: s.priority,
      submittedAt: s.submittedAt,
      dueAt: s.dueAt,
      hoursLeft: Math.round(((due - now) / HOUR) * 10) / 10,
      overdue: due < now,
      extended: s.extension !== undefined,
      ...(s.appealOf ? { appealOf: s.appealOf } : {}),
      items: s.items.map((i) => ({ sequence: i.sequence, decision: i.decision, ...(i.note ? { note: i.note } : {}) })),
    };
  };

  return {
    /** Pended requests, the soonest due first. */
    async queue(limit = 200): Promise<QueueEntry[]> {
      const pended = await findLive<ClaimResponse>(deps, 'ClaimResponse', [['pa-decision', 'pended']], Math.min(limit, 1_000), [['so.pa-due', 1]]);
      const now = deps.clock().getTime();
      return pended.map((r) => entry(r, now)).sort((a, b) => a.dueAt.localeCompare(b.dueAt));
    },

    async decide(id: string, d: ReviewDecision): Promise<ClaimResponse> {
      const before = paStateOf(await load(id));
      if (requestDecision(before) !== 'pended') throw conflict(`The request ${before.trackingNumber} is ${requestDecision(before)}, not pended`);
      if (d.decision === 'denied' && !PA_DENIAL_REASONS.some((r) => r.code === d.reason)) {
        throw unprocessable([{ code: 'required', diagnostics: `A denial needs a specific reason: one of ${PA_DENIAL_REASONS.map((r) => r.code).join(', ')}` }]);
      }
      const now = deps.clock().toISOString();
      const items: PaItemState[] = before.items.map((i) => {
        if (i.decision !== 'pended') return i;
        const note = d.note ?? (d.decision === 'denied' ? PA_DENIAL_REASONS.find((r) => r.code === d.reason)?.text : undefined);
        if (d.decision === 'denied') return { sequence: i.sequence, decision: 'denied', denialReason: d.reason as PaDenialReasonCode, ...(note ? { note } : {}) };
        const quantity = d.quantities?.[String(i.sequence)];
        const partial = d.decision === 'partially-approved' && quantity !== undefined;
        return { ...i, decision: partial ? 'partially-approved' : 'approved', ...(quantity !== undefined ? { approvedQuantity: quantity } : {}), ...(note ? { note } : { note: partial ? `Approved ${quantity}.` : 'Approved by the reviewer.' }) };
      });
      const after: PaState = { ...before, items, decidedAt: now };
      after.paNumber ??= paNumberFor(before.id, new Date(now));
      const stored = await deps.pas.save(before, after, [provenance(after, d.reviewer, `Decision: ${requestDecision(after)}`)]);
      // The decision on an appeal is the appeal's outcome on the original denial.
      if (before.appealOf) {
        const original = paStateOf(await load(before.appealOf));
        const overturned = requestDecision(after) === 'approved' || requestDecision(after) === 'partially-approved';
        await deps.pas.save(original, { ...original, appeal: { status: overturned ? 'overturned' : 'upheld', filedAt: original.appeal?.filedAt ?? before.submittedAt, decidedAt: now, appealResponse: after.id } }, [provenance(original, d.reviewer, `Appeal ${overturned ? 'overturned' : 'upheld'}`)]);
      }
      return stored;
    },

    async extend(id: string, o: { reason: string; reviewer: string; days?: number }): Promise<ClaimResponse> {
      const before = paStateOf(await load(id));
      if (requestDecision(before) !== 'pended') throw conflict(`The request ${before.trackingNumber} is ${requestDecision(before)}, not pended`);
      if (before.priority !== 'standard') throw unprocessable([{ code: 'business-rule', diagnostics: 'Only a standard request may have its timeframe extended (42 CFR 438.210(d)(1)(ii)); an expedited one is decided within 72 hours' }]);
      if (before.extension) throw unprocessable([{ code: 'business-rule', diagnostics: `The timeframe of ${before.trackingNumber} was already extended on ${before.extension.extendedAt}` }]);
      const days = o.days ?? PA_TIMEFRAME_EXTENSION_DAYS;
      if (!Number.isInteger(days) || days < 1 || days > PA_TIMEFRAME_EXTENSION_DAYS) throw unprocessable([{ code: 'value', diagnostics: `An extension is 1 to ${PA_TIMEFRAME_EXTENSION_DAYS} calendar days` }]);
      const now = deps.clock().toISOString();
      const after: PaState = { ...before, dueAt: new Date(Date.parse(before.dueAt) + days * 24 * HOUR).toISOString(), extension: { extendedAt: now, reason: o.reason } };
      return deps.pas.save(before, after, [provenance(after, o.reviewer, `Timeframe extended ${days} days: ${o.reason}`)]);
    },
  };
}

export type Review = ReturnType<typeof review>;
