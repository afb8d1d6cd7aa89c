/**
 * Prior-authorization review rules and codes.
 *
 * CMS-0057-F (42 CFR 438.210(d), 440.230(e)(1) for Medicaid): from 2026-01-01 decisions are due
 * within 72 hours for expedited requests and 7 calendar days for standard requests, and every
 * denial carries a specific reason. Managed care may extend a standard timeframe by up to 14
 * calendar days (438.210(d)(1)(ii)). Drugs are excluded from these requirements.
 *
 * A request is a PAS Claim (use = preauthorization, priority stat = expedited, normal =
 * standard); the decision is a PAS ClaimResponse whose items carry the X12 278 review action
 * (HCR01, code source 306). The program's decision status, timestamps, extension and appeal are
 * carried in PROGRAM_EXTENSION fields so that metrics can be computed from ClaimResponse alone.
 */

export type PaPriority = 'expedited' | 'standard';

export const PA_DECISION_TIMEFRAME_HOURS: Readonly<Record<PaPriority, number>> = {
  expedited: 72,
  standard: 7 * 24,
};

/** Additional calendar days a standard review may be extended by. */
export const PA_TIMEFRAME_EXTENSION_DAYS = 14;

/** When the determination is due, counted from receipt of the request. */
export function paDecisionDueAt(submittedAt: string | Date, priority: PaPriority, extended = false): Date {
  const start = typeof submittedAt === 'string' ? Date.parse(submittedAt) : submittedAt.getTime();
  const hours = PA_DECISION_TIMEFRAME_HOURS[priority] + (extended ? PA_TIMEFRAME_EXTENSION_DAYS * 24 : 0);
  return new Date(start + hours * 3_600_000);
}

/** Claim.priority code (http://terminology.hl7.org/CodeSystem/processpriority) for a review priority. */
export function processPriorityFor(priority: PaPriority): 'stat' | 'normal' {
  return priority === 'expedited' ? 'stat' : 'normal';
}

/** Review priority for a Claim.priority code; anything but stat is standard. */
export function paPriorityFromProcessPriority(code: string | undefined): PaPriority {
  return code === 'stat' ? 'expedited' : 'standard';
}

export type PaDecisionCode = 'approved' | 'partially-approved' | 'denied' | 'pended' | 'withdrawn' | 'cancelled';

export interface PaDecision {
  code: PaDecisionCode;
  display: string;
  /** A determination was made (counts in approval/denial metrics and time-to-decision). */
  determined: boolean;
  /** X12 278 HCR01 review action code (code source 306) carried by PAS. */
  x12ReviewAction: { code: string; display: string };
  /** ClaimResponse.outcome. */
  outcome: 'queued' | 'complete' | 'partial';
}

export const PA_DECISIONS: Readonly<Record<PaDecisionCode, PaDecision>> = {
  approved: { code: 'approved', display: 'Approved', determined: true, x12ReviewAction: { code: 'A1', display: 'Certified in total' }, outcome: 'complete' },
  'partially-approved': {
    code: 'partially-approved',
    display: 'Approved with modifications',
    determined: true,
    x12ReviewAction: { code: 'A6', display: 'Modified' },
    outcome: 'partial',
  },
  denied: { code: 'denied', display: 'Denied', determined: true, x12ReviewAction: { code: 'A3', display: 'Not Certified' }, outcome: 'complete' },
  pended: { code: 'pended', display: 'Pended', determined: false, x12ReviewAction: { code: 'A4', display: 'Pended' }, outcome: 'queued' },
  withdrawn: { code: 'withdrawn', display: 'Withdrawn by the requester', determined: false, x12ReviewAction: { code: 'C', display: 'Cancelled' }, outcome: 'complete' },
  cancelled: { code: 'cancelled', display: 'Cancelled by the program', determined: false, x12ReviewAction: { code: 'C', display: 'Cancelled' }, outcome: 'complete' },
};

export type PaAppealStatus = 'pending' | 'overturned' | 'upheld';

export const PA_APPEAL_STATUSES: Readonly<Record<PaAppealStatus, string>> = {
  pending: 'Appeal pending',
  overturned: 'Denial overturned on appeal (approved)',
  upheld: 'Denial upheld on appeal',
};

/** Specific denial reasons (program code system), each with the plain-language text sent. */
export const PA_DENIAL_REASONS = [
  { code: 'not-medically-necessary', display: 'Not medically necessary', text: 'The documentation does not show that the requested service is medically necessary under 130 CMR 450.204.' },
  { code: 'insufficient-documentation', display: 'Insufficient documentation', text: 'The clinical documentation requested to support the request was not received.' },
  { code: 'less-costly-alternative', display: 'Less costly alternative available', text: 'A less costly, equally effective alternative is available and has not been tried.' },
  { code: 'not-covered', display: 'Not a covered service', text: "The requested service is not covered under the member's coverage type." },
  { code: 'quantity-exceeds-limit', display: 'Quantity exceeds limit', text: 'The requested quantity exceeds the program service limit for the period.' },
  { code: 'member-not-eligible', display: 'Member not eligible', text: 'The member was not eligible on the requested dates of service.' },
] as const;

export type PaDenialReasonCode = (typeof PA_DENIAL_REASONS)[number]['code'];
