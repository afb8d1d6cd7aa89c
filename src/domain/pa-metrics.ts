/**
 * The shapes of the annual CMS-0057-F figures (apis/metrics/metrics.ts computes them; the page, the
 * downloads and `npm run report` show them) and the decision-time buckets they are counted in.
 */

/** Upper bounds (hours) of the decision-time distribution; the last bucket is open. */
export const TIME_BUCKETS_HOURS = [1, 24, 72, 168, 336, 504] as const;

export interface PriorityFigures {
  /** Requests submitted in the year (this priority, drugs and appeals excluded). */
  submitted: number;
  determined: number;
  approved: number;
  partiallyApproved: number;
  denied: number;
  pended: number;
  withdrawn: number;
  cancelled: number;
  /** % of determined, one decimal; null when nothing was determined. */
  approvedPercent: number | null;
  deniedPercent: number | null;
  /** Hours, two decimals. */
  averageHours: number | null;
  medianHours: number | null;
  /** Determined requests by time to determination: [≤1 h, ≤24 h, ≤72 h, ≤7 d, ≤14 d, ≤21 d, more]. */
  distribution: number[];
}

export interface PaMetrics {
  year: number;
  standard: PriorityFigures;
  expedited: PriorityFigures;
  /** Both priorities. */
  determined: number;
  approvedAfterAppeal: number;
  approvedAfterAppealPercent: number | null;
  extendedThenApproved: number;
  extendedThenApprovedPercent: number | null;
  /** Denials (both priorities) appealed, whatever the outcome so far. */
  appealed: number;
}

export interface UsageMetrics {
  year: number;
  membersWithRelease: number;
  membersWithRepeatRelease: number;
  releaseDays: number;
}

