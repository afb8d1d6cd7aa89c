/**
 * Bench child: open the embedded store on a seeded data folder in a fresh process and time it (the
 * reload a restarted server pays), then pick the ids the load scenarios rotate over. Reports one
 * message and exits.
 *
 * argv: <dataDir> <sampleSize> [profileFile]   (profileFile: record a CPU profile of the open only)
 */
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import type { ResourceStore } from '../../src/store/port.js';
import { reportReady } from './child-process.js';
import { startRecording } from './cpu-profile.js';
import { spread } from './scenarios.js';

export interface ReloadReport {
  reloadMs: number;
  resources: number;
  heapUsedMb: number;
  rssMb: number;
  /** Patient ids, spread evenly over the data set. */
  patients: string[];
  /** ExplanationOfBenefit ids, spread evenly. */
  eobs: string[];
  /** Ids of patients that have ExplanationOfBenefits (from the sampled EOBs' compartments). */
  eobPatients: string[];
  /** Ids of patients covered for at least five years (their earliest Coverage starts five or more years ago). */
  longHistoryPatients: string[];
}

const FIVE_YEARS_MS = 5 * 365.25 * 86_400_000;

/** Members whose history spans five years or more, by their earliest Coverage.period.start. */
async function longHistory(store: ResourceStore, sample: number): Promise<string[]> {
  const { records } = await store.find({ filter: { type: 'Coverage' }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  const earliest = new Map<string, number>();
  for (const r of records) {
    const start = Date.parse(String((r.res as { period?: { start?: string } } | undefined)?.period?.start ?? ''));
    if (Number.isNaN(start)) continue;
    for (const c of r.cmp) if (c.startsWith('Patient/') && start < (earliest.get(c) ?? Infinity)) earliest.set(c, start);
  }
  const cutoff = Date.now() - FIVE_YEARS_MS;
  const ids = [...earliest].filter(([, start]) => start <= cutoff).map(([c]) => c.slice('Patient/'.length)).sort();
  return spread(ids, sample);
}

async function idsOf(store: ResourceStore, type: string): Promise<{ id: string; cmp: string[] }[]> {
  const { records } = await store.find({ filter: { type }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  return records.map((r) => ({ id: r.id, cmp: r.cmp }));
}

async function main(): Promise<void> {
  const [dataDir, sampleRaw, profileFile] = process.argv.slice(2);
  const sample = Number(sampleRaw ?? 2000);
  const recorder = profileFile ? await startRecording() : undefined;
  const started = process.hrtime.bigint();
  const store = await openEmbeddedStore({ dataDir });
  const reloadMs = Number(process.hrtime.bigint() - started) / 1e6;
  await recorder?.stop(profileFile);
  const mem = process.memoryUsage();
  const resources = await store.size();
  const patients = spread(await idsOf(store, 'Patient'), sample).map((r) => r.id);
  const eobRecords = spread(await idsOf(store, 'ExplanationOfBenefit'), sample);
  const eobPatients = [...new Set(eobRecords.flatMap((r) => r.cmp.filter((c) => c.startsWith('Patient/')).map((c) => c.slice('Patient/'.length))))];
  const longHistoryPatients = await longHistory(store, sample);
  await store.close();
  const report: ReloadReport = {
    reloadMs,
    resources,
    heapUsedMb: Math.round(mem.heapUsed / 2 ** 20),
    rssMb: Math.round(mem.rss / 2 ** 20),
    patients,
    eobs: eobRecords.map((r) => r.id),
    eobPatients,
    longHistoryPatients,
  };
  await reportReady(report);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
