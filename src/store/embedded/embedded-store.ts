/**
 * The embedded store (default): everything in process, persisted as an append-only log under the data
 * folder (log-file.ts). Queries are the same MongoDB filter documents the MongoDB adapter sends,
 * evaluated with mingo on candidates narrowed by in-memory indexes (secondary-indexes.ts).
 *
 * Resources and their index values are kept as JSON text (embedded-record.ts): served as is, parsed only
 * when code reads `res` or a query must look inside `sp`; the log stores the same text, so reload is
 * mostly reading the file.
 */
import { join } from 'node:path';
import { Aggregator, Query } from 'mingo';
import type { FilterDocument, FindQuery, FindResult, HistoryQuery, RecordIndex, ResourceStore, StoredRecord, WriteOp } from '../port.js';
import { assertAggregationStages, VersionConflictError } from '../port.js';
import { assertSafeFilter } from '../filter-guard.js';
import { recordComparator } from './compare.js';
import { openLog, replayLog, type LogFile } from './log-file.js';
import { SecondaryIndexes, indexKeysOf, lastUpdatedBounds } from './secondary-indexes.js';
import { EmbeddedRecord, RecordView, decodeLogLine, encodeLine, encodeReindexLine, fromStoredRecord, plainView, type IndexUpdate } from './embedded-record.js';
import { Unsupported, compileFilter, compilePipeline, type Predicate } from './fast-pipeline.js';

/** A residual filter: mingo's Query, and the fast path's predicate while it serves. */
interface CompiledFilter {
  query: Query;
  fast: Predicate | undefined;
}

export interface EmbeddedStoreOptions {
  dataDir: string;
  /** fsync after every write: survives power loss, not just a killed process. */
  fsync?: boolean;
  /**
   * Run aggregation pipelines through the compiled fast path where it applies (fast-pipeline.ts; the
   * default). false runs every pipeline with mingo, the reference: for comparisons.
   */
  compiledAggregation?: boolean;
}

const LOG_NAME = 'resources.log';

const toMemory = (rec: StoredRecord): EmbeddedRecord => fromStoredRecord(rec, indexKeysOf);

export class EmbeddedStore implements ResourceStore {
  private readonly records = new Map<string, EmbeddedRecord>();
  /** Earlier versions per key, ascending by v (the current version is in `current`). */
  private readonly older = new Map<string, EmbeddedRecord[]>();
  /** Every version, ordered by lu (non-decreasing); the history walk and _lastUpdated lookups rely on it. */
  private readonly timeline: EmbeddedRecord[] = [];
  private readonly indexes = new SecondaryIndexes();
  private readonly queryCache = new Map<string, CompiledFilter>();
  /** How many aggregations each path answered (the compiled one, or mingo's). */
  readonly aggregations = { compiled: 0, mingo: 0 };
  private live = 0;
  private log: LogFile | undefined;

  private constructor(private readonly opts: EmbeddedStoreOptions) {}

  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(opts);
    const path = join(opts.dataDir, LOG_NAME);
    replayLog(path, (line) => {
      const entry = decodeLogLine(line);
      if (entry.kind === 'write') for (const r of entry.records) store.apply(r);
      else for (const u of entry.updates) store.applyIndex(u);
    });
    store.log = openLog(path, { fsync: opts.fsync ?? false });
    return store;
  }

  private apply(record: EmbeddedRecord): void {
    const prev = this.records.get(record._id);
    if (prev) {
      if (!prev.del) {
        this.indexes.remove(prev);
        this.live--;
      }
      let list = this.older.get(record._id);
      if (!list) this.older.set(record._id, (list = []));
      list.push(prev);
    }
    this.records.set(record._id, record);
    if (!record.del) {
      this.indexes.add(record);
      this.live++;
    }
    // Keep the timeline ordered by lu. Writes normally arrive in clock order; one planned earlier but
    // committed later (or a clock step back) is inserted at its place — rare, so the O(n) splice is fine.
    const last = this.timeline[this.timeline.length - 1];
    if (!last || last.lu <= record.lu) this.timeline.push(record);
    else this.timeline.splice(this.timelineIndex(record.lu + 1), 0, record);
  }

  /** A reindexed version replaces the index of the current record it names (only ever the current one). */
  private applyIndex(update: IndexUpdate): void {
    const rec = this.records.get(update.key);
    if (!rec || rec.del || rec.v !== update.v) throw new Error(`reindex of ${update.key}@${update.v}, which is not a current record`);
    this.indexes.remove(rec);
    rec.replaceIndex(update);
    this.indexes.add(rec);
  }

  async current(type: string, id: string): Promise<StoredRecord | undefined> {
    return this.records.get(`${type}/${id}`);
  }

  async version(type: string, id: string, v: number): Promise<StoredRecord | undefined> {
    const key = `${type}/${id}`;
    const cur = this.records.get(key);
    if (cur?.v === v) return cur;
    return this.older.get(key)?.find((r) => r.v === v);
  }

  /**
   * A residual filter, compiled once per distinct filter: mingo's Query, and the fast path's predicate
   * when the filter is within its subset (fast-pipeline.ts). A document the predicate cannot judge goes
   * to mingo; a filter whose predicate ever fails so keeps to mingo from then on.
   */
  private compile(filter: FilterDocument): CompiledFilter {
    const cacheKey = JSON.stringify(filter);
    let q = this.queryCache.get(cacheKey);
    if (!q) {
      assertSafeFilter(filter);
      q = { query: new Query(filter), fast: compileFilter(filter) };
      if (this.queryCache.size > 500) this.queryCache.clear();
      this.queryCache.set(cacheKey, q);
    }
    return q;
  }

  private static test(filter: CompiledFilter, r: EmbeddedRecord): boolean {
    if (filter.fast) {
      try {
        return filter.fast(new RecordView(r));
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        filter.fast = undefined;
      }
    }
    return filter.query.test(r.queryView());
  }

  /** First timeline position with lu >= t (the timeline is ordered by lu). */
  private timelineIndex(t: number): number {
    let lo = 0;
    let hi = this.timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeline[mid].lu < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Keys of current records among timeline[start, end). */
  private currentIn(start: number, end: number): string[] {
    const keys: string[] = [];
    for (let i = start; i < end; i++) {
      const r = this.timeline[i];
      if (this.records.get(r._id) === r) keys.push(r._id);
    }
    return keys;
  }

  private matching(filter: FilterDocument): EmbeddedRecord[] {
    const plan = this.indexes.plan(filter);
    let candidates: Iterable<string> | undefined = plan.candidates;
    const bounds = lastUpdatedBounds(filter);
    if (bounds) {
      // The _lastUpdated "index" is the timeline itself, ordered by lu: a binary search gives the slice.
      const start = bounds.min === undefined ? 0 : this.timelineIndex(bounds.min);
      const end = bounds.max === undefined ? this.timeline.length : this.timelineIndex(bounds.max + 1);
      if (end - start < plan.size) {
        candidates = this.currentIn(start, end);
        // The conjunct that produced the replaced candidates is not among the checks: apply it now.
        if (plan.driverCheck) plan.checks.push(plan.driverCheck);
      }
    }
    // Only what the indexes could not answer goes to mingo (compiled once per distinct residual).
    const query = plan.residual.length === 0 ? undefined : this.compile(plan.residual.length === 1 ? plan.residual[0] : { $and: plan.residual });
    const out: EmbeddedRecord[] = [];
    const consider = (r: EmbeddedRecord | undefined): void => {
      if (!r || r.del) return;
      for (const check of plan.checks) if (!check(r)) return;
      if (query && !EmbeddedStore.test(query, r)) return;
      out.push(r);
    };
    if (candidates === undefined) for (const r of this.records.values()) consider(r);
    else for (const key of candidates) consider(this.records.get(key));
    return out;
  }

  async find(q: FindQuery): Promise<FindResult> {
    const matched = this.matching(q.filter);
    const total = q.count ? matched.length : undefined;
    matched.sort(recordComparator(q.sort));
    return { records: matched.slice(0, q.limit), ...(total !== undefined ? { total } : {}) };
  }

  async count(filter: FilterDocument): Promise<number> {
    return this.matching(filter).length;
  }

  async aggregate(filter: FilterDocument, pipeline: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    assertAggregationStages(pipeline);
    const records = this.matching(filter);
    // The compiled fast path when the pipeline and the values allow (fast-pipeline.ts: the same answer as
    // mingo, or none); else mingo over what MongoDB's stages would see of each record (no resource body).
    const fast = this.opts.compiledAggregation === false ? undefined : compilePipeline(pipeline, { toPlain: plainView });
    if (fast) {
      try {
        const out = fast(records.map((r) => new RecordView(r)));
        this.aggregations.compiled++;
        return out;
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
      }
    }
    this.aggregations.mingo++;
    return new Aggregator(pipeline as Array<Record<string, unknown>>).run(records.map((r) => r.queryView())) as Array<Record<string, unknown>>;
  }

  async history(q: HistoryQuery): Promise<StoredRecord[]> {
    let source: EmbeddedRecord[];
    if (q.type !== undefined && q.id !== undefined) {
      const key = `${q.type}/${q.id}`;
      const cur = this.records.get(key);
      source = cur ? [...(this.older.get(key) ?? []), cur] : [];
    } else {
      source = this.timeline;
    }
    const out: EmbeddedRecord[] = [];
    const inOrder = (a: Pick<StoredRecord, 'lu' | '_id' | 'v'>, b: Pick<StoredRecord, 'lu' | '_id' | 'v'>): number =>
      b.lu - a.lu || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0) || b.v - a.v;
    // Walk newest first; the timeline is in write order, so collect candidates then order exactly.
    for (let i = source.length - 1; i >= 0; i--) {
      const r = source[i];
      if (q.since !== undefined && r.lu < q.since) {
        if (source === this.timeline) break; // lu is non-decreasing along the timeline
        continue;
      }
      if (q.type !== undefined && r.type !== q.type) continue;
      if (q.before !== undefined && r.lu >= q.before) continue;
      if (q.after && inOrder(r, { lu: q.after.lu, _id: q.after.key, v: q.after.v }) <= 0) continue;
      out.push(r);
      // Records sharing the boundary lu may be out of key order in the timeline: collect them all.
      if (out.length >= q.limit && (i === 0 || source[i - 1].lu !== r.lu)) break;
    }
    out.sort(inOrder);
    return out.slice(0, q.limit);
  }

  async write(ops: WriteOp[]): Promise<void> {
    // Check every expectation before applying anything: all or nothing.
    const seen = new Map<string, number | undefined>();
    for (const op of ops) {
      const key = op.record._id;
      const actual = seen.has(key) ? seen.get(key) : this.records.get(key)?.v;
      const exp = op.expectVersion;
      // 'absent' means never written: a deleted resource still has a version history to continue.
      if (exp === 'absent' ? actual !== undefined : exp !== undefined && exp !== actual) {
        throw new VersionConflictError(key, exp, actual);
      }
      seen.set(key, op.record.v);
    }
    const records = ops.map((op) => toMemory(op.record));
    this.requireLog().append(encodeLine(records));
    for (const r of records) this.apply(r);
  }

  async load(records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>): Promise<number> {
    let batch: EmbeddedRecord[] = [];
    let n = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      this.requireLog().append(encodeLine(batch));
      for (const r of batch) this.apply(r);
      n += batch.length;
      batch = [];
    };
    for await (const r of records) {
      batch.push(toMemory(r));
      if (batch.length >= 500) flush();
    }
    flush();
    return n;
  }

  async reindex(compute: (record: StoredRecord) => Promise<RecordIndex | undefined>): Promise<number> {
    let batch: IndexUpdate[] = [];
    let n = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      // Durable first, then visible, as for writes; a line is applied whole on reload.
      this.requireLog().append(encodeReindexLine(batch));
      for (const u of batch) this.applyIndex(u);
      n += batch.length;
      batch = [];
    };
    for (const rec of [...this.records.values()]) {
      if (rec.del) continue;
      const next = await compute(rec);
      if (!next) continue;
      const ix = indexKeysOf({ ...next, _id: rec._id, type: rec.type, id: rec.id, v: rec.v, lu: rec.lu, del: false });
      batch.push({ key: rec._id, v: rec.v, so: next.so, cmp: next.cmp, ix, spText: JSON.stringify(next.sp) });
      if (batch.length >= 500) flush();
    }
    flush();
    return n;
  }

  async size(): Promise<number> {
    return this.live;
  }

  async close(): Promise<void> {
    this.log?.close();
  }

  private requireLog(): LogFile {
    if (!this.log) throw new Error('store not open');
    return this.log;
  }
}

export async function openEmbeddedStore(opts: EmbeddedStoreOptions): Promise<ResourceStore> {
  return EmbeddedStore.open(opts);
}
