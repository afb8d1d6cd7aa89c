/**
 * The storage port: the only thing the FHIR engine and the APIs know about storage.
 *
 * Both adapters (embedded and MongoDB) receive the *same* MongoDB filter and sort documents,
 * produced by one translator (src/fhir/search/translate). The embedded adapter evaluates them
 * in process with mingo; the MongoDB adapter sends them to the server. Neither adapter ever
 * sees a raw request value: the translator validated and typed every value first.
 */
import type { Resource } from '@medplum/fhirtypes';

/** A MongoDB query document (already validated: never contains request-supplied operators). */
export type FilterDocument = Record<string, unknown>;

/** A MongoDB sort document: field → 1 | -1. Field order is significant. */
export type SortDocument = Array<[field: string, direction: 1 | -1]>;

/** One value extracted from a resource for one search parameter (see fhir/search/extract.ts). */
export type IndexValue =
  | string // reference ("Patient/1" or an absolute URL), uri
  | { s?: string; c?: string; d?: string } // token: system, code, display/text (lower-cased)
  | { n: string; e: string } // string: normalised (lower-case, accent-free), exact
  | { lo: number; hi: number } // date/period: inclusive range in epoch ms
  | { v: number; s?: string; c?: string; u?: string }; // number / quantity

/**
 * What a store keeps for each resource version. Field names are short because they are
 * stored millions of times; they are also the names the filter documents use.
 */
export interface StoredRecord {
  /** `${resourceType}/${id}` — unique among current records. */
  _id: string;
  type: string;
  id: string;
  /** Version id as an integer (1, 2, ...); rendered as a string in meta.versionId. */
  v: number;
  /** Last updated, epoch milliseconds. */
  lu: number;
  /** True for a delete tombstone (the resource is absent). */
  del: boolean;
  /**
   * The resource as served (meta.versionId / meta.lastUpdated set). Absent on tombstones. An adapter
   * may implement this and `sp` as lazily parsed accessors, so read them as properties: spreading a
   * record read from a store (`{ ...record }`) is not guaranteed to copy them.
   */
  res?: Resource;
  /**
   * Optional: `res` already serialised as JSON. An adapter that keeps it (the embedded one does)
   * lets the HTTP layer send it without serialising again. Writers need not set it.
   */
  json?: string;
  /** Search index values keyed by search parameter code. */
  sp: Record<string, IndexValue[]>;
  /** Sort keys keyed by search parameter code (scalar, see fhir/search/extract.ts). */
  so: Record<string, string | number | null>;
  /** Compartments the resource belongs to, e.g. ["Patient/123"]. */
  cmp: string[];
}

export interface FindQuery {
  filter: FilterDocument;
  sort: SortDocument;
  /** Maximum number of records to return. */
  limit: number;
  /** Also count every record matching the filter (ignoring limit) into FindResult.total. */
  count?: boolean;
}

export interface FindResult {
  records: StoredRecord[];
  /** Present when FindQuery.count was requested: number matching the filter ignoring limit. */
  total?: number;
}

/** A record's search index: what a reindex replaces (see ResourceStore.reindex). */
export type RecordIndex = Pick<StoredRecord, 'sp' | 'so' | 'cmp'>;

/** A write inside a transaction or on its own. */
export type WriteOp =
  /** expectVersion 'absent': no record (not even a delete tombstone) may exist for the key. */
  | { kind: 'put'; record: StoredRecord; expectVersion?: number | 'absent' }
  | { kind: 'delete'; record: StoredRecord; expectVersion?: number };

export interface HistoryQuery {
  type?: string;
  id?: string;
  /** Only versions with lu >= since (epoch ms). */
  since?: number;
  /** Only versions with lu < before (epoch ms); used for cursor paging (exclusive upper bound). */
  before?: number;
  /**
   * Cursor: continue strictly after this position. History order is lu descending, then key
   * (`type/id`) descending, then v descending — all three descending.
   */
  after?: { lu: number; key: string; v: number };
  limit: number;
}

/** Thrown by a store when an expected version does not match (optimistic concurrency). */
export class VersionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number | 'absent' | undefined,
    readonly actual: number | undefined,
  ) {
    super(`version conflict on ${key}: expected ${String(expected)}, found ${String(actual)}`);
    this.name = 'VersionConflictError';
  }
}

export interface ResourceStore {
  /** Current record (possibly a delete tombstone) for type/id, or undefined if never written. */
  current(type: string, id: string): Promise<StoredRecord | undefined>;
  /** A specific version, or undefined. */
  version(type: string, id: string, v: number): Promise<StoredRecord | undefined>;
  /** Current, non-deleted records matching the filter, in sort order (ties broken by _id). */
  find(query: FindQuery): Promise<FindResult>;
  /** Count of current, non-deleted records matching the filter. */
  count(filter: FilterDocument): Promise<number>;
  /**
   * An aggregation pipeline over the current, non-deleted records matching `filter` (MongoDB's dialect;
   * stages from AGGREGATION_STAGES). The stages see every field of a record but `res` (`_id`, `type`, `id`,
   * `v`, `lu`, `del`, `sp`, `so`, `cmp`); `so`'s scalars are the cheap ones to read. MongoDB runs it in the
   * database; the embedded store runs the same stages compiled, or with mingo where the compiled subset
   * ends (store/embedded/fast-pipeline.ts), so both give the same answer. Pipelines are built by code from
   * validated values, never from request input.
   */
  aggregate(filter: FilterDocument, pipeline: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>>;
  /** Versions (including tombstones), newest first. */
  history(query: HistoryQuery): Promise<StoredRecord[]>;
  /**
   * Apply all writes atomically: either every op is applied and durable, or none is and the
   * promise rejects (VersionConflictError for a failed expectation).
   */
  write(ops: WriteOp[]): Promise<void>;
  /** Bulk load for seeding: no version checks, may batch durability. */
  load(records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>): Promise<number>;
  /**
   * Recompute the search index of current, non-deleted records in place: same version, same
   * lastUpdated, same resource, no history entry. `compute` returns the record's new index, or
   * undefined when it is unchanged; records are visited in no particular order. Durable when it
   * resolves, with the number of records changed. For a change of search parameter definitions at
   * startup (fhir/search/reindex.ts): it must not run beside writes.
   */
  reindex(compute: (record: StoredRecord) => Promise<RecordIndex | undefined>): Promise<number>;
  /** Number of current, non-deleted records (all types). */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Pipeline stages a ResourceStore.aggregate accepts. */
export const AGGREGATION_STAGES: ReadonlySet<string> = new Set(['$match', '$project', '$addFields', '$group', '$sort', '$skip', '$limit', '$count', '$bucket', '$facet', '$unwind']);

/** Refuses a pipeline with a stage outside AGGREGATION_STAGES (each stage one key). */
export function assertAggregationStages(pipeline: ReadonlyArray<Record<string, unknown>>): void {
  for (const stage of pipeline) {
    const keys = Object.keys(stage);
    if (keys.length !== 1 || !AGGREGATION_STAGES.has(keys[0])) throw new Error(`aggregation stage not allowed: ${keys.join(',')}`);
    if (keys[0] === '$facet') for (const sub of Object.values(stage.$facet as Record<string, ReadonlyArray<Record<string, unknown>>>)) assertAggregationStages(sub);
  }
}
