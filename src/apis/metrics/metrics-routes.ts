/**
 * Publishing the annual figures (metrics.ts):
 *  - `GET /metrics/prior-auth?year=YYYY` (public, no login): the page (pa-metrics-page.ts);
 *  - `GET /metrics/prior-auth/{year}.json` and `.csv` (public): the same figures and the list of items and
 *    services that need PA, for download;
 *  - `GET /admin/metrics/{year}` (payer staff, always computed afresh): the prior-authorization figures and
 *    the Patient Access usage figures reported to CMS (what `npm run report -- --year YYYY` prints).
 * Years from 2016 to the current one; anything else is a 400.
 */
import type { Express, Response } from 'express';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../http/route-input.js';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { route } from '../../http/audience.js';
import { badRequest } from '../../fhir/outcome.js';
import type { TokenVerifier } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import { paMetricsPage, type MetricsPageParams, type PublishedService } from '../../web/pages/pa-metrics-page.js';
import { TIME_BUCKETS_HOURS, type Metrics } from './metrics.js';

/** How long the public page and downloads reuse a computed report (their Cache-Control says the same). */
const CACHE_MS = 10 * 60_000;

/** A year's figures as published: the page, the JSON and CSV downloads. */
export type PublishedReport = MetricsPageParams['report'];

export const DEFINITIONS: Record<string, string> = {
  requests: 'Prior-authorization requests for items and services (drugs excluded) submitted from 1 January to 31 December of the year (UTC). An appeal is not counted as a new request.',
  determined: 'A request is determined when it was approved, approved with modifications, or denied. Requests still pended when the report was produced, and requests withdrawn by the provider or cancelled, are shown but are in no percentage.',
  approvedPercent: 'Approved and approved-with-modifications requests, as a percentage of the determined requests of the same priority (standard or expedited).',
  deniedPercent: 'Denied requests, as a percentage of the determined requests of the same priority.',
  approvedAfterAppeal: 'Denied requests whose denial was overturned on appeal, as a percentage of all determined requests (standard and expedited).',
  extendedThenApproved: 'Requests whose review timeframe was extended and that were then approved (or approved with modifications), as a percentage of all determined requests.',
  timeToDetermination: 'Hours from the moment the request was received to the moment it was determined, for determined requests. The median of an even number of requests is the mean of the two middle ones.',
  distribution: `Determined requests by time to determination: up to ${TIME_BUCKETS_HOURS.map((h) => (h < 48 ? `${h} h` : `${h / 24} days`)).join(', ')}, and more.`,
  itemsAndServices: 'The items and services that need prior authorization, from the rules the program maintains, as they stand on the day the report is produced.',
};

const CSV_HEADER = ['metric', 'standard', 'expedited', 'all', 'unit', 'definition'];

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The figures as CSV: one row per metric, then the items and services. */
export function reportCsv(r: PublishedReport): string {
  const rows: Array<Array<string | number | null>> = [
    ['requests submitted', r.standard.submitted, r.expedited.submitted, r.standard.submitted + r.expedited.submitted, 'requests', DEFINITIONS.requests],
    ['requests determined', r.standard.determined, r.expedited.determined, r.determined, 'requests', DEFINITIONS.determined],
    ['approved', r.standard.approvedPercent, r.expedited.approvedPercent, null, 'percent', DEFINITIONS.approvedPercent],
    ['denied', r.standard.deniedPercent, r.expedited.deniedPercent, null, 'percent', DEFINITIONS.deniedPercent],
    ['approved after appeal', null, null, r.approvedAfterAppealPercent, 'percent', DEFINITIONS.approvedAfterAppeal],
    ['timeframe extended, then approved', null, null, r.extendedThenApprovedPercent, 'percent', DEFINITIONS.extendedThenApproved],
    ['average time to determination', r.standard.averageHours, r.expedited.averageHours, null, 'hours', DEFINITIONS.timeToDetermination],
    ['median time to determination', r.standard.medianHours, r.expedited.medianHours, null, 'hours', DEFINITIONS.timeToDetermination],
    ['pended at report time', r.standard.pended, r.expedited.pended, r.standard.pended + r.expedited.pended, 'requests', DEFINITIONS.determined],
    ['withdrawn or cancelled', r.standard.withdrawn + r.standard.cancelled, r.expedited.withdrawn + r.expedited.cancelled, null, 'requests', DEFINITIONS.determined],
  ];
  const lines = [CSV_HEADER.join(','), ...rows.map((row) => row.map(csvCell).join(','))];
  lines.push('', 'item or service,code system,code,plan types,effective from,effective to');
  for (const s of r.itemsAndServices) lines.push([s.display, s.codeSystem, s.code, s.planTypes.join(' '), s.effectiveFrom, s.effectiveTo ?? ''].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function metricsRoutes(deps: { metrics: Metrics; services: () => Promise<PublishedService[]>; verify: TokenVerifier; clock: () => Date }): (app: Express) => void {
  const staff = staffGuard(deps.verify);
  const yearOf = (raw: unknown): number => {
    const now = deps.clock().getUTCFullYear();
    const r = z.coerce.number().int().min(2016).max(now).safeParse(raw);
    if (!r.success) throw badRequest(`year must be a whole year from 2016 to ${now}`);
    return r.data;
  };
  // The public page and downloads serve a report at most CACHE_MS old, computed once however many ask at
  // the same time (a million decisions take seconds); staff always get a fresh one.
  const cache = new Map<number, { at: number; report: Promise<PublishedReport> }>();
  const compute = async (year: number): Promise<PublishedReport> => ({
    ...(await deps.metrics.priorAuth(year)),
    generatedAt: deps.clock().toISOString(),
    definitions: DEFINITIONS,
    itemsAndServices: await deps.services(),
  });
  const report = (year: number): Promise<PublishedReport> => {
    const now = Date.now();
    const hit = cache.get(year);
    if (hit && now - hit.at < CACHE_MS) return hit.report;
    const fresh = compute(year);
    cache.set(year, { at: now, report: fresh });
    fresh.catch(() => cache.delete(year));
    return fresh;
  };
  const publicHeaders = (res: Response): void => {
    // Figures change as requests are decided: shared caches keep them as long as the server does.
    res.setHeader('Cache-Control', `public, max-age=${CACHE_MS / 1000}`);
    res.setHeader('Access-Control-Allow-Origin', '*');
  };
  return (app) => {
    route(app, { method: 'get', path: '/metrics/prior-auth', audiences: ['public'], description: 'the public prior-authorization metrics page for a year' }, async (req, res) => {
      const thisYear = deps.clock().getUTCFullYear();
      const year = req.query.year === undefined ? thisYear - 1 : yearOf(req.query.year);
      const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
      publicHeaders(res);
      res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
      res.status(200).type('html').send(paMetricsPage({ report: await report(year), query: q, years: Array.from({ length: thisYear - 2016 + 1 }, (_, i) => thisYear - i) }));
    });
    route(app, { method: 'get', path: '/metrics/prior-auth/:file', audiences: ['public'], description: 'the prior-authorization metrics of a year as JSON or CSV ({year}.json, {year}.csv)' }, async (req, res) => {
      const m = /^(\d{4})\.(json|csv)$/.exec(String(req.params.file));
      if (!m) throw badRequest('Ask for {year}.json or {year}.csv');
      const r = await report(yearOf(m[1]));
      publicHeaders(res);
      if (m[2] === 'json') res.status(200).type('application/json').send(JSON.stringify(r, null, 2));
      else res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="prior-authorization-metrics-${m[1]}.csv"`).send(reportCsv(r));
    });
    route(app, { method: 'get', path: '/admin/metrics/:year', audiences: ['admin'], description: 'the prior-authorization and Patient Access usage figures of a year' }, oauthJson(async (req) => {
      await staff(req);
      const year = yearOf(req.params.year);
      const fresh = compute(year);
      cache.set(year, { at: Date.now(), report: fresh });
      return { priorAuth: await fresh, patientAccessUsage: await deps.metrics.usage(year) };
    }));
  };
}
