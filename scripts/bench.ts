/**
 * `npm run bench [-- --members N --seed S --duration SEC --connections C --scenarios a,b --rounds R --profile]`
 *
 * 1. Seeds N members (default 10,000) into `.bench-data/members-N-seed-S/`, once: later runs reuse
 *    the folder while the code that shapes it is unchanged (--reseed forces it). Reports seeding time.
 * 2. Reload: opens that folder in a fresh process and times it (target < 15 s).
 * 3. Starts the real server (startServer) in a child process on it and loads each scenario with
 *    autocannon from this process, rotating over many ids.
 * 4. Ceilings: for each scenario, a bare express 5 app and a bare node:http server, each in its own
 *    child process like the FHIR server, answer with the exact bytes of a recorded FHIR response under
 *    the same load. Throughput is judged as a ratio to them, because the 2-core host is shared and noisy.
 * 5. Provider Access export (export-throughput.ts): a provider's Group/$export of about 1,000 members on
 *    the same server, kick-off to complete, beside writing the same NDJSON with fs streams.
 * 6. Prior Authorization API (prior-auth-throughput.ts): PAS $submit with an automatic decision and a CRD
 *    order-sign call on a fresh small data folder, beside express and node:http ceilings answering the
 *    same POSTs (`npm run bench:prior-auth` runs only this part).
 * 7. Prints the table and writes bench-results/latest.json. --profile records a CPU profile of the
 *    server during each scenario's measured run and of the reload (bench-results/profiles/*.cpuprofile,
 *    open in Chrome DevTools or speedscope) and prints the hottest files and functions.
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChild } from './bench/child-process.js';
import { ensureSeeded } from './bench/seed-cache.js';
import { runLoad, type LoadResult } from './bench/run-load.js';
import { buildScenarios, SCENARIO_NAMES, TARGETS, type Scenario } from './bench/scenarios.js';
import { formatReport, judgeScenario, type BenchReport, type ScenarioOutcome } from './bench/report.js';
import { formatSummary, summarizeProfile, type CpuProfile, type ProfileSummary } from './bench/cpu-profile.js';
import type { ReloadReport } from './bench/time-reload.js';
import type { ServerReady } from './bench/serve-fhir.js';
import type { CeilingKind, RecordedResponse } from './bench/serve-ceiling.js';
import { formatExportThroughput, measureExportThroughput, type ExportThroughputReport } from './bench/export-throughput.js';
import { formatPriorAuthThroughput, measurePriorAuth, type PriorAuthThroughputReport } from './bench/prior-auth-throughput.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'scripts', 'bench');
const RESULTS = join(ROOT, 'bench-results');
/** A data set of 10,000 members takes a few GB of heap; Node's default limit may be lower. */
// The same V8 flags as `npm start` and the Dockerfile, so the bench measures what runs in production.
const HEAP = ['--max-old-space-size=8192', '--max-semi-space-size=64'];

const USAGE = `Usage: npm run bench -- [options]

  --members N       members to seed (default 10000)
  --seed S          random seed (default 1)
  --duration SEC    seconds of load per run (default 10)
  --warmup SEC      discarded warm-up seconds before each run (default 2)
  --connections C   concurrent connections (default 16)
  --scenarios LIST  comma-separated subset of: ${SCENARIO_NAMES.join(', ')}
  --sample N        ids to rotate over per scenario (default 2000)
  --rounds R        measure each scenario R times, alternating server and ceilings, and keep the
                    median of each (default 1; 3 steadies the ratios on a noisy host)
  --node-flags=F    extra Node flags (space-separated) for the server and reload processes, e.g.
                    --node-flags=--max-semi-space-size=64 (to try a runtime setting first)
  --export-runs N   Provider Access export runs (default 3; 0 skips the export section)
  --pa-requests N   requests per Prior Authorization run (default 3000; 0 skips that section)
  --reseed          seed the cached data folder again
  --keep-data       reuse the cached folder even if the generator/index/store code changed since
  --profile         CPU-profile the server per scenario and the reload (bench-results/profiles/) and
                    print the hot spots; figures are then taken with the profiler attached
`;

class UsageError extends Error {}

function intArg(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

const DROPPED_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * Fetch the first responses of a scenario, insist on 200s, and keep the one of median size as the bytes
 * the ceilings serve.
 */
async function recordResponse(baseUrl: string, authorization: string, scenario: Scenario): Promise<RecordedResponse> {
  const probes: RecordedResponse[] = [];
  for (const path of scenario.paths.slice(0, 25)) {
    const res = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/fhir+json', authorization } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${scenario.name}: GET ${path} answered ${res.status}: ${body.toString('utf8').slice(0, 500)}`);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!DROPPED_HEADERS.has(name)) headers[name] = value;
    });
    probes.push({ status: res.status, headers, body: body.toString('base64') });
  }
  probes.sort((a, b) => a.body.length - b.body.length);
  return probes[Math.floor(probes.length / 2)];
}

const rps = (r: LoadResult): number => Math.round(r.requestsPerSec);

/** The run of median throughput (the lower middle one for an even count). */
function median(runs: LoadResult[]): LoadResult {
  return [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor((runs.length - 1) / 2)];
}

async function loadCeiling(kind: CeilingKind, fixture: string, scenario: Scenario, load: Omit<Parameters<typeof runLoad>[0], 'url' | 'paths'>): Promise<LoadResult> {
  const ceiling = await startChild<{ url: string }>(join(BENCH, 'serve-ceiling.ts'), { args: [kind, fixture], cwd: ROOT, timeoutMs: 60_000 });
  try {
    return await runLoad({ ...load, url: ceiling.ready.url, paths: scenario.paths });
  } finally {
    await ceiling.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      sample: { type: 'string' },
      rounds: { type: 'string' },
      'node-flags': { type: 'string' },
      'export-runs': { type: 'string' },
      'pa-requests': { type: 'string' },
      reseed: { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const members = intArg('members', values.members, 10_000, 1, 1_000_000);
  const seed = intArg('seed', values.seed, 1, 0, 2 ** 31 - 1);
  const durationSec = intArg('duration', values.duration, 10, 1, 3600);
  const warmupSec = intArg('warmup', values.warmup, 2, 0, 600);
  const connections = intArg('connections', values.connections, 16, 1, 10_000);
  const sample = intArg('sample', values.sample, 2000, 1, 1_000_000);
  const rounds = intArg('rounds', values.rounds, 1, 1, 100);
  const exportRuns = intArg('export-runs', values['export-runs'], 3, 0, 100);
  const paRequests = intArg('pa-requests', values['pa-requests'], 3000, 0, 1_000_000);
  const serverFlags = [...HEAP, ...(values['node-flags']?.split(/\s+/).filter(Boolean) ?? [])];
  const only = values.scenarios?.split(',').map((s) => s.trim());
  const unknown = only?.filter((s) => !(SCENARIO_NAMES as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown scenario(s): ${unknown.join(', ')}`);

  const startedAt = new Date().toISOString();
  const dataDir = join(ROOT, '.bench-data', `members-${members}-seed-${seed}`);
  const profileDir = join(RESULTS, 'profiles');
  const profiles: Record<string, ProfileSummary> = {};
  const summarize = (name: string, file: string): void => {
    profiles[name] = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  };
  mkdirSync(join(RESULTS, 'fixtures'), { recursive: true });
  if (values.profile) mkdirSync(profileDir, { recursive: true });

  const seeded = await ensureSeeded({ root: ROOT, dataDir, members, seed, reseed: values.reseed, keepData: values['keep-data'], nodeFlags: HEAP, log });
  log(`seed: ${seeded.summary.resources} resources in ${(seeded.summary.ms / 1000).toFixed(1)} s${seeded.cached ? ' (cached)' : ''}`);

  log('reload: opening the data folder in a fresh process');
  const reloadProfile = join(profileDir, 'reload.cpuprofile');
  const reloadChild = await startChild<ReloadReport>(join(BENCH, 'time-reload.ts'), {
    args: [dataDir, String(sample), ...(values.profile ? [reloadProfile] : [])],
    nodeFlags: serverFlags,
    cwd: ROOT,
  });
  await reloadChild.stop();
  if (values.profile) summarize('reload', reloadProfile);
  const reload = reloadChild.ready;
  log(`reload: ${(reload.reloadMs / 1000).toFixed(2)} s for ${reload.resources} resources`);

  const scenarios = buildScenarios(reload, only);
  const load = { connections, durationSec, warmupSec };
  log('starting the FHIR server');
  const server = await startChild<ServerReady>(join(BENCH, 'serve-fhir.ts'), { args: [dataDir], nodeFlags: serverFlags, cwd: ROOT });
  const outcomes: ScenarioOutcome[] = [];
  let exportThroughput: ExportThroughputReport | undefined;
  try {
    for (const scenario of scenarios) {
      const recorded = await recordResponse(server.ready.url, server.ready.authorization, scenario);
      const fixture = join(RESULTS, 'fixtures', `${scenario.name}.json`);
      writeFileSync(fixture, JSON.stringify(recorded));
      const runs: Record<'fhir' | 'express' | 'node', LoadResult[]> = { fhir: [], express: [], node: [] };
      for (let round = 1; round <= rounds; round++) {
        const of = rounds > 1 ? ` (round ${round}/${rounds})` : '';
        log(`${scenario.name}: ${scenario.paths.length} distinct requests; FHIR server${of}`);
        // Only the first round is profiled: one profile per scenario is enough to see where time goes.
        const profiling = values.profile && round === 1;
        runs.fhir.push(
          await runLoad({
            ...load,
            url: server.ready.url,
            headers: { authorization: server.ready.authorization },
            paths: scenario.paths,
            beforeMeasure: profiling ? () => server.ask({ cmd: 'profile-start' }) : undefined,
          }),
        );
        if (profiling) {
          const file = join(profileDir, `${scenario.name}.cpuprofile`);
          await server.ask({ cmd: 'profile-stop', file });
          summarize(scenario.name, file);
        }
        log(`${scenario.name}: express ceiling${of}`);
        runs.express.push(await loadCeiling('express', fixture, scenario, load));
        log(`${scenario.name}: node:http ceiling${of}`);
        runs.node.push(await loadCeiling('node', fixture, scenario, load));
      }
      const fhir = median(runs.fhir);
      const express = median(runs.express);
      const node = median(runs.node);
      const outcome = judgeScenario(
        { scenario: scenario.name, kind: scenario.kind, description: scenario.description, responseBytes: Buffer.from(recorded.body, 'base64').length },
        fhir,
        express,
        node,
      );
      if (rounds > 1) outcome.rounds = { fhir: runs.fhir.map(rps), express: runs.express.map(rps), node: runs.node.map(rps) };
      log(`${scenario.name}: ${Math.round(fhir.requestsPerSec)} req/s (${outcome.ratioToExpress.toFixed(2)} × express), p99 ${fhir.p99Ms} ms: ${outcome.verdict}`);
      outcomes.push(outcome);
    }
    if (exportRuns > 0) {
      const file = join(profileDir, 'export.cpuprofile');
      const profile = values.profile ? { start: () => server.ask({ cmd: 'profile-start' }), stop: () => server.ask({ cmd: 'profile-stop', file }) } : undefined;
      exportThroughput = await measureExportThroughput({ url: server.ready.url, authorization: server.ready.authorization, dataDir, runs: exportRuns, log, ...(profile ? { profile } : {}) });
      if (profile) summarize('export', file);
    }
  } finally {
    await server.stop();
  }

  const priorAuth = paRequests > 0 ? await measurePriorAuth({ root: ROOT, members: 200, connections, requests: paRequests, nodeFlags: serverFlags, log }) : undefined;

  const cpuList = cpus();
  const report: BenchReport & { exportThroughput?: ExportThroughputReport; priorAuth?: PriorAuthThroughputReport } = {
    startedAt,
    machine: { cpus: cpuList.length, cpuModel: cpuList[0]?.model ?? 'unknown', node: process.versions.node, platform: process.platform, loadAvg: loadavg() },
    options: { members, seed, connections, durationSec, warmupSec, rounds, nodeFlags: serverFlags, dataDir },
    seed: { cached: seeded.cached, ms: seeded.summary.ms, resources: seeded.summary.resources, byType: seeded.summary.byType },
    reload: {
      ms: Math.round(reload.reloadMs),
      resources: reload.resources,
      heapUsedMb: reload.heapUsedMb,
      rssMb: reload.rssMb,
      targetMs: TARGETS.reloadMs,
      verdict: reload.reloadMs < TARGETS.reloadMs ? 'PASS' : 'MISS',
    },
    server: { startMs: Math.round(server.ready.startMs) },
    scenarios: outcomes,
    ...(values.profile ? { profiles } : {}),
    ...(exportThroughput ? { exportThroughput } : {}),
    ...(priorAuth ? { priorAuth } : {}),
  };
  process.stdout.write(formatReport(report));
  if (exportThroughput) process.stdout.write(formatExportThroughput(exportThroughput));
  if (priorAuth) process.stdout.write(formatPriorAuthThroughput(priorAuth));
  for (const [name, summary] of Object.entries(profiles)) process.stdout.write(`${formatSummary(name, summary)}\n\n`);
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${join(RESULTS, 'latest.json')}`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
