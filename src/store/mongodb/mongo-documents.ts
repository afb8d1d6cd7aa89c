/**
 * The DocumentStore (document-port.ts) on MongoDB through the official driver: collection
 * `doc_<name>` per document collection, `_id` as the port's key.
 *
 * Single-use operations map onto single-document atomic commands (take = findOneAndDelete,
 * update = findOneAndUpdate with the expectation in the filter), so of concurrent callers exactly one
 * wins without a transaction. Expiry is decided by the filter (`exp` against the injected clock) and
 * purged by a TTL index on `_expireAt`, a Date copy of `exp` the documents carry only for the server
 * (MongoDB manual, "Expire Data from Collections by Setting TTL"); callers never see it. The TTL monitor
 * runs about once a minute on the server's real time, so correctness never depends on it.
 *
 * Documents are stored as their JSON form, like the embedded adapter, so both read back the same.
 */
import { MongoClient, MongoServerError, type Collection, type Db, type Document, type Filter } from 'mongodb';
import type { CollectionOptions, DocumentCollection, DocumentStore, StoredDocument } from '../document-port.js';
import { assertSafeFilter, assertSafeSort } from '../filter-guard.js';
import type { FilterDocument, SortDocument } from '../port.js';

export type MongoDocumentsOptions = ({ uri: string; dbName?: string } | { db: Db }) & {
  /** Epoch milliseconds; decides which documents have expired. */
  clock?: () => number;
};

interface MongoDocument extends StoredDocument {
  _expireAt?: Date;
}

const COLLECTION_NAME = /^[a-z0-9_-]{1,64}$/;
const DEFAULT_LIMIT = 1000;
const DUPLICATE_KEY = 11000;
/** The server-only field stays out of every document handed back. */
const PROJECTION = { _expireAt: 0 } as const;

export async function openMongoDocuments(opts: MongoDocumentsOptions): Promise<DocumentStore> {
  const clock = opts.clock ?? Date.now;
  if ('db' in opts) return new MongoDocumentStore(opts.db, clock, undefined);
  // ignoreUndefined: an absent optional field stays absent instead of becoming null.
  const client = new MongoClient(opts.uri, { ignoreUndefined: true });
  try {
    await client.connect();
  } catch (error) {
    await client.close();
    throw error;
  }
  return new MongoDocumentStore(client.db(opts.dbName), clock, client);
}

class MongoDocumentStore implements DocumentStore {
  private readonly collections = new Map<string, MongoDocumentCollection>();

  /** `client` is set when this store opened the connection and so must close it. */
  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
    private readonly client: MongoClient | undefined,
  ) {}

  collection<T extends StoredDocument>(name: string, options: CollectionOptions = {}): DocumentCollection<T> {
    let collection = this.collections.get(name);
    if (!collection) {
      // Same rule as the embedded adapter, whose collection names become file names.
      if (!COLLECTION_NAME.test(name)) throw new Error('invalid document collection name (allowed: 1-64 of a-z 0-9 _ -)');
      collection = new MongoDocumentCollection(this.db.collection<MongoDocument>(`doc_${name}`), this.clock, options.indexes ?? []);
      this.collections.set(name, collection);
    }
    // One collection holds one document type, chosen by its caller.
    return collection as DocumentCollection<StoredDocument> as DocumentCollection<T>;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

/** The JSON form of a document plus the TTL field when it expires. */
function toMongo(doc: StoredDocument): MongoDocument {
  if (typeof doc._id !== 'string') throw new TypeError('document _id must be a string');
  const json = JSON.parse(JSON.stringify(doc)) as MongoDocument;
  if (typeof json.exp === 'number') json._expireAt = new Date(json.exp);
  return json;
}

/** `set` without fields holding undefined (they leave the field as it is) and never `_id`. */
function definedFields(set: object): Record<string, unknown> {
  const fields = Object.fromEntries(Object.entries(set).filter(([key, value]) => value !== undefined && key !== '_id'));
  return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  // limit(0) means "no limit" to MongoDB; refuse it rather than return everything.
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('find limit must be a positive integer');
  return limit;
}

function withTieBreak(sort: SortDocument): SortDocument {
  return sort.some(([field]) => field === '_id') ? sort : [...sort, ['_id', 1]];
}

const fromMongo = (doc: MongoDocument | null): StoredDocument | undefined => (doc === null ? undefined : doc);

class MongoDocumentCollection implements DocumentCollection<StoredDocument> {
  private ttlIndex: Promise<unknown> | undefined;

  constructor(
    private readonly c: Collection<MongoDocument>,
    private readonly clock: () => number,
    private readonly indexes: ReadonlyArray<readonly string[]>,
  ) {}

  /** Creates the TTL index and the declared indexes once per collection (idempotent on the server; retried after a failure). */
  private async ready(): Promise<void> {
    this.ttlIndex ??= Promise.all([
      this.c.createIndex({ _expireAt: 1 }, { expireAfterSeconds: 0, name: 'ttl_expireAt' }),
      ...this.indexes.map((fields) => this.c.createIndex(Object.fromEntries(fields.map((f) => [f, 1])), { name: `by_${fields.join('_')}` })),
    ]);
    try {
      await this.ttlIndex;
    } catch (error) {
      this.ttlIndex = undefined;
      throw error;
    }
  }

  /** Documents whose `exp` is absent or after now: an expired document counts as absent. */
  private live(): Filter<MongoDocument> {
    return { $or: [{ exp: { $exists: false } }, { exp: { $gt: this.clock() } }] };
  }

  private liveWith(...conditions: Document[]): Filter<MongoDocument> {
    const given = conditions.filter((condition) => Object.keys(condition).length > 0);
    return { $and: [...given, this.live()] } as Filter<MongoDocument>;
  }

  async get(id: string): Promise<StoredDocument | undefined> {
    await this.ready();
    return fromMongo(await this.c.findOne(this.liveWith({ _id: id }), { projection: PROJECTION }));
  }

  async insert(doc: StoredDocument): Promise<boolean> {
    const stored = toMongo(doc);
    await this.ready();
    // An expired document still occupies its _id until the TTL monitor runs: remove it first.
    await this.c.deleteOne({ _id: stored._id, exp: { $lte: this.clock() } });
    try {
      await this.c.insertOne(stored);
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async put(doc: StoredDocument): Promise<void> {
    const stored = toMongo(doc);
    await this.ready();
    await this.c.replaceOne({ _id: stored._id }, stored, { upsert: true });
  }

  async take(id: string): Promise<StoredDocument | undefined> {
    await this.ready();
    return fromMongo(await this.c.findOneAndDelete(this.liveWith({ _id: id }), { projection: PROJECTION }));
  }

  async update(id: string, expect: FilterDocument, set: Partial<Omit<StoredDocument, '_id'>>): Promise<StoredDocument | undefined> {
    assertSafeFilter(expect);
    const fields = definedFields(set);
    if (typeof fields.exp === 'number') fields._expireAt = new Date(fields.exp);
    const filter = this.liveWith({ _id: id }, expect);
    await this.ready();
    // MongoDB refuses an empty $set; with nothing to change, the update is the match itself.
    if (Object.keys(fields).length === 0) return fromMongo(await this.c.findOne(filter, { projection: PROJECTION }));
    return fromMongo(
      await this.c.findOneAndUpdate(filter, { $set: fields }, { returnDocument: 'after', projection: PROJECTION }),
    );
  }

  async delete(id: string): Promise<boolean> {
    await this.ready();
    const result = await this.c.deleteOne(this.liveWith({ _id: id }));
    return result.deletedCount === 1;
  }

  async find(filter: FilterDocument, options: { sort?: SortDocument; limit?: number } = {}): Promise<StoredDocument[]> {
    assertSafeFilter(filter);
    const sort = options.sort ?? [];
    assertSafeSort(sort);
    const limit = checkedLimit(options.limit);
    await this.ready();
    return this.c.find(this.liveWith(filter), { projection: PROJECTION }).sort(withTieBreak(sort)).limit(limit).toArray();
  }
}
