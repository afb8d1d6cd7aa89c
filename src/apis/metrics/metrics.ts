/**
 * The annual CMS-0057-F figures, computed from what the server holds, by aggregation pipelines the store
 * runs (MongoDB in the database; the embedded store with mingo, the same stages, the same numbers):
 *
 * Prior authorization (42 CFR 431.80(b)(1) and the MA/QHP equivalents), per calendar year:
 *  - the requests counted are PAS ClaimResponses (use = preauthorization) **submitted** in the year (UTC),
 *    drugs excluded (pharmacy claim type), appeals excluded (an appeal is not a new request);
 *  - a request is **determined** when its decision is approved, approved with modifications or denied;
 *    pended (still open when the report runs), withdrawn and cancelled requests are counted and shown but
 *    are in no denominator;
 *  - approved = approved + approved with modifications; percentages are of the determined requests of the
 *    same priority (standard or expedited); "approved after appeal" and "extended, then approved" are of all
 *    determined requests of both priorities;
 *  - time to determination = decision instant − submission instant, in hours, for determined requests; the
 *    median of an even count is the mean of the two middle values.
 * Patient Access usage (42 CFR 431.60(h)), per calendar year: releases are the AuditEvents tagged
 * `patient-access-release` (a member's own data to an app they authorized); a member's data "went" once
 * per UTC day with a release; the figures are the members with at least one such day and those with more
 * than one.
 */
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { FilterDocument, ResourceStore } from '../../store/port.js';
import { PROGRAM_CODE_SYSTEM } from '../../domain/systems.js';
import { TIME_BUCKETS_HOURS, type PaMetrics, type PriorityFigures, type UsageMetrics } from '../../domain/pa-metrics.js';

export { TIME_BUCKETS_HOURS, type PaMetrics, type PriorityFigures, type UsageMetrics };

const HOUR = 3_600_000;

const pct = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n * 1000) / d) / 10);
const hours = (ms: number | null): number | null => (ms === null ? null : Math.round((ms / HOUR) * 100) / 100);
const first = (path: string) => ({ $arrayElemAt: [path, 0] });

export function metrics(deps: { store: ResourceStore; policy: PolicyDeps }) {
  const yearRange = (year: number): [string, string] => [`ge${year}-01-01`, `lt${year + 1}-01-01`];

  /**
   * The year's requests, on the records' scalar sort keys (`so`: the first index value of each search
   * parameter: a code, or a date's epoch-ms lower bound), which every store keeps beside `sp`; the year is
   * a validated integer, so the filter is built from code alone.
   */
  function requestsOf(year: number): FilterDocument {
    return {
      type: 'ClaimResponse',
      'so.use': 'preauthorization',
      'so.pa-submitted': { $gte: Date.UTC(year, 0, 1), $lt: Date.UTC(year + 1, 0, 1) },
      'so.pa-drug': { $ne: 'true' },
      'so.pa-is-appeal': { $ne: 'true' },
    };
  }

  const project = {
    $project: {
      priority: '$so.pa-priority',
      decision: '$so.pa-decision',
      extended: '$so.pa-extended',
      appeal: '$so.pa-appeal',
      ms: { $subtract: ['$so.pa-decided', '$so.pa-submitted'] },
    },
  };
  const DETERMINED = ['approved', 'partially-approved', 'denied'];

  /** Exact medians of both priorities in one pass: sort each priority's determined requests, take the middle one or two. */
  async function medians(filter: FilterDocument, counts: Record<'standard' | 'expedited', number>): Promise<Record<'standard' | 'expedited', number | null>> {
    const facet: Record<string, Array<Record<string, unknown>>> = {};
    for (const priority of ['standard', 'expedited'] as const) {
      const count = counts[priority];
      if (count === 0) continue;
      // A request without a priority is standard, as in the counts.
      const mine = priority === 'expedited' ? { priority: 'expedited' } : { priority: { $ne: 'expedited' } };
      facet[priority] = [{ $match: { ...mine, decision: { $in: DETERMINED } } }, { $sort: { ms: 1, _id: 1 } }, { $skip: Math.floor((count - 1) / 2) }, { $limit: count % 2 === 0 ? 2 : 1 }];
    }
    const out: Record<'standard' | 'expedited', number | null> = { standard: null, expedited: null };
    if (Object.keys(facet).length === 0) return out;
    const [row] = (await deps.store.aggregate(filter, [project, { $facet: facet }])) as Array<Record<string, Array<{ ms: number }>>>;
    for (const priority of ['standard', 'expedited'] as const) {
      const values = (row?.[priority] ?? []).map((m) => Number(m.ms));
      if (values.length > 0) out[priority] = values.reduce((a, b) => a + b, 0) / values.length;
    }
    return out;
  }

  return {
    async priorAuth(year: number): Promise<PaMetrics> {
      const filter = requestsOf(year);
      // One pass over the year's requests: the decision counts and the decision-time distribution together.
      // Bucket i holds times up to TIME_BUCKETS_HOURS[i] hours inclusive. Times are whole milliseconds, so
      // boundaries half a millisecond above never equal one: MongoDB and mingo then agree (on a boundary
      // value they differ, the one putting it above, the other below).
      const boundaries = [Number.MIN_SAFE_INTEGER, ...TIME_BUCKETS_HOURS.map((h) => h * HOUR + 0.5)];
      const [facets] = (await deps.store.aggregate(filter, [
        project,
        {
          $facet: {
            groups: [
              {
                $group: {
                  _id: { priority: '$priority', decision: '$decision', extended: '$extended', appeal: '$appeal' },
                  n: { $sum: 1 },
                  ms: { $sum: { $cond: [{ $in: ['$decision', DETERMINED] }, { $ifNull: ['$ms', 0] }, 0] } },
                },
              },
            ],
            buckets: [
              { $match: { decision: { $in: DETERMINED } } },
              { $bucket: { groupBy: '$ms', boundaries, default: 'more', output: { standard: { $sum: { $cond: [{ $eq: ['$priority', 'expedited'] }, 0, 1] } }, expedited: { $sum: { $cond: [{ $eq: ['$priority', 'expedited'] }, 1, 0] } } } } },
            ],
          },
        },
      ])) as Array<{
        groups: Array<{ _id: { priority?: string; decision?: string; extended?: string; appeal?: string }; n: number; ms: number }>;
        buckets: Array<{ _id: number | string; standard: number; expedited: number }>;
      }>;
      const groups = facets?.groups ?? [];
      const buckets = facets?.buckets ?? [];
      const bucketIndex = (id: number | string): number => (id === 'more' ? TIME_BUCKETS_HOURS.length : boundaries.indexOf(id as number));

      const figures = (priority: 'standard' | 'expedited'): PriorityFigures => {
        // A request without a priority extension is standard (Claim.priority other than stat).
        const mine = groups.filter((g) => (g._id.priority === 'expedited' ? 'expedited' : 'standard') === priority);
        const count = (decision: string): number => mine.filter((g) => g._id.decision === decision).reduce((a, g) => a + g.n, 0);
        const approved = count('approved');
        const partiallyApproved = count('partially-approved');
        const denied = count('denied');
        const determined = approved + partiallyApproved + denied;
        const totalMs = mine.filter((g) => DETERMINED.includes(g._id.decision ?? '')).reduce((a, g) => a + g.ms, 0);
        const distribution = new Array<number>(TIME_BUCKETS_HOURS.length + 1).fill(0);
        for (const b of buckets) distribution[bucketIndex(b._id)] += b[priority];
        return {
          submitted: mine.reduce((a, g) => a + g.n, 0),
          determined,
          approved,
          partiallyApproved,
          denied,
          pended: count('pended'),
          withdrawn: count('withdrawn'),
          cancelled: count('cancelled'),
          approvedPercent: pct(approved + partiallyApproved, determined),
          deniedPercent: pct(denied, determined),
          averageHours: hours(determined === 0 ? null : totalMs / determined),
          medianHours: null,
          distribution,
        };
      };
      const standard = figures('standard');
      const expedited = figures('expedited');
      const middle = await medians(filter, { standard: standard.determined, expedited: expedited.determined });
      standard.medianHours = hours(middle.standard);
      expedited.medianHours = hours(middle.expedited);
      const determined = standard.determined + expedited.determined;
      const where = (p: (g: (typeof groups)[number]) => boolean): number => groups.filter(p).reduce((a, g) => a + g.n, 0);
      const approvedAfterAppeal = where((g) => g._id.decision === 'denied' && g._id.appeal === 'overturned');
      const extendedThenApproved = where((g) => g._id.extended === 'true' && (g._id.decision === 'approved' || g._id.decision === 'partially-approved'));
      return {
        year,
        standard,
        expedited,
        determined,
        approvedAfterAppeal,
        approvedAfterAppealPercent: pct(approvedAfterAppeal, determined),
        extendedThenApproved,
        extendedThenApprovedPercent: pct(extendedThenApproved, determined),
        appealed: where((g) => g._id.decision === 'denied' && g._id.appeal !== undefined && g._id.appeal !== null),
      };
    },

    async usage(year: number): Promise<UsageMetrics> {
      const [from, to] = yearRange(year);
      const filter = { $and: [{ type: 'AuditEvent' }, deps.policy.compileQuery('AuditEvent', [['_tag', `${PROGRAM_CODE_SYSTEM.disclosure}|patient-access-release`], ['date', from], ['date', to]])] };
      const [row] = (await deps.store.aggregate(filter, [
        { $project: { patient: '$sp.patient', day: { $floor: { $divide: [first('$sp.date.lo'), 86_400_000] } } } },
        { $unwind: '$patient' },
        { $group: { _id: { patient: '$patient', day: '$day' } } },
        { $group: { _id: '$_id.patient', days: { $sum: 1 } } },
        { $facet: { members: [{ $count: 'n' }], repeat: [{ $match: { days: { $gt: 1 } } }, { $count: 'n' }], days: [{ $group: { _id: null, n: { $sum: '$days' } } }] } },
      ])) as Array<{ members: Array<{ n: number }>; repeat: Array<{ n: number }>; days: Array<{ n: number }> }>;
      return { year, membersWithRelease: row?.members[0]?.n ?? 0, membersWithRepeatRelease: row?.repeat[0]?.n ?? 0, releaseDays: row?.days[0]?.n ?? 0 };
    },
  };
}

export type Metrics = ReturnType<typeof metrics>;
