/**
 * ResourceStore on MongoDB through the official driver (production deployments: replica set or
 * sharded cluster, e.g. Atlas). See docs/adr/0002-mongodb-adapter.md.
 *
 * Two collections: `resources` holds the current record per `${type}/${id}` (delete tombstones
 * included), `history` every version. Filter and sort documents come from the search translator
 * and are sent as they are, after the filter guard and with `{ del: false }` ANDed in.
 */
import { MongoClient, WriteConcern, type Document, type Filter, type TransactionOptions } from 'mongodb';
import { assertSafeFilter, assertSafeSort } from '../filter-guard.js';
import type {
  FilterDocument,
  FindQuery,
  FindResult,
  HistoryQuery,
  RecordIndex,
  ResourceStore,
  SortDocument,
  StoredRecord,
  WriteOp,
} from '../port.js';
import { assertAggregationStages } from '../port.js';
import { bulkLoad } from './bulk-load.js';
import { HISTORY_SORT, historyFilter, historyKey } from './history-query.js';
import { ensureIndexes } from './indexes.js';
import { reindexCollection } from './reindex.js';
import { supportsTransactions } from './transaction-support.js';
import { applyOp, checkExpectations, type StoreCollections } from './write-ops.js';

/** pino's logger satisfies this; `warn` is used when present. No PHI is ever passed. */
export interface StoreLogger {
  info(o: object, msg?: string): void;
  warn?(o: object, msg?: string): void;
}

export interface MongoStoreOptions {
  uri: string;
  /** Defaults to the database named in the URI (the driver's default when none is). */
  dbName?: string;
  logger?: StoreLogger;
}

/**
 * Majority read and write concern so a committed write survives a primary failover and later
 * reads see it ("either every op is applied and durable, or none is": ResourceStore.write).
 */
const TRANSACTION_OPTIONS: TransactionOptions = {
  readPreference: 'primary',
  readConcern: { level: 'snapshot' },
  writeConcern: new WriteConcern('majority'),
};

export async function openMongoStore(opts: MongoStoreOptions): Promise<ResourceStore> {
  // ignoreUndefined: a tombstone's absent `res` must stay absent, not become null.
  const client = new MongoClient(opts.uri, { ignoreUndefined: true });
  try {
    await client.connect();
    const db = client.db(opts.dbName);
    const collections: StoreCollections = {
      resources: db.collection<StoredRecord>('resources'),
      history: db.collection<StoredRecord>('history'),
    };
    await ensureIndexes(collections.resources, collections.history);
    const transactions = await supportsTransactions(db);
    if (!transactions) warnStandalone(opts.logger);
    return new MongoResourceStore(client, collections, transactions);
  } catch (error) {
    await client.close();
    throw error;
  }
}

function warnStandalone(logger: StoreLogger | undefined): void {
  const context = { store: 'mongodb', transactions: false };
  const message = 'standalone MongoDB server: multi-op writes are not atomic; use a replica set in production';
  if (logger?.warn) logger.warn(context, message);
  else logger?.info(context, message);
}

class MongoResourceStore implements ResourceStore {
  constructor(
    private readonly client: MongoClient,
    private readonly c: StoreCollections,
    private readonly transactions: boolean,
  ) {}

  async current(type: string, id: string): Promise<StoredRecord | undefined> {
    const doc = await this.c.resources.findOne({ _id: `${type}/${id}` });
    return doc === null ? undefined : doc;
  }

  async version(type: string, id: string, v: number): Promise<StoredRecord | undefined> {
    const doc = await this.c.history.findOne({ _id: historyKey({ type, id, v }) });
    return doc === null ? undefined : fromHistory(doc);
  }

  async find(query: FindQuery): Promise<FindResult> {
    const filter = currentOnly(query.filter);
    assertSafeSort(query.sort);
    // limit(0) means "no limit" to MongoDB; the port means "no records" (e.g. `_count=0`, total only).
    const records =
      query.limit > 0
        ? await this.c.resources.find(filter).sort(withTieBreak(query.sort)).limit(query.limit).toArray()
        : [];
    if (query.count !== true) return { records };
    return { records, total: await this.c.resources.countDocuments(filter) };
  }

  async count(filter: FilterDocument): Promise<number> {
    return this.c.resources.countDocuments(currentOnly(filter));
  }

  async aggregate(filter: FilterDocument, pipeline: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    assertAggregationStages(pipeline);
    const stages: Document[] = [{ $match: currentOnly(filter) }, { $project: { res: 0 } }, ...(pipeline as Document[])];
    return (await this.c.resources.aggregate(stages, { allowDiskUse: true }).toArray()) as Array<Record<string, unknown>>;
  }

  async history(query: HistoryQuery): Promise<StoredRecord[]> {
    if (query.limit <= 0) return [];
    const docs = await this.c.history
      .find(historyFilter(query) as Filter<StoredRecord>)
      .sort(HISTORY_SORT)
      .limit(query.limit)
      .toArray();
    return docs.map(fromHistory);
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (!this.transactions) {
      // Standalone fallback (development only, logged at startup): check every expectation first,
      // then apply in order; a race between the check and a later op can leave earlier ops applied.
      await checkExpectations(this.c, ops);
      for (const op of ops) await applyOp(this.c, op);
      return;
    }
    // Even one op touches two collections (current + history), so every write is a transaction.
    // Ops run sequentially: the driver does not support parallel operations in a transaction.
    const session = this.client.startSession();
    try {
      await session.withTransaction(async (txn) => {
        for (const op of ops) await applyOp(this.c, op, txn);
      }, TRANSACTION_OPTIONS);
    } finally {
      await session.endSession();
    }
  }

  async load(records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>): Promise<number> {
    return bulkLoad(this.c, records);
  }

  async reindex(compute: (record: StoredRecord) => Promise<RecordIndex | undefined>): Promise<number> {
    return reindexCollection(this.c, compute);
  }

  async size(): Promise<number> {
    return this.c.resources.countDocuments({ del: false });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Guards the translator's filter, then restricts it to current, non-deleted records. */
function currentOnly(filter: FilterDocument): Filter<StoredRecord> {
  assertSafeFilter(filter);
  const scoped: Document = Object.keys(filter).length === 0 ? { del: false } : { $and: [{ del: false }, filter] };
  return scoped as Filter<StoredRecord>;
}

/** The port breaks ties by `_id` ascending; a sort that already names `_id` keeps its own. */
function withTieBreak(sort: SortDocument): SortDocument {
  return sort.some(([field]) => field === '_id') ? sort : [...sort, ['_id', 1]];
}

/** History rows carry `${type}/${id}/${v}` as `_id`; the port's records use `${type}/${id}`. */
function fromHistory(doc: StoredRecord): StoredRecord {
  return { ...doc, _id: `${doc.type}/${doc.id}` };
}
