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
import type { DocumentCollection, DocumentStore, StoredDocument } from '../document-port.js';
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
    collection<T extends StoredDocument>(name: string): DocumentCollection<T> {
      if (closed) throw new Error('document store is closed');
      let collection = collections.get(name);
      if (!collection) {
        collection = openCollection(checkedName(name), settings);
        collections.set(name, collection);
      }
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

class EmbeddedCollection implements DocumentCollection<StoredDocument> {
  constructor(
    private readonly docs: Map<string, StoredDocument>,
    private readonly log: LogFile,
    private readonly clock: () => number,
  ) {}

  /** The live document with this id; an expired one is dropped from memory (compaction drops it on disk). */
  private live(id: string): StoredDocument | undefined {
    const doc = this.docs.get(id);
    if (doc !== undefined && isExpired(doc, this.clock())) {
      this.docs.delete(id);
      return undefined;
    }
    return doc;
  }

  private store(doc: StoredDocument): void {
    this.log.append(encodePut(doc));
    this.docs.set(doc._id, doc);
  }

  private remove(id: string): void {
    this.log.append(encodeDelete(id));
    this.docs.delete(id);
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
    const matched: StoredDocument[] = [];
    for (const [id, doc] of this.docs) {
      if (isExpired(doc, now)) this.docs.delete(id);
      else if (query.test(doc)) matched.push(doc);
    }
    matched.sort(documentComparator(sort));
    return matched.slice(0, limit).map((doc) => structuredClone(doc));
  }

  close(): void {
    this.log.close();
  }
}
