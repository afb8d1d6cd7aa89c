/**
 * Keeping stored search indexes in step with the search parameter definitions.
 *
 * Every record carries the index values extracted when it was written (search/extract.ts). When a
 * release adds or changes a search parameter (e.g. `care-date`, which the Patient Access 2016 floor
 * relies on) or the compartment definition, records written before it would silently miss from
 * searches, or slip through filters that test for the parameter's absence. So the store remembers a
 * fingerprint of the definitions its index was built with; at startup a different (or missing)
 * fingerprint triggers a reindex of every current record, in place (same version, same lastUpdated),
 * before the server takes requests.
 *
 * The fingerprint covers what extraction depends on: every parameter's code, type, expression and
 * targets per resource type, the patient-compartment parameters, and INDEX_FORMAT (bump it when
 * extract.ts changes how values are stored). Not the base URL: references to the server's own base
 * are stored relative, so changing BASE_URL after data was written that used absolute self-references
 * needs a forced reindex (`npm run reindex -- --force`).
 */
import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { RecordIndex, ResourceStore, StoredRecord } from '../../store/port.js';
import { extractIndex } from '../search/extract.js';
import type { SearchRegistry } from '../search/registry.js';
import { withTargetCompartments } from './target-compartments.js';

/** Bump when extract.ts changes the shape of stored index values. */
export const INDEX_FORMAT = 1;

const META_COLLECTION = 'store-meta';
const INDEX_DOC = 'search-index';

interface IndexMeta extends StoredDocument {
  fingerprint: string;
  /** ISO time of the last reindex or fingerprint record. */
  at: string;
  reindexed?: number;
}

export function indexFingerprint(registry: SearchRegistry): string {
  const hash = createHash('sha256').update(`format ${INDEX_FORMAT}\n`);
  for (const type of [...registry.resourceTypes].sort()) {
    hash.update(`type ${type} cmp ${registry.patientCompartmentParams(type).join(',')}\n`);
    const defs = [...registry.forType(type).values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    for (const d of defs) hash.update(`${d.code}|${d.type}|${d.expression ?? ''}|${[...d.target].sort().join(',')}\n`);
  }
  return hash.digest('hex');
}

export interface IndexDeps {
  store: ResourceStore;
  docs: DocumentStore;
  registry: SearchRegistry;
  baseUrl: string;
}

/** Record that the store's index matches the current definitions (after seeding an empty store). */
export async function recordIndexFingerprint(deps: Pick<IndexDeps, 'docs' | 'registry'>, reindexed?: number): Promise<void> {
  await deps.docs.collection<IndexMeta>(META_COLLECTION).put({
    _id: INDEX_DOC,
    fingerprint: indexFingerprint(deps.registry),
    at: new Date().toISOString(),
    ...(reindexed !== undefined ? { reindexed } : {}),
  });
}

const sameCompartments = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((c) => b.includes(c));

const sameIndex = (a: RecordIndex, b: RecordIndex): boolean =>
  JSON.stringify(a.sp) === JSON.stringify(b.sp) && JSON.stringify(a.so) === JSON.stringify(b.so) && sameCompartments(a.cmp, b.cmp);

/**
 * Re-extract the index of every current record and store what changed. A Provenance also joins its
 * targets' compartments (target-compartments.ts), so when any compartment changed, Provenance is
 * visited a second time against the targets' new compartments. Resolves the number of records changed.
 */
export async function reindexAll(deps: Omit<IndexDeps, 'docs'>, onProgress?: (visited: number) => void): Promise<number> {
  const { store, registry, baseUrl } = deps;
  const lookup = (type: string, id: string): Promise<StoredRecord | undefined> => store.current(type, id);
  let visited = 0;
  let cmpChanged = false;
  const fresh = async (record: StoredRecord): Promise<RecordIndex | undefined> => {
    // Parse the stored text afresh rather than through `res`, which an adapter may memoise per record.
    const resource = (record.json !== undefined ? JSON.parse(record.json) : record.res) as Resource | undefined;
    if (!resource) return undefined;
    const extracted = extractIndex(resource, registry, baseUrl);
    const next = record.type === 'Provenance' ? await withTargetCompartments({ ...record, ...extracted }, lookup) : { ...record, ...extracted };
    const index: RecordIndex = { sp: next.sp, so: next.so, cmp: next.cmp };
    return sameIndex(index, record) ? undefined : index;
  };
  let changed = await store.reindex(async (record) => {
    if (++visited % 50_000 === 0) onProgress?.(visited);
    const index = await fresh(record);
    if (index && !sameCompartments(index.cmp, record.cmp)) cmpChanged = true;
    return index;
  });
  if (cmpChanged) changed += await store.reindex(async (record) => (record.type === 'Provenance' ? fresh(record) : undefined));
  return changed;
}

export interface IndexCheck {
  /** Records whose index was rebuilt (0 when the fingerprint matched or the store was empty). */
  reindexed: number;
  /** Why the index was rebuilt, when it was. */
  reason?: 'no fingerprint' | 'definitions changed' | 'forced';
}

/**
 * At startup: reindex when the stored fingerprint is missing or differs, then record the current one.
 * An empty store only records it.
 */
export async function ensureCurrentIndex(deps: IndexDeps, opts: { force?: boolean; onProgress?: (visited: number) => void } = {}): Promise<IndexCheck> {
  const stored = await deps.docs.collection<IndexMeta>(META_COLLECTION).get(INDEX_DOC);
  const current = indexFingerprint(deps.registry);
  if (!opts.force && stored?.fingerprint === current) return { reindexed: 0 };
  if (!opts.force && (await deps.store.size()) === 0) {
    await recordIndexFingerprint(deps);
    return { reindexed: 0 };
  }
  const reason = opts.force ? 'forced' : stored ? 'definitions changed' : 'no fingerprint';
  const reindexed = await reindexAll(deps, opts.onProgress);
  await recordIndexFingerprint(deps, reindexed);
  return { reindexed, reason };
}
