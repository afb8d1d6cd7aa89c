/**
 * The annual report over many PA decisions in the embedded store (`npm run bench:metrics -- --decisions N`,
 * default 1,000,000): N PAS ClaimResponses of one year are built as the server stores them (the domain's
 * ClaimResponse, indexed by the real search definitions), loaded into a fresh embedded store, and the
 * report (apis/metrics: the same aggregation pipelines MongoDB runs) is timed, median of 3. Beside it, a
 * same-run ceiling: the same figures computed by a plain loop over the same decisions already in memory
 * as small objects (no store, no pipeline), including the sort the median needs. The figures of both are
 * compared, so the bench also checks the pipelines' answer.
 *
 * Decisions are drawn with a fixed seed: a quarter expedited; 60 % approved, 8 % modified, 17 % denied,
 * 8 % pended, 7 % withdrawn; times within the deadlines, 10 % of standard ones extended; a quarter of
 * denials appealed, half of those overturned.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { loadSearchRegistry } from '../../src/fhir/search/registry.js';
import { buildRecord } from '../../src/fhir/rest/stored-record.js';
import { policyDeps } from '../../src/auth/access-policy.js';
import { metrics, type PaMetrics } from '../../src/apis/metrics/metrics.js';
import { paClaimResponseFrom, type PaItemState, type PaState } from '../../src/domain/pa-claim-response.js';
import type { StoredRecord } from '../../src/store/port.js';
import { Rng } from '../../src/synthetic/prng.js';

const YEAR = 2025;
const H = 3_600_000;
const BASE = 'http://localhost/fhir';

/** A seeded stream of uniform numbers in [0, 1) (the synthetic data's generator). */
function prng(seed: number): () => number {
  const rng = Rng.derive(seed, 'bench-metrics');
  return () => rng.next();
}

interface Decision {
  priority: 'standard' | 'expedited';
  decision: PaItemState['decision'] | 'withdrawn';
  ms?: number;
  extended: boolean;
  appeal?: 'overturned' | 'upheld';
}

function draw(rand: () => number): Decision {
  const priority = rand() < 0.25 ? 'expedited' : 'standard';
  const r = rand();
  const decision: Decision['decision'] = r < 0.6 ? 'approved' : r < 0.68 ? 'partially-approved' : r < 0.85 ? 'denied' : r < 0.93 ? 'pended' : 'withdrawn';
  const limitH = priority === 'expedited' ? 72 : 168;
  const extended = priority === 'standard' && decision !== 'pended' && decision !== 'withdrawn' && rand() < 0.1;
  const ms = decision === 'pended' || decision === 'withdrawn' ? undefined : Math.floor(rand() * (extended ? limitH + 14 * 24 : limitH) * H);
  const appeal = decision === 'denied' && rand() < 0.25 ? (rand() < 0.5 ? 'overturned' : 'upheld') : undefined;
  return { priority, decision, ...(ms !== undefined ? { ms } : {}), extended, ...(appeal ? { appeal } : {}) };
}

function resourceOf(i: number, d: Decision, submitted: number) {
  const state: PaState = {
    id: `b${i}`,
    claimId: `bc${i}`,
    trackingNumber: `T${i}`,
    submitterIdentifiers: [],
    priority: d.priority,
    submittedAt: new Date(submitted).toISOString(),
    dueAt: new Date(submitted + (d.priority === 'expedited' ? 72 : 168) * H).toISOString(),
    ...(d.ms !== undefined ? { decidedAt: new Date(submitted + d.ms).toISOString(), paNumber: `PA${i}` } : {}),
    ...(d.decision === 'withdrawn' ? { closed: 'withdrawn' as const, decidedAt: new Date(submitted + H).toISOString() } : {}),
    ...(d.extended ? { extension: { extendedAt: new Date(submitted + H).toISOString(), reason: 'records awaited' } } : {}),
    ...(d.appeal ? { appeal: { status: d.appeal, filedAt: new Date(submitted + 400 * H).toISOString() } } : {}),
    patient: { reference: `Patient/m${i % 50_000}` },
    insurer: { reference: 'Organization/org-masshealth' },
    requestor: { reference: `Organization/o${i % 500}` },
    claimType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    items: [{ sequence: 1, decision: d.decision === 'withdrawn' ? 'cancelled' : d.decision, ...(d.decision === 'denied' ? { denialReason: 'not-medically-necessary' as const } : {}) }],
  };
  return paClaimResponseFrom(state);
}

/** The same figures by a plain loop (the ceiling), in the report's shape for the compared fields. */
function byLoop(ds: ReadonlyArray<Decision>) {
  const out = { standard: { determined: 0, approved: 0, denied: 0, ms: [] as number[] }, expedited: { determined: 0, approved: 0, denied: 0, ms: [] as number[] }, overturned: 0, extendedApproved: 0 };
  for (const d of ds) {
    const p = out[d.priority];
    if (d.decision === 'approved' || d.decision === 'partially-approved' || d.decision === 'denied') {
      p.determined++;
      if (d.decision === 'denied') p.denied++;
      else p.approved++;
      p.ms.push(d.ms as number);
      if (d.decision === 'denied' && d.appeal === 'overturned') out.overturned++;
      if (d.extended && d.decision !== 'denied') out.extendedApproved++;
    }
  }
  const median = (ms: number[]): number => {
    ms.sort((a, b) => a - b);
    const n = ms.length;
    return n % 2 ? ms[(n - 1) / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  };
  return { standardMedianH: median(out.standard.ms) / H, expeditedMedianH: median(out.expedited.ms) / H, standardDetermined: out.standard.determined, expeditedDetermined: out.expedited.determined, overturned: out.overturned, extendedApproved: out.extendedApproved };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { decisions: { type: 'string' }, seed: { type: 'string' } }, strict: true });
  const n = values.decisions && /^\d+$/.test(values.decisions) ? Number(values.decisions) : 1_000_000;
  const rand = prng(values.seed && /^\d+$/.test(values.seed) ? Number(values.seed) : 1);
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
  try {
    const registry = loadSearchRegistry();
    const store = await EmbeddedStore.open({ dataDir: dir });
    const decisions: Decision[] = [];
    const start = Date.UTC(YEAR, 0, 1);
    const span = Date.UTC(YEAR + 1, 0, 1) - start - 30 * 24 * H;
    const now = new Date();
    const t0 = performance.now();
    function* records(): Generator<StoredRecord> {
      for (let i = 0; i < n; i++) {
        const d = draw(rand);
        decisions.push(d);
        yield buildRecord(resourceOf(i, d, start + Math.floor(rand() * span)), 1, now, registry, BASE);
        if ((i + 1) % 100_000 === 0) log(`built and loaded ${i + 1} decisions (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    await store.load(records());
    const loadS = (performance.now() - t0) / 1000;
    const m = metrics({ store, policy: policyDeps(registry, () => now, BASE) });
    const runs: Array<{ ms: number; r: PaMetrics }> = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const r = await m.priorAuth(YEAR);
      runs.push({ ms: performance.now() - s, r });
      log(`report run ${i + 1}: ${(runs[i].ms / 1000).toFixed(2)} s`);
    }
    const ceilingRuns: number[] = [];
    let loop = byLoop(decisions);
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      loop = byLoop(decisions);
      ceilingRuns.push(performance.now() - s);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1];
    const report = runs.sort((a, b) => a.ms - b.ms)[1];
    const r = report.r;
    const agree =
      r.standard.determined === loop.standardDetermined &&
      r.expedited.determined === loop.expeditedDetermined &&
      r.approvedAfterAppeal === loop.overturned &&
      r.extendedThenApproved === loop.extendedApproved &&
      Math.abs((r.standard.medianHours ?? 0) - Math.round(loop.standardMedianH * 100) / 100) < 0.006 &&
      Math.abs((r.expedited.medianHours ?? 0) - Math.round(loop.expeditedMedianH * 100) / 100) < 0.006;
    const ceilingMs = median(ceilingRuns);
    process.stdout.write(
      [
        '',
        `Annual PA report over ${n.toLocaleString('en-US')} decisions in the embedded store (year ${YEAR}); load ${loadS.toFixed(0)} s (not timed below)`,
        '',
        '| | s per report | decisions/s | × ceiling |',
        '|---|--:|--:|--:|',
        `| report (aggregation pipelines, embedded store) | ${(report.ms / 1000).toFixed(2)} | ${Math.round((n * 1000) / report.ms).toLocaleString('en-US')} | ${(ceilingMs / report.ms).toFixed(3)} |`,
        `| ceiling: plain loop over in-memory decisions | ${(ceilingMs / 1000).toFixed(2)} | ${Math.round((n * 1000) / ceilingMs).toLocaleString('en-US')} | 1.000 |`,
        '',
        `  report runs (s): ${runs.map((x) => (x.ms / 1000).toFixed(2)).join(', ')}; ceiling runs (s): ${ceilingRuns.map((x) => (x / 1000).toFixed(2)).join(', ')}`,
        `  standard determined ${r.standard.determined.toLocaleString('en-US')}, approved ${r.standard.approvedPercent}%, median ${r.standard.medianHours} h; expedited determined ${r.expedited.determined.toLocaleString('en-US')}, median ${r.expedited.medianHours} h`,
        `  the pipelines' figures ${agree ? 'equal' : 'DIFFER FROM'} the plain loop's`,
        '',
      ].join('\n'),
    );
    await store.close();
    if (!agree) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
