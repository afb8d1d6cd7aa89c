/**
 * First-start demo data: when the store is empty and SEED_MEMBERS > 0, generate the deterministic
 * synthetic data set (src/synthetic) and load it in bulk. Starting again on a non-empty store reuses
 * it untouched. The same loader backs `npm run seed`.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { ResourceStore, StoredRecord } from './store/port.js';
import type { SearchRegistry } from './fhir/search/registry.js';
import { buildRecord } from './fhir/rest/stored-record.js';
import { withTargetCompartments, type CompartmentLookup } from './fhir/rest/target-compartments.js';

export interface LoadOptions {
  store: ResourceStore;
  registry: SearchRegistry;
  baseUrl: string;
  now?: Date;
  onProgress?: (loaded: number) => void;
}

/** Compartments of recently loaded records, for the Provenance that follows them (the generator emits per member). */
const RECENT_COMPARTMENTS = 50_000;

/** Index and bulk-load resources that already carry their ids (version 1 each). */
export async function loadResources(resources: Iterable<Resource>, opts: LoadOptions): Promise<number> {
  const now = opts.now ?? new Date();
  let n = 0;
  const recent = new Map<string, string[]>();
  // A Provenance inherits its targets' compartments, exactly as when it is written through the API.
  const lookup: CompartmentLookup = async (type, id) => {
    const cmp = recent.get(`${type}/${id}`);
    return cmp ? { cmp, del: false } : opts.store.current(type, id);
  };
  async function* records(): AsyncGenerator<StoredRecord> {
    for (const r of resources) {
      const record = await withTargetCompartments(buildRecord(r, 1, now, opts.registry, opts.baseUrl), lookup);
      if (record.cmp.length > 0) {
        recent.set(record._id, record.cmp);
        if (recent.size > RECENT_COMPARTMENTS) recent.delete(recent.keys().next().value as string);
      }
      yield record;
      n++;
      if (opts.onProgress && n % 1000 === 0) opts.onProgress(n);
    }
  }
  const loaded = await opts.store.load(records());
  opts.onProgress?.(loaded);
  return loaded;
}

export interface SeedOptions {
  store: ResourceStore;
  registry: SearchRegistry;
  baseUrl: string;
  members: number;
  seed: number;
  logger: Logger;
  now?: Date;
}

/** Returns the number of resources generated (0 when the store already had data or members is 0). */
export async function seedIfEmpty(opts: SeedOptions): Promise<number> {
  if (opts.members <= 0 || (await opts.store.size()) > 0) return 0;
  const now = opts.now ?? new Date();
  const started = Date.now();
  opts.logger.info({ members: opts.members, seed: opts.seed }, 'generating demo data into the empty store');
  // Loaded only when seeding: a server on an existing data folder never needs the generator.
  const { generateDemoData } = await import('./synthetic/generate.js');
  const loaded = await loadResources(generateDemoData({ members: opts.members, seed: opts.seed, now }), {
    store: opts.store,
    registry: opts.registry,
    baseUrl: opts.baseUrl,
    now,
  });
  opts.logger.info({ resources: loaded, ms: Date.now() - started }, 'demo data loaded');
  return loaded;
}
