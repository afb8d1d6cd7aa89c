/**
 * The document port: small keyed documents that are not FHIR resources (OAuth clients, users, grants,
 * single-use codes, replay markers; later export jobs and match decisions). Kept apart from the
 * ResourceStore because they carry secrets (password and secret hashes) that must never be reachable
 * through the FHIR API, and because they need atomic single-use operations rather than versions.
 *
 * Filters use the same MongoDB query dialect as the resource store and must be built by code from
 * validated values (never from raw request input). Both adapters run one contract suite
 * (test/contract/documents-contract.ts).
 */
import type { FilterDocument, SortDocument } from './port.js';

export interface StoredDocument {
  /** Unique key within the collection. */
  _id: string;
  /**
   * Optional expiry, epoch milliseconds. A document whose `exp` is at or before now is treated as
   * absent by every operation (get, find, take, update, insert) and purged by the adapter later.
   */
  exp?: number;
}

export interface DocumentCollection<T extends StoredDocument> {
  get(id: string): Promise<T | undefined>;
  /** Insert a new document; resolves false (and changes nothing) when a live one with this _id exists. */
  insert(doc: T): Promise<boolean>;
  /** Insert or replace. */
  put(doc: T): Promise<void>;
  /** Atomically read and delete: of concurrent callers, at most one receives the document. */
  take(id: string): Promise<T | undefined>;
  /**
   * Atomically apply `set` (top-level fields replaced) to the document with this _id if it also
   * matches `expect`; resolves the updated document, or undefined when nothing matched.
   */
  update(id: string, expect: FilterDocument, set: Partial<Omit<T, '_id'>>): Promise<T | undefined>;
  delete(id: string): Promise<boolean>;
  /** Live documents matching the filter, sorted (ties by _id), at most `limit` (default 1000). */
  find(filter: FilterDocument, options?: { sort?: SortDocument; limit?: number }): Promise<T[]>;
}

/**
 * How a collection is queried, so large collections (one document per group member) answer without a
 * scan: each entry lists fields of a compound index. The embedded adapter indexes the first field of
 * each entry (string equality); MongoDB creates the compound index. Results never depend on indexes.
 */
export interface CollectionOptions {
  indexes?: ReadonlyArray<readonly string[]>;
}

export interface DocumentStore {
  /**
   * A named collection (lower-case letters, digits, '-' and '_'); created on first use. Options given
   * once per process are kept; every caller of a collection should pass the same ones.
   */
  collection<T extends StoredDocument>(name: string, options?: CollectionOptions): DocumentCollection<T>;
  close(): Promise<void>;
}
