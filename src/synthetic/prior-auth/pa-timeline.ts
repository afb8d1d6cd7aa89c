/**
 * The life of one synthetic prior-authorization request: priority, outcome, and timestamps that
 * respect CMS-0057-F timeframes (72 h expedited, 7 days standard, +14 days when extended), with
 * partial approvals, specific denial reasons, appeals, withdrawals and cancellations.
 */
import {
  PA_DECISION_TIMEFRAME_HOURS,
  PA_DENIAL_REASONS,
  PA_TIMEFRAME_EXTENSION_DAYS,
  type PaAppealStatus,
  type PaDecisionCode,
  type PaDenialReasonCode,
  type PaPriority,
} from '../../domain/prior-auth-rules.js';
import { addDays, dayOf, DAY_MS, HOUR_MS, maxDay } from '../dates.js';
import type { Rng } from '../prng.js';
import type { PaService } from '../tables/claim-codes.js';

export interface PaTimeline {
  priority: PaPriority;
  decision: PaDecisionCode;
  submittedMs: number;
  /** Time of the final status (determination, withdrawal, cancellation); absent while pended. */
  decidedMs?: number;
  dueMs: number;
  extension?: { extendedAtMs: number; reason: string };
  requestedQuantity: number;
  requestedStart: string;
  requestedEnd: string;
  approvedQuantity?: number;
  approvedStart?: string;
  approvedEnd?: string;
  usedQuantity?: number;
  denialReason?: PaDenialReasonCode;
  appeal?: { filedMs: number; status: PaAppealStatus; decidedMs?: number };
}

const DECISIONS: ReadonlyArray<readonly [PaDecisionCode, number]> = [
  ['approved', 56],
  ['partially-approved', 8],
  ['denied', 17],
  ['pended', 8],
  ['withdrawn', 7],
  ['cancelled', 4],
];

/**
 * Draws a request submitted between `earliestMs` and `latestMs` (and decided before `nowMs`).
 * Returns undefined when no such request fits.
 */
export function drawPaTimeline(rng: Rng, service: PaService, earliestMs: number, latestMs: number, nowMs: number): PaTimeline | undefined {
  const priority: PaPriority = service.label !== 'elective-admission' && rng.chance(0.25) ? 'expedited' : 'standard';
  const windowMs = PA_DECISION_TIMEFRAME_HOURS[priority] * HOUR_MS;
  let decision = rng.weighted(DECISIONS);
  const extended = priority === 'standard' && (decision === 'approved' || decision === 'denied' || decision === 'partially-approved') && rng.chance(0.1);
  const dueMs = (submitted: number): number => submitted + windowMs + (extended ? PA_TIMEFRAME_EXTENSION_DAYS * DAY_MS : 0);

  let submittedMs: number;
  let decidedMs: number | undefined;
  if (decision === 'pended' && latestMs >= nowMs - HOUR_MS) {
    // Still within its timeframe today.
    submittedMs = nowMs - Math.floor(windowMs * (0.05 + rng.next() * 0.8));
    if (submittedMs < earliestMs) return undefined;
  } else {
    if (decision === 'pended') decision = 'approved';
    const duration = extended ? windowMs + Math.floor(rng.next() * PA_TIMEFRAME_EXTENSION_DAYS * DAY_MS * 0.95) : Math.floor(windowMs * (0.02 + rng.next() * 0.95));
    const lastSubmit = Math.min(latestMs, nowMs - duration - HOUR_MS);
    if (lastSubmit < earliestMs) return undefined;
    submittedMs = earliestMs + Math.floor(rng.next() * (lastSubmit - earliestMs));
    decidedMs = submittedMs + Math.max(duration, 15 * 60_000);
  }
  const submittedDay = dayOf(submittedMs);
  const lead = service.label === 'elective-admission' ? rng.int(7, 30) : rng.int(0, 14);
  const requestedStart = addDays(submittedDay, lead);
  const requestedQuantity = rng.int(service.quantity[0], service.quantity[1]);
  const t: PaTimeline = {
    priority,
    decision,
    submittedMs,
    decidedMs,
    dueMs: dueMs(submittedMs),
    requestedQuantity,
    requestedStart,
    requestedEnd: addDays(requestedStart, service.validDays),
  };
  if (extended) {
    t.extension = { extendedAtMs: submittedMs + Math.floor(windowMs * (0.3 + rng.next() * 0.6)), reason: 'Additional clinical information requested from the requesting provider' };
  }
  if (decidedMs !== undefined && (decision === 'approved' || decision === 'partially-approved')) {
    t.approvedQuantity = decision === 'approved' || requestedQuantity < 2 ? requestedQuantity : Math.max(1, Math.floor(requestedQuantity * (0.4 + rng.next() * 0.4)));
    if (decision === 'partially-approved' && t.approvedQuantity === requestedQuantity) t.decision = 'approved';
    t.approvedStart = maxDay(requestedStart, dayOf(decidedMs));
    t.approvedEnd = addDays(t.approvedStart, service.validDays);
    const elapsed = (nowMs - Date.parse(`${t.approvedStart}T00:00:00Z`)) / (service.validDays * DAY_MS);
    t.usedQuantity = elapsed <= 0 ? 0 : Math.floor(t.approvedQuantity * Math.min(1, elapsed) * (0.5 + rng.next() * 0.5));
  }
  if (decidedMs !== undefined && decision === 'denied') {
    t.denialReason = decision === 'denied' ? rng.pick(PA_DENIAL_REASONS).code : undefined;
    if (rng.chance(0.4) && decidedMs + 3 * DAY_MS < nowMs) {
      const filedMs = Math.min(decidedMs + rng.int(2, 25) * DAY_MS + rng.int(0, 8) * HOUR_MS, nowMs - HOUR_MS);
      const appealDecidedMs = filedMs + rng.int(1, 30) * DAY_MS;
      t.appeal =
        appealDecidedMs > nowMs - HOUR_MS
          ? { filedMs, status: 'pending' }
          : { filedMs, status: rng.chance(0.45) ? 'overturned' : 'upheld', decidedMs: appealDecidedMs };
    }
  }
  return t;
}
