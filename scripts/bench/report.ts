/**
 * Judging the bench figures against the targets and printing them: one table row per scenario (FHIR
 * server req/s and latency, the two ceilings, ratios, target, PASS/MISS), then seed and reload times.
 */
import type { LoadResult } from './run-load.js';
import type { ProfileSummary } from './cpu-profile.js';
import { TARGETS, type ScenarioKind } from './scenarios.js';

export interface ScenarioOutcome {
  scenario: string;
  kind: ScenarioKind;
  description: string;
  /** Size of the representative response the ceilings serve. */
  responseBytes: number;
  fhir: LoadResult;
  express: LoadResult;
  node: LoadResult;
  ratioToExpress: number;
  ratioToNode: number;
  targetRatio: number;
  throughputOk: boolean;
  p99Ok: boolean;
  /** Every request answered 2xx, without errors or timeouts. */
  clean: boolean;
  verdict: 'PASS' | 'MISS';
  /** With --rounds > 1: req/s of every round (the figures above are the median round). */
  rounds?: { fhir: number[]; express: number[]; node: number[] };
}

export interface BenchReport {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAvg: number[] };
  options: {
    members: number;
    seed: number;
    connections: number;
    durationSec: number;
    warmupSec: number;
    rounds: number;
    nodeFlags: string[];
    dataDir: string;
  };
  seed: { cached: boolean; ms: number; resources: number; byType: Record<string, number> };
  reload: { ms: number; resources: number; heapUsedMb: number; rssMb: number; targetMs: number; verdict: 'PASS' | 'MISS' };
  server: { startMs: number };
  scenarios: ScenarioOutcome[];
  /** With --profile: where the server's CPU time went, per scenario, and the reload's. */
  profiles?: Record<string, ProfileSummary>;
}

export function judgeScenario(
  s: { scenario: string; kind: ScenarioKind; description: string; responseBytes: number },
  fhir: LoadResult,
  express: LoadResult,
  node: LoadResult,
): ScenarioOutcome {
  const ratioToExpress = express.requestsPerSec > 0 ? fhir.requestsPerSec / express.requestsPerSec : 0;
  const ratioToNode = node.requestsPerSec > 0 ? fhir.requestsPerSec / node.requestsPerSec : 0;
  const targetRatio = s.kind === 'read' ? TARGETS.readVsExpress : TARGETS.searchVsExpress;
  const throughputOk = ratioToExpress >= targetRatio;
  const p99Ok = fhir.p99Ms < TARGETS.p99Ms;
  const clean = fhir.non2xx === 0 && fhir.errors === 0 && fhir.timeouts === 0;
  return {
    ...s,
    fhir,
    express,
    node,
    ratioToExpress,
    ratioToNode,
    targetRatio,
    throughputOk,
    p99Ok,
    clean,
    verdict: throughputOk && p99Ok && clean ? 'PASS' : 'MISS',
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAligned[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}`;
  return [line(header), `${rule}|`, ...rows.map(line)].join('\n');
}

export function formatReport(r: BenchReport): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'express req/s', 'node req/s', '× express', '× node', 'target', 'result'];
  const rows = r.scenarios.map((s) => [
    s.scenario,
    int(s.fhir.requestsPerSec),
    String(s.fhir.p50Ms),
    String(s.fhir.p99Ms),
    int(s.express.requestsPerSec),
    int(s.node.requestsPerSec),
    s.ratioToExpress.toFixed(2),
    s.ratioToNode.toFixed(2),
    `≥${s.targetRatio} ×ex, p99<${TARGETS.p99Ms}`,
    `${s.verdict}${s.verdict === 'MISS' ? ` (${[!s.throughputOk && 'ratio', !s.p99Ok && 'p99', !s.clean && `${s.fhir.non2xx} non-2xx/${s.fhir.errors} err`].filter(Boolean).join(', ')})` : ''}`,
  ]);
  const notes = r.scenarios.map((s) => `  ${s.scenario}: ${s.description}, response ${int(s.responseBytes)} bytes, ${int(s.fhir.requests)} requests`);
  const typeLine = Object.entries(r.seed.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${int(n)}`)
    .join(', ');
  return [
    '',
    `${r.options.members.toLocaleString('en-US')} members, seed ${r.options.seed}: ${int(r.seed.resources)} resources; ${r.options.connections} connections, ${r.options.durationSec} s per run (+${r.options.warmupSec} s warm-up)${r.options.rounds > 1 ? `, median of ${r.options.rounds} rounds` : ''}; ${r.machine.cpus} CPUs, Node ${r.machine.node} ${r.options.nodeFlags.join(' ')}`,
    '',
    table(header, rows, [false, true, true, true, true, true, true, true, false, false]),
    '',
    ...notes,
    '',
    `seed:   ${secs(r.seed.ms)}${r.seed.cached ? ' (cached folder; time of the original seeding)' : ''}, ${int((r.seed.resources * 1000) / Math.max(1, r.seed.ms))} resources/s`,
    `        ${typeLine}`,
    `reload: ${secs(r.reload.ms)} for ${int(r.reload.resources)} resources (target < ${secs(r.reload.targetMs)}): ${r.reload.verdict}; heap ${int(r.reload.heapUsedMb)} MB, rss ${int(r.reload.rssMb)} MB`,
    `server: ready in ${secs(r.server.startMs)} (store open + registry + validator + app)`,
    '',
  ].join('\n');
}
