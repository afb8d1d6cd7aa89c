/**
 * The behaviour every DocumentStore adapter must share (src/store/document-port.ts). Each adapter's
 * `documents-*.contract.test.ts` calls describeDocumentContract with a function that opens a fresh,
 * empty store reading time from the given clock.
 *
 * The clock starts at the real time and only moves forward, so documents given a future `exp` are not
 * purged by a server's own expiry (MongoDB's TTL monitor) before the test moves the clock past it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentCollection, DocumentStore, StoredDocument } from '../../src/store/document-port.js';
import { UnsafeFilterError } from '../../src/store/filter-guard.js';

export interface OpenedDocuments {
  docs: DocumentStore;
  /** Called after `docs.close()`: removes everything `open` created (database, folder). */
  cleanup(): Promise<void>;
}

interface Code extends StoredDocument {
  state: string;
  client?: string;
  n?: number;
  tags?: string[];
  detail?: { scopes: string[]; note?: string };
}

const MINUTE = 60_000;
const ids = (docs: readonly StoredDocument[]): string[] => docs.map((d) => d._id);

export function describeDocumentContract(name: string, open: (clock: () => number) => Promise<OpenedDocuments>): void {
  describe(`${name} document store contract`, () => {
    let docs: DocumentStore;
    let cleanup: () => Promise<void>;
    let now: number;
    let codes: DocumentCollection<Code>;
    const later = (ms: number): void => {
      now += ms;
    };

    beforeEach(async () => {
      now = Date.now();
      ({ docs, cleanup } = await open(() => now));
      codes = docs.collection<Code>('codes');
    });

    afterEach(async () => {
      await docs.close();
      await cleanup();
    });

    describe('get, put and delete', () => {
      it('when a document is put, then get returns it with every field, nested ones included', async () => {
        const doc: Code = { _id: 'c1', state: 'pending', n: 3, tags: ['a', 'b'], detail: { scopes: ['openid'], note: 'x' } };
        await codes.put(doc);
        expect(await codes.get('c1')).toEqual(doc);
      });

      it('when no document has the id, then get returns undefined', async () => {
        expect(await codes.get('missing')).toBeUndefined();
      });

      it('when a document is put again, then it is replaced as a whole (fields it no longer has are gone)', async () => {
        await codes.put({ _id: 'c1', state: 'pending', client: 'app' });
        await codes.put({ _id: 'c1', state: 'used' });
        expect(await codes.get('c1')).toEqual({ _id: 'c1', state: 'used' });
      });

      it('when a document is deleted, then delete resolves true once and get returns undefined', async () => {
        await codes.put({ _id: 'c1', state: 'pending' });
        expect(await codes.delete('c1')).toBe(true);
        expect(await codes.get('c1')).toBeUndefined();
        expect(await codes.delete('c1')).toBe(false);
      });

      it('when two collections hold the same _id, then each keeps its own document', async () => {
        const other = docs.collection<Code>('other-codes');
        await codes.put({ _id: 'same', state: 'in codes' });
        await other.put({ _id: 'same', state: 'in other' });
        expect((await codes.get('same'))?.state).toBe('in codes');
        expect((await other.get('same'))?.state).toBe('in other');
      });

      it('when a collection name has characters outside a-z 0-9 _ -, then collection throws', () => {
        for (const bad of ['Codes', '../escape', 'a.b', '', 'x'.repeat(65), 'with space']) {
          expect(() => docs.collection(bad), bad).toThrow();
        }
      });
    });

    describe('insert', () => {
      it('when no document has the id, then insert stores it and resolves true', async () => {
        expect(await codes.insert({ _id: 'c1', state: 'pending' })).toBe(true);
        expect(await codes.get('c1')).toEqual({ _id: 'c1', state: 'pending' });
      });

      it('when a live document has the id, then insert resolves false and the stored document is unchanged', async () => {
        await codes.insert({ _id: 'c1', state: 'first' });
        expect(await codes.insert({ _id: 'c1', state: 'second' })).toBe(false);
        expect((await codes.get('c1'))?.state).toBe('first');
      });

      it('when the document with the id has expired, then insert resolves true and the new one is stored', async () => {
        await codes.insert({ _id: 'jti-1', state: 'first', exp: now + MINUTE });
        later(MINUTE);
        expect(await codes.insert({ _id: 'jti-1', state: 'second', exp: now + MINUTE })).toBe(true);
        expect(await codes.get('jti-1')).toEqual({ _id: 'jti-1', state: 'second', exp: now + MINUTE });
      });

      it('when 20 inserts of one id race, then exactly one resolves true', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => codes.insert({ _id: 'jti', state: `racer ${i}` })));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await codes.get('jti'))?.state).toBe(`racer ${winner}`);
      });
    });

    describe('take', () => {
      it('when a document is taken, then it is returned once and is gone afterwards', async () => {
        await codes.put({ _id: 'code', state: 'pending', client: 'app' });
        expect(await codes.take('code')).toEqual({ _id: 'code', state: 'pending', client: 'app' });
        expect(await codes.get('code')).toBeUndefined();
        expect(await codes.take('code')).toBeUndefined();
      });

      it('when 20 takes of one document race, then exactly one receives it', async () => {
        await codes.put({ _id: 'code', state: 'pending' });
        const results = await Promise.all(Array.from({ length: 20 }, () => codes.take('code')));
        const received = results.filter((r) => r !== undefined);
        expect(received).toEqual([{ _id: 'code', state: 'pending' }]);
      });

      it('when no document has the id, then take returns undefined', async () => {
        expect(await codes.take('missing')).toBeUndefined();
      });
    });

    describe('update', () => {
      it('when the document matches the expectation, then the set fields are replaced, the others kept, and the result returned', async () => {
        await codes.put({ _id: 'g1', state: 'pending', client: 'app', detail: { scopes: ['a'] } });
        const updated = await codes.update('g1', { state: 'pending' }, { state: 'approved', detail: { scopes: ['b'] } });
        const expected = { _id: 'g1', state: 'approved', client: 'app', detail: { scopes: ['b'] } };
        expect(updated).toEqual(expected);
        expect(await codes.get('g1')).toEqual(expected);
      });

      it('when the document does not match the expectation, then nothing changes and update returns undefined', async () => {
        await codes.put({ _id: 'g1', state: 'used' });
        expect(await codes.update('g1', { state: 'pending' }, { state: 'approved' })).toBeUndefined();
        expect(await codes.get('g1')).toEqual({ _id: 'g1', state: 'used' });
      });

      it('when the expectation uses operators, then they are evaluated like MongoDB', async () => {
        await codes.put({ _id: 'g1', state: 'pending', n: 2, tags: ['x'] });
        expect(await codes.update('g1', { n: { $lt: 2 } }, { state: 'a' })).toBeUndefined();
        expect(await codes.update('g1', { n: { $gte: 2 }, tags: 'x', client: { $exists: false } }, { state: 'b' })).toMatchObject({ state: 'b' });
      });

      it('when no document has the id, then update returns undefined and creates nothing', async () => {
        expect(await codes.update('nope', {}, { state: 'x' })).toBeUndefined();
        expect(await codes.get('nope')).toBeUndefined();
      });

      it('when 20 updates expecting the same state race, then exactly one applies', async () => {
        await codes.put({ _id: 'g1', state: 'pending' });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => codes.update('g1', { state: 'pending' }, { state: `used by ${i}` })),
        );
        const applied = results.filter((r) => r !== undefined);
        expect(applied).toHaveLength(1);
        expect(await codes.get('g1')).toEqual(applied[0]);
      });

      it('when a set field is undefined, then that field is left as it was', async () => {
        await codes.put({ _id: 'g1', state: 'pending', client: 'app' });
        expect(await codes.update('g1', {}, { client: undefined, state: 'used' })).toEqual({ _id: 'g1', state: 'used', client: 'app' });
      });

      it('when update sets a later exp, then the document lives until the new exp', async () => {
        await codes.put({ _id: 'session', state: 'active', exp: now + MINUTE });
        await codes.update('session', {}, { exp: now + 3 * MINUTE });
        later(2 * MINUTE);
        expect((await codes.get('session'))?.exp).toBe(now + MINUTE);
      });
    });

    describe('find', () => {
      beforeEach(async () => {
        await codes.put({ _id: 'd', state: 'pending', client: 'app-1', n: 2 });
        await codes.put({ _id: 'b', state: 'pending', client: 'app-2', n: 1 });
        await codes.put({ _id: 'a', state: 'used', client: 'app-1', n: 3 });
        await codes.put({ _id: 'c', state: 'pending', client: 'app-1', n: 2 });
        await codes.put({ _id: 'e', state: 'pending', client: 'app-1' });
      });

      it('when filtered without a sort, then the matches come in _id order', async () => {
        expect(ids(await codes.find({ client: 'app-1' }))).toEqual(['a', 'c', 'd', 'e']);
      });

      it('when sorted on a field, then ties are broken by _id and a missing field sorts first ascending', async () => {
        expect(ids(await codes.find({ state: 'pending' }, { sort: [['n', 1]] }))).toEqual(['e', 'b', 'c', 'd']);
        expect(ids(await codes.find({ state: 'pending' }, { sort: [['n', -1]] }))).toEqual(['c', 'd', 'b', 'e']);
      });

      it('when sorted on two fields with a limit, then the first `limit` in that order are returned', async () => {
        const sort: Array<[string, 1 | -1]> = [['client', -1], ['n', -1]];
        expect(ids(await codes.find({}, { sort, limit: 3 }))).toEqual(['b', 'a', 'c']);
      });

      it('when sorted on an array field, then ascending uses its smallest element, descending its largest, and an empty array sorts before missing', async () => {
        const tagged = docs.collection<Code>('tagged');
        await tagged.put({ _id: 'p', state: 'x', tags: ['m', 'z'] });
        await tagged.put({ _id: 'q', state: 'x', tags: ['y', 'b'] });
        await tagged.put({ _id: 'r', state: 'x', tags: ['c'] });
        await tagged.put({ _id: 's', state: 'x', tags: [] });
        await tagged.put({ _id: 't', state: 'x' });
        expect(ids(await tagged.find({}, { sort: [['tags', 1]] }))).toEqual(['s', 't', 'q', 'r', 'p']);
        expect(ids(await tagged.find({}, { sort: [['tags', -1]] }))).toEqual(['p', 'q', 'r', 't', 's']);
      });

      it('when the filter uses query operators, then they are evaluated like MongoDB', async () => {
        expect(ids(await codes.find({ $or: [{ n: { $gt: 2 } }, { client: { $in: ['app-2'] } }] }))).toEqual(['a', 'b']);
        expect(ids(await codes.find({ n: { $exists: false } }))).toEqual(['e']);
      });

      it('when more than 1000 documents match and no limit is given, then 1000 are returned', async () => {
        const many = docs.collection<Code>('many');
        for (let i = 0; i < 1005; i++) await many.put({ _id: `m${String(i).padStart(4, '0')}`, state: 'x' });
        const found = await many.find({});
        expect(found).toHaveLength(1000);
        expect(found[999]._id).toBe('m0999');
      });

      it('when the limit is not a positive integer, then find rejects', async () => {
        await expect(codes.find({}, { limit: 0 })).rejects.toThrow(RangeError);
        await expect(codes.find({}, { limit: 1.5 })).rejects.toThrow(RangeError);
      });
    });

    describe('expiry', () => {
      it('when exp is at or before now, then the document is absent for get, find, take, update, delete and insert', async () => {
        await codes.put({ _id: 'gone', state: 'pending', exp: now + MINUTE });
        await codes.put({ _id: 'kept', state: 'pending', exp: now + MINUTE + 1 });
        later(MINUTE);
        expect(ids(await codes.find({ state: 'pending' }))).toEqual(['kept']);
        expect(await codes.get('gone')).toBeUndefined();
        expect(await codes.take('gone')).toBeUndefined();
        expect(await codes.update('gone', {}, { state: 'used' })).toBeUndefined();
        expect(await codes.delete('gone')).toBe(false);
        expect(await codes.insert({ _id: 'gone', state: 'new' })).toBe(true);
        expect(await codes.get('gone')).toEqual({ _id: 'gone', state: 'new' });
      });

      it('when exp is after now, then the document is present', async () => {
        await codes.put({ _id: 'live', state: 'pending', exp: now + 1 });
        expect(await codes.get('live')).toEqual({ _id: 'live', state: 'pending', exp: now + 1 });
        expect(await codes.take('live')).toEqual({ _id: 'live', state: 'pending', exp: now + 1 });
      });

      it('when a document is put already expired, then it is never visible', async () => {
        await codes.put({ _id: 'past', state: 'pending', exp: now - 1 });
        expect(await codes.find({})).toEqual([]);
        expect(await codes.get('past')).toBeUndefined();
      });
    });

    describe('indexed collections', () => {
      let indexed: DocumentCollection<Code>;
      beforeEach(async () => {
        indexed = docs.collection<Code>('indexed', { indexes: [['client', '_id'], ['state']] });
        for (let i = 0; i < 30; i++) await indexed.put({ _id: `k${String(i).padStart(2, '0')}`, state: i % 3 === 0 ? 'used' : 'pending', client: `app-${i % 4}`, n: i });
      });

      it('when filtered on indexed fields (equality, $in, inside $and, with other conditions), then the results equal a filter on an unindexed copy', async () => {
        const plain = docs.collection<Code>('plain');
        for (const d of await indexed.find({}, { limit: 100 })) await plain.put(d);
        const filters = [
          { client: 'app-1' },
          { client: { $in: ['app-1', 'app-3'] } },
          { $and: [{ client: 'app-2' }, { state: 'used' }] },
          { client: 'app-0', n: { $gte: 10 } },
          { client: 'app-0', _id: { $gt: 'k08' } },
          { state: 'pending', client: 'nobody' },
        ];
        for (const f of filters) {
          expect(ids(await indexed.find(f, { sort: [['_id', 1]], limit: 100 })), JSON.stringify(f)).toEqual(ids(await plain.find(f, { sort: [['_id', 1]], limit: 100 })));
        }
        expect(ids(await indexed.find({ client: 'app-1' }, { sort: [['_id', 1]], limit: 3 }))).toEqual(['k01', 'k05', 'k09']);
      });

      it('when an indexed field changes, a document is deleted or expires, then later finds follow', async () => {
        await indexed.update('k01', {}, { client: 'app-9' });
        await indexed.delete('k05');
        await indexed.put({ _id: 'k09', state: 'pending', client: 'app-1', exp: now + MINUTE });
        expect(ids(await indexed.find({ client: 'app-9' }))).toEqual(['k01']);
        expect(ids(await indexed.find({ client: 'app-1' }))).toEqual(['k09', 'k13', 'k17', 'k21', 'k25', 'k29']);
        later(2 * MINUTE);
        expect(ids(await indexed.find({ client: 'app-1' }))).toEqual(['k13', 'k17', 'k21', 'k25', 'k29']);
      });

      it('when one indexed value is paged by _id ($gt / $gte keyset), with writes, deletes and expiry between pages, then every live document comes once and in order', async () => {
        const page = (after: string | undefined, limit: number, gte = false) =>
          indexed.find(after === undefined ? { client: 'app-2' } : { client: 'app-2', _id: gte ? { $gte: after } : { $gt: after } }, { sort: [['_id', 1]], limit });
        // app-2: k02 k06 k10 k14 k18 k22 k26
        const first = await page(undefined, 3);
        expect(ids(first)).toEqual(['k02', 'k06', 'k10']);
        // Between pages: one ahead of the cursor is deleted, one is added ahead, one behind, one expires.
        await indexed.delete('k14');
        await indexed.put({ _id: 'k15', state: 'pending', client: 'app-2' });
        await indexed.put({ _id: 'k03', state: 'pending', client: 'app-2' });
        await indexed.put({ _id: 'k18', state: 'pending', client: 'app-2', exp: now + MINUTE });
        later(2 * MINUTE);
        const second = await page('k10', 3);
        expect(ids(second)).toEqual(['k15', 'k22', 'k26']);
        expect(ids(await page('k26', 3))).toEqual([]);
        expect(ids(await page('k22', 2, true))).toEqual(['k22', 'k26']);
        // With a further condition the walk goes on until the limit is met.
        expect(ids(await indexed.find({ client: 'app-2', state: 'pending', _id: { $gt: 'k03' } }, { sort: [['_id', 1]], limit: 2 }))).toEqual(['k10', 'k15']);
        // Ids named outright still win over the walk.
        expect(ids(await indexed.find({ client: 'app-2', _id: { $in: ['k26', 'k02', 'k01'] } }, { sort: [['_id', 1]], limit: 10 }))).toEqual(['k02', 'k26']);
      });

      it('when a collection first opened without indexes is asked for again with them, then finds are still complete', async () => {
        const late = docs.collection<Code>('late');
        await late.put({ _id: 'x', state: 'pending', client: 'app-1' });
        const again = docs.collection<Code>('late', { indexes: [['client']] });
        await again.put({ _id: 'y', state: 'pending', client: 'app-1' });
        expect(ids(await again.find({ client: 'app-1' }))).toEqual(['x', 'y']);
      });
    });

    describe('safety', () => {
      it('when a find filter holds $where, then find rejects with UnsafeFilterError', async () => {
        await codes.put({ _id: 'c1', state: 'pending' });
        await expect(codes.find({ $where: 'true' })).rejects.toThrow(UnsafeFilterError);
      });

      it('when an update expectation holds $expr, then update rejects and the document is unchanged', async () => {
        await codes.put({ _id: 'c1', state: 'pending' });
        await expect(codes.update('c1', { $expr: { $eq: [1, 1] } }, { state: 'used' })).rejects.toThrow(UnsafeFilterError);
        expect((await codes.get('c1'))?.state).toBe('pending');
      });

      it('when a sort names an operator, then find rejects with UnsafeFilterError', async () => {
        await expect(codes.find({}, { sort: [['$natural', 1]] })).rejects.toThrow(UnsafeFilterError);
      });
    });

    describe('copies', () => {
      it('when the caller mutates a document it put, got, found or updated, then the stored document is unchanged', async () => {
        const original: Code = { _id: 'c1', state: 'pending', detail: { scopes: ['a'] } };
        await codes.put(original);
        original.state = 'mutated input';
        original.detail?.scopes.push('input');

        const got = await codes.get('c1');
        if (got?.detail) {
          got.state = 'mutated get';
          got.detail.scopes.push('get');
        }
        const [found] = await codes.find({});
        found.state = 'mutated find';
        found.detail?.scopes.push('find');
        const updated = await codes.update('c1', {}, { client: 'app' });
        if (updated?.detail) {
          updated.state = 'mutated update';
          updated.detail.scopes.push('update');
        }

        expect(await codes.get('c1')).toEqual({ _id: 'c1', state: 'pending', client: 'app', detail: { scopes: ['a'] } });
      });
    });
  });
}
