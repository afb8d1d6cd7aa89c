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
  await store.close();
  const report: ReloadReport = {
    reloadMs,
    resources,
    heapUsedMb: Math.round(mem.heapUsed / 2 ** 20),
    rssMb: Math.round(mem.rss / 2 ** 20),
    patients,
    eobs: eobRecords.map((r) => r.id),
    eobPatients,
  };
  await reportReady(report);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
