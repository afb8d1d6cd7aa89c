/**
 * A minimal in-memory stand-in for the parts of the MongoDB driver the adapter uses, so the store
 * contract can exercise the adapter's own logic (conditional writes, history rows, tombstones,
 * cursors, bulk load) where no server can run. Queries and sorts are evaluated with mingo. It
 * models a standalone server (no `setName` in `hello`), so transactions are NOT exercised here.
 */
import { Aggregator, Query } from 'mingo';

type Doc = Record<string, unknown> & { _id: string };
type SortSpec = Map<string, 1 | -1> | ReadonlyArray<readonly [string, 1 | -1]>;
type ServerErrorClass = new (description: { message: string; code: number }) => Error;

export function fakeMongoClientClass(MongoServerError: ServerErrorClass) {
  const servers = new Map<string, Map<string, Map<string, Doc>>>();

  const clone = <T>(value: T): T => structuredClone(value);
  const matcher = (filter: object) => new Query(filter as Record<string, unknown>);
  const duplicateKey = (): Error => new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 });

  class FakeCursor {
    private sortSpec: Record<string, 1 | -1> = {};
    private max = 0;
    constructor(private readonly docs: Doc[]) {}
    sort(spec: SortSpec): this {
      this.sortSpec = Object.fromEntries(spec instanceof Map ? [...spec.entries()] : spec);
      return this;
    }
    limit(n: number): this {
      this.max = n;
      return this;
    }
    async toArray(): Promise<Doc[]> {
      let cursor = new Query({}).find<Doc>(this.docs).sort(this.sortSpec);
      if (this.max > 0) cursor = cursor.limit(this.max);
      return cursor.all().map(clone);
    }
    async *[Symbol.asyncIterator](): AsyncGenerator<Doc> {
      yield* await this.toArray();
    }
  }

  type BulkOp =
    | { replaceOne: { filter: object; replacement: Record<string, unknown>; upsert?: boolean } }
    | { updateOne: { filter: object; update: { $set: Record<string, unknown> } } };

  class FakeCollection {
    constructor(private readonly docs: Map<string, Doc>) {}
    private matching(filter: object): Doc[] {
      const query = matcher(filter);
      return [...this.docs.values()].filter((doc) => query.test(doc));
    }
    async createIndexes(specs: unknown[]): Promise<string[]> {
      return specs.map((_, i) => `index_${i}`);
    }
    async findOne(filter: object): Promise<Doc | null> {
      const [doc] = this.matching(filter);
      return doc === undefined ? null : clone(doc);
    }
    find(filter: object): FakeCursor {
      return new FakeCursor(this.matching(filter));
    }
    async countDocuments(filter: object = {}): Promise<number> {
      return this.matching(filter).length;
    }
    /** The whole pipeline in mingo (the adapter's own $match and $project first, as MongoDB would run them). */
    aggregate(pipeline: Array<Record<string, unknown>>): { toArray(): Promise<Doc[]> } {
      const docs = [...this.docs.values()].map(clone);
      return { toArray: async () => new Aggregator(pipeline).run(docs) as Doc[] };
    }
    async insertOne(doc: Doc): Promise<{ acknowledged: true }> {
      if (this.docs.has(doc._id)) throw duplicateKey();
      this.docs.set(doc._id, clone(doc));
      return { acknowledged: true };
    }
    async replaceOne(
      filter: object,
      replacement: Record<string, unknown>,
      options: { upsert?: boolean } = {},
    ): Promise<{ matchedCount: number }> {
      if ('_id' in replacement) throw new Error('fake driver: replacement must not carry _id');
      const [found] = this.matching(filter);
      if (found !== undefined) {
        this.docs.set(found._id, { ...clone(replacement), _id: found._id });
        return { matchedCount: 1 };
      }
      if (options.upsert === true) {
        const id = (filter as { _id?: unknown })._id;
        if (typeof id !== 'string') throw new Error('fake driver: upsert needs an _id equality');
        if (this.docs.has(id)) throw duplicateKey();
        this.docs.set(id, { ...clone(replacement), _id: id });
      }
      return { matchedCount: 0 };
    }
    /** Only `$set` of top-level fields, as the adapter's reindex uses it. */
    async updateOne(filter: object, update: { $set: Record<string, unknown> }): Promise<{ matchedCount: number; modifiedCount: number }> {
      const keys = Object.keys(update);
      if (keys.length !== 1 || keys[0] !== '$set') throw new Error('fake driver: only $set updates');
      const [found] = this.matching(filter);
      if (found === undefined) return { matchedCount: 0, modifiedCount: 0 };
      this.docs.set(found._id, { ...found, ...clone(update.$set), _id: found._id });
      return { matchedCount: 1, modifiedCount: 1 };
    }
    async bulkWrite(ops: BulkOp[]): Promise<{ modifiedCount: number }> {
      let modifiedCount = 0;
      for (const op of ops) {
        if ('replaceOne' in op) await this.replaceOne(op.replaceOne.filter, op.replaceOne.replacement, { upsert: op.replaceOne.upsert });
        else modifiedCount += (await this.updateOne(op.updateOne.filter, op.updateOne.update)).modifiedCount;
      }
      return { modifiedCount };
    }
  }

  class FakeDb {
    constructor(private readonly collections: Map<string, Map<string, Doc>>) {}
    collection(name: string): FakeCollection {
      let docs = this.collections.get(name);
      if (docs === undefined) this.collections.set(name, (docs = new Map()));
      return new FakeCollection(docs);
    }
    admin(): { command(cmd: object): Promise<Record<string, unknown>> } {
      return { command: async () => ({ isWritablePrimary: true }) };
    }
  }

  return class FakeMongoClient {
    constructor(private readonly uri: string) {}
    async connect(): Promise<this> {
      return this;
    }
    db(name = 'test'): FakeDb {
      const key = `${this.uri}#${name}`;
      let dbs = servers.get(key);
      if (dbs === undefined) servers.set(key, (dbs = new Map()));
      return new FakeDb(dbs);
    }
    startSession(): never {
      throw new Error('fake driver: a standalone server has no transactions');
    }
    async close(): Promise<void> {}
  };
}
