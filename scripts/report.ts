/**
 * `npm run report -- --year 2025 [--format text|json] [--server URL] [--credentials FILE]`: the annual
 * CMS-0057-F figures of a RUNNING server, from its admin API (`/admin/metrics/{year}`): the
 * prior-authorization metrics published on `/metrics/prior-auth`, and the Patient Access usage figures
 * reported to CMS. The same numbers as the page and the downloads: one computation (src/apis/metrics/).
 */
import { parseArgs } from 'node:util';
import { adminSession, CliError, connectionOf, UsageError } from './admin-session.js';
import type { PublishedReport } from '../src/apis/metrics/metrics-routes.js';
import type { UsageMetrics } from '../src/domain/pa-metrics.js';

const USAGE = `Usage: npm run report -- --year YYYY [--format text|json] [--server URL] [--credentials FILE]

  --year YYYY         the calendar year (2016 to this year)
  --format text|json  a readable summary (default) or the full JSON
  --server URL        the server (default: SERVER_URL, else http://localhost:$PORT, PORT 8080)
  --credentials FILE  the admin credential (default: $DATA_DIR/admin-credentials.json)
`;

/** What `/admin/metrics/{year}` answers (src/apis/metrics/metrics-routes.ts). */
interface Answer {
  priorAuth: PublishedReport;
  patientAccessUsage: UsageMetrics;
}

const p = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(1)}%`);
const h = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(2)} h`);

export function formatReport(a: Answer): string {
  const r = a.priorAuth;
  const u = a.patientAccessUsage;
  return [
    `CMS-0057-F figures for ${r.year}`,
    '',
    'Prior authorization (items and services, drugs excluded)',
    `  items and services that need PA:        ${r.itemsAndServices.length}`,
    `  requests (standard / expedited):        ${r.standard.submitted} / ${r.expedited.submitted}; determined ${r.standard.determined} / ${r.expedited.determined}; pending ${r.standard.pended} / ${r.expedited.pended}`,
    `  standard approved / denied:             ${p(r.standard.approvedPercent)} / ${p(r.standard.deniedPercent)}`,
    `  expedited approved / denied:            ${p(r.expedited.approvedPercent)} / ${p(r.expedited.deniedPercent)}`,
    `  approved after appeal:                  ${p(r.approvedAfterAppealPercent)}`,
    `  timeframe extended, then approved:      ${p(r.extendedThenApprovedPercent)}`,
    `  standard time to decision avg / median: ${h(r.standard.averageHours)} / ${h(r.standard.medianHours)}`,
    `  expedited time to decision avg / median: ${h(r.expedited.averageHours)} / ${h(r.expedited.medianHours)}`,
    '',
    'Patient Access API usage',
    `  members whose data went to an app they chose:    ${u.membersWithRelease}`,
    `  members whose data went more than once (days):   ${u.membersWithRepeatRelease}`,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { year: { type: 'string' }, format: { type: 'string' }, server: { type: 'string' }, credentials: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.year || !/^\d{4}$/.test(values.year)) throw new UsageError('--year YYYY is required');
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format is text or json');
  const session = await adminSession(connectionOf(values, process.env));
  const { body } = await session.call('GET', `/admin/metrics/${values.year}`);
  process.stdout.write(format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : formatReport(body as Answer));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`${err instanceof CliError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
