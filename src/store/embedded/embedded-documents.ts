/**
 * The embedded DocumentStore (document-port.ts): each collection is a Map in process, persisted as
 * `<dataDir>/documents/<name>.ndjson` (document-log.ts). Every write is appended to the log before
 * memory changes, so an acknowledged write survives a killed process (and power loss with `fsync`).
 *
 * Single-use operations (`take`, `insert`, `update`) are atomic because JavaScript runs one callback
 * at a time and each method checks and mutates without an `await` in between: no other caller can
 * run between the check and the change.
 *
 * Documents are stored as their JSON form (fields holding `undefined` dropped, no Date or class
 * values), which is what a reload reads back; callers get copies, never the stored objects.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Query } from 'mingo';
import type { CollectionOptions, DocumentCollection, DocumentStore, StoredDocument } from '../document-port.js';
import { assertSafeFilter, assertSafeSort } from '../filter-guard.js';
import type { FilterDocument, SortDocument } from '../port.js';
import { COMPACTING_SUFFIX, encodeDelete, encodePut, loadDocumentLog, rewriteDocumentLog } from './document-log.js';
import { documentComparator } from './document-order.js';
import { openLog, type LogFile } from './log-file.js';

export interface EmbeddedDocumentsOptions {
  dataDir: string;
  /** fsync after every write: survives power loss, not just a killed process. */
  fsync?: boolean;
  /** Epoch milliseconds; decides which documents have expired. */
  clock?: () => number;
}

const COLLECTION_NAME = /^[a-z0-9_-]{1,64}$/;
const LOG_SUFFIX = '.ndjson';
const DEFAULT_LIMIT = 1000;
/** Compact a log at open when it holds more than this many lines and more than twice the live documents. */
const COMPACT_MIN_LINES = 1000;

export async function openEmbeddedDocuments(opts: EmbeddedDocumentsOptions): Promise<DocumentStore> {
  const dir = join(opts.dataDir, 'documents');
  mkdirSync(dir, { recursive: true });
  const settings: CollectionSettings = { dir, fsync: opts.fsync ?? false, clock: opts.clock ?? Date.now };
  const collections = new Map<string, EmbeddedCollection>();
  // Replay every existing collection now, so a corrupt log stops startup instead of a later request.
  for (const file of readdirSync(dir)) {
    if (file.endsWith(COMPACTING_SUFFIX)) rmSync(join(dir, file), { force: true });
    const name = file.endsWith(LOG_SUFFIX) ? file.slice(0, -LOG_SUFFIX.length) : '';
    if (COLLECTION_NAME.test(name)) collections.set(name, openCollection(name, settings));
  }
  let closed = false;
  return {
    collection<T extends StoredDocument>(name: string, options: CollectionOptions = {}): DocumentCollection<T> {
      if (closed) throw new Error('document store is closed');
      let collection = collections.get(name);
      if (!collection) {
        collection = openCollection(checkedName(name), settings);
        collections.set(name, collection);
      }
      for (const fields of options.indexes ?? []) if (fields[0] !== undefined) collection.ensureIndex(fields[0]);
      // One collection holds one document type, chosen by its caller.
      return collection as DocumentCollection<StoredDocument> as DocumentCollection<T>;
    },
    async close() {
      closed = true;
      for (const collection of collections.values()) collection.close();
    },
  };
}

function checkedName(name: string): string {
  // The name becomes a file name: nothing that could leave the folder or clash on a case-insensitive disk.
  if (!COLLECTION_NAME.test(name)) throw new Error('invalid document collection name (allowed: 1-64 of a-z 0-9 _ -)');
  return name;
}

interface CollectionSettings {
  dir: string;
  fsync: boolean;
  clock: () => number;
}

function openCollection(name: string, settings: CollectionSettings): EmbeddedCollection {
  const path = join(settings.dir, `${name}${LOG_SUFFIX}`);
  const { docs, lines } = loadDocumentLog(path);
  const now = settings.clock();
  for (const [id, doc] of docs) if (isExpired(doc, now)) docs.delete(id);
  if (lines > COMPACT_MIN_LINES && lines > 2 * docs.size) rewriteDocumentLog(path, docs.values());
  return new EmbeddedCollection(docs, openLog(path, { fsync: settings.fsync }), settings.clock);
}

const isExpired = (doc: StoredDocument, now: number): boolean => doc.exp !== undefined && doc.exp <= now;

/** The JSON form of a document, which is what the log keeps and a reload returns. */
function asJson(doc: StoredDocument): StoredDocument {
  if (typeof doc._id !== 'string') throw new TypeError('document _id must be a string');
  return JSON.parse(JSON.stringify(doc)) as StoredDocument;
}

/** `set` without fields holding undefined (they leave the field as it is, as in the MongoDB adapter). */
function definedFields(set: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(set).filter(([key, value]) => value !== undefined && key !== '_id'));
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('find limit must be a positive integer');
  return limit;
}

/** The string values of a top-level field a filter requires (equality or `$in`), or undefined when it does not pin it. */
function pinnedValues(filter: FilterDocument, field: string): string[] | undefined {
  const condition = (filter as Record<string, unknown>)[field];
  if (typeof condition === 'string') return [condition];
  if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
    const keys = Object.keys(condition);
    const values = (condition as Record<string, unknown>).$in;
    if (keys.length === 1 && Array.isArray(values) && values.every((v): v is string => typeof v === 'string')) return values;
    const eq = (condition as Record<string, unknown>).$eq;
    if (keys.length === 1 && typeof eq === 'string') return [eq];
  }
  const and = (filter as { $and?: unknown }).$and;
  if (Array.isArray(and)) {
    for (const part of and as FilterDocument[]) {
      const values = pinnedValues(part, field);
      if (values) return values;
    }
  }
  return undefined;
}

/**
 * The lower bound a filter puts on `_id` (`$gt` / `$gte` at the top level or inside `$and`): keyset
 * paging (`{ list, _id: { $gt: last } }` sorted by `_id`) starts there instead of at the first id.
 */
function idLowerBound(filter: FilterDocument): { value: string; inclusive: boolean } | undefined {
  const condition = (filter as Record<string, unknown>)._id;
  if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
    const c = condition as Record<string, unknown>;
    if (typeof c.$gt === 'string') return { value: c.$gt, inclusive: false };
    if (typeof c.$gte === 'string') return { value: c.$gte, inclusive: true };
  }
  const and = (filter as { $and?: unknown }).$and;
  if (Array.isArray(and)) {
    for (const part of and as FilterDocument[]) {
      const bound = idLowerBound(part);
      if (bound) return bound;
    }
  }
  return undefined;
}

/** First position in ascending `ids` at or after the bound. */
function lowerBoundIndex(ids: readonly string[], bound: { value: string; inclusive: boolean } | undefined): number {
  if (!bound) return 0;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < bound.value || (!bound.inclusive && ids[mid] === bound.value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Equality index on one top-level field: value → ids of the documents holding it (as a string), and,
 * built on first use and dropped when that value's ids change, the ids in ascending order, so a page
 * of one value's documents in `_id` order is a binary search and a short walk (a 100,000-member list
 * paged 200 at a time would otherwise test every member for every page).
 */
class FieldIndex {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly sorted = new Map<string, string[]>();
  constructor(readonly field: string) {}

  add(doc: StoredDocument): void {
    const value = (doc as unknown as Record<string, unknown>)[this.field];
    if (typeof value !== 'string') return;
    let ids = this.byValue.get(value);
    if (!ids) this.byValue.set(value, (ids = new Set()));
    if (!ids.has(doc._id)) this.sorted.delete(value);
    ids.add(doc._id);
  }

  remove(doc: StoredDocument): void {
    const value = (doc as unknown as Record<string, unknown>)[this.field];
    if (typeof value !== 'string') return;
    const ids = this.byValue.get(value);
    if (ids?.delete(doc._id)) this.sorted.delete(value);
    if (ids?.size === 0) this.byValue.delete(value);
  }

  /** How many documents hold this value. */
  count(value: string): number {
    return this.byValue.get(value)?.size ?? 0;
  }

  /** Ids of the documents holding this value, ascending (a snapshot: later writes do not change it). */
  ordered(value: string): readonly string[] {
    let ids = this.sorted.get(value);
    if (ids === undefined) {
      ids = [...(this.byValue.get(value) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.sorted.set(value, ids);
    }
    return ids;
  }

  /** Ids of documents whose field equals one of the values. */
  lookup(values: string[]): string[] {
    const out: string[] = [];
    for (const v of new Set(values)) for (const id of this.byValue.get(v) ?? []) out.push(id);
    return out;
  }
}

class EmbeddedCollection implements DocumentCollection<StoredDocument> {
  private readonly indexes = new Map<string, FieldIndex>();

  constructor(
    private readonly docs: Map<string, StoredDocument>,
    private readonly log: LogFile,
    private readonly clock: () => number,
  ) {}

  /** Index a top-level field from now on (idempotent). `_id` needs none. */
  ensureIndex(field: string): void {
    if (field === '_id' || this.indexes.has(field)) return;
    const index = new FieldIndex(field);
    for (const doc of this.docs.values()) index.add(doc);
    this.indexes.set(field, index);
  }

  /** Drop a document from memory and from every index. */
  private forget(id: string): void {
    const old = this.docs.get(id);
    if (old === undefined) return;
    for (const index of this.indexes.values()) index.remove(old);
    this.docs.delete(id);
  }

  /** The live document with this id; an expired one is dropped from memory (compaction drops it on disk). */
  private live(id: string): StoredDocument | undefined {
    const doc = this.docs.get(id);
    if (doc !== undefined && isExpired(doc, this.clock())) {
      this.forget(id);
      return undefined;
    }
    return doc;
  }

  private store(doc: StoredDocument): void {
    this.log.append(encodePut(doc));
    this.forget(doc._id);
    this.docs.set(doc._id, doc);
    for (const index of this.indexes.values()) index.add(doc);
  }

  private remove(id: string): void {
    this.log.append(encodeDelete(id));
    this.forget(id);
  }

  /** The documents a filter can match: from the most selective index that pins a field, else all of them. */
  private candidates(filter: FilterDocument): Iterable<[string, StoredDocument]> {
    let best: string[] | undefined;
    const ids = pinnedValues(filter, '_id');
    if (ids) best = ids;
    for (const index of this.indexes.values()) {
      const values = pinnedValues(filter, index.field);
      if (!values) continue;
      const found = index.lookup(values);
      if (best === undefined || found.length < best.length) best = found;
    }
    if (best === undefined) return this.docs;
    const out: Array<[string, StoredDocument]> = [];
    for (const id of new Set(best)) {
      const doc = this.docs.get(id);
      if (doc !== undefined) out.push([id, doc]);
    }
    return out;
  }

  /**
   * For a find sorted by `_id` ascending alone, with an indexed field pinned to one value: that value's
   * ids in order and where to start. Undefined when the find must take the general path.
   */
  private orderedScan(filter: FilterDocument, sort: SortDocument): { ids: readonly string[]; start: number } | undefined {
    if (sort.length !== 1 || sort[0][0] !== '_id' || sort[0][1] !== 1) return undefined;
    // Ids named outright, or another index narrowing further, make the general path cheaper.
    if (pinnedValues(filter, '_id')) return undefined;
    let best: FieldIndex | undefined;
    let value: string | undefined;
    let bestSize = Infinity;
    let fewest = Infinity;
    for (const index of this.indexes.values()) {
      const values = pinnedValues(filter, index.field);
      if (!values) continue;
      const size = values.reduce((n, v) => n + index.count(v), 0);
      fewest = Math.min(fewest, size);
      if (values.length === 1 && size < bestSize) {
        best = index;
        value = values[0];
        bestSize = size;
      }
    }
    if (best === undefined || value === undefined || fewest < bestSize) return undefined;
    const ids = best.ordered(value);
    return { ids, start: lowerBoundIndex(ids, idLowerBound(filter)) };
  }

  async get(id: string): Promise<StoredDocument | undefined> {
    const doc = this.live(id);
    return doc === undefined ? undefined : structuredClone(doc);
  }

  async insert(doc: StoredDocument): Promise<boolean> {
    const stored = asJson(doc);
    if (this.live(stored._id) !== undefined) return false;
    this.store(stored);
    return true;
  }

  async put(doc: StoredDocument): Promise<void> {
    this.store(asJson(doc));
  }

  async take(id: string): Promise<StoredDocument | undefined> {
    const doc = this.live(id);
    if (doc === undefined) return undefined;
    this.remove(id);
    return doc; // no longer stored: the caller may have the object itself
  }

  async update(id: string, expect: FilterDocument, set: Partial<Omit<StoredDocument, '_id'>>): Promise<StoredDocument | undefined> {
    assertSafeFilter(expect);
    const query = new Query<StoredDocument>(expect);
    const doc = this.live(id);
    if (doc === undefined || !query.test(doc)) return undefined;
    const updated = asJson({ ...doc, ...definedFields(set), _id: doc._id });
    this.store(updated);
    return structuredClone(updated);
  }

  async delete(id: string): Promise<boolean> {
    if (this.live(id) === undefined) return false;
    this.remove(id);
    return true;
  }

  async find(filter: FilterDocument, options: { sort?: SortDocument; limit?: number } = {}): Promise<StoredDocument[]> {
    assertSafeFilter(filter);
    const sort = options.sort ?? [];
    assertSafeSort(sort);
    const limit = checkedLimit(options.limit);
    const query = new Query<StoredDocument>(filter);
    const now = this.clock();
    const ordered = this.orderedScan(filter, sort);
    if (ordered) {
      // Already in `_id` order: walk from the lower bound and stop at the limit.
      const out: StoredDocument[] = [];
      for (let i = ordered.start; i < ordered.ids.length && out.length < limit; i++) {
        const id = ordered.ids[i];
        const doc = this.docs.get(id);
        if (doc === undefined) continue;
        if (isExpired(doc, now)) this.forget(id);
        else if (query.test(doc)) out.push(structuredClone(doc));
      }
      return out;
    }
    const matched: StoredDocument[] = [];
    for (const [id, doc] of this.candidates(filter)) {
      if (isExpired(doc, now)) this.forget(id);
      else if (query.test(doc)) matched.push(doc);
    }
    matched.sort(documentComparator(sort));
    return matched.slice(0, limit).map((doc) => structuredClone(doc));
  }

  close(): void {
    this.log.close();
  }
}
