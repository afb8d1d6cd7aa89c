/**
 * Generating synthetic demo data straight into an embedded-store data folder, outside a running server:
 * the same loader the server uses on first start (loadResources in src/demo-data.ts), with progress and
 * a summary. Shared by `npm run seed` and `npm run bench`.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import { loadResources } from '../../src/demo-data.js';
import { loadSearchRegistry } from '../../src/fhir/search/registry.js';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { openEmbeddedDocuments } from '../../src/store/embedded/embedded-documents.js';
import { recordIndexFingerprint } from '../../src/fhir/rest/reindex.js';

export type DemoDataGenerator = (opts: { members: number; seed: number; now: Date }) => Iterable<Resource>;

export interface SeedProgress {
  resources: number;
  /** Patients generated so far: one per member, so patients / members is the share done. */
  patients: number;
  members: number;
}

export interface SeedFolderOptions {
  dataDir: string;
  members: number;
  seed: number;
  baseUrl: string;
  generate: DemoDataGenerator;
  now?: Date;
  onProgress?: (p: SeedProgress) => void;
}

export interface SeedSummary {
  dataDir: string;
  members: number;
  seed: number;
  resources: number;
  byType: Record<string, number>;
  ms: number;
}

/** True when the folder exists and holds anything at all (the seed refuses to mix data sets). */
export function isNonEmptyFolder(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

export async function seedDataFolder(opts: SeedFolderOptions): Promise<SeedSummary> {
  const started = Date.now();
  const now = opts.now ?? new Date();
  const byType: Record<string, number> = {};
  let patients = 0;
  function* counted(): Generator<Resource> {
    for (const r of opts.generate({ members: opts.members, seed: opts.seed, now })) {
      byType[r.resourceType] = (byType[r.resourceType] ?? 0) + 1;
      if (r.resourceType === 'Patient') patients++;
      yield r;
    }
  }
  const store = await openEmbeddedStore({ dataDir: opts.dataDir });
  const docs = await openEmbeddedDocuments({ dataDir: opts.dataDir });
  try {
    const registry = loadSearchRegistry();
    const resources = await loadResources(counted(), {
      store,
      registry,
      baseUrl: opts.baseUrl,
      now,
      onProgress: (n) => opts.onProgress?.({ resources: n, patients, members: opts.members }),
    });
    // The index was built with these definitions: the server need not rebuild it at first start.
    await recordIndexFingerprint({ docs, registry });
    return { dataDir: opts.dataDir, members: opts.members, seed: opts.seed, resources, byType, ms: Date.now() - started };
  } finally {
    await store.close();
    await docs.close();
  }
}
