/**
 * The behaviour every ResourceStore adapter must share (src/store/port.ts). Each adapter's
 * `*.contract.test.ts` calls describeStoreContract with a function that opens a fresh, empty store.
 *
 * Both adapters receive the same MongoDB filter and sort documents, so the expectations follow
 * MongoDB query semantics (arrays match element-wise, null and missing sort first ascending).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  VersionConflictError,
  type FilterDocument,
  type HistoryQuery,
  type RecordIndex,
  type ResourceStore,
  type SortDocument,
  type StoredRecord,
  type WriteOp,
} from '../../src/store/port.js';
import { aRecord, aTombstone, ids, ms, nextVersion } from './records.js';

export interface OpenedStore {
  store: ResourceStore;
  /** Close the store and open the same data again (folder, database), as a restart would. */
  reopen(): Promise<ResourceStore>;
  /** Called after `store.close()`: removes everything `open` created (database, folder). */
  cleanup(): Promise<void>;
}

const put = (record: StoredRecord, expectVersion?: number | 'absent'): WriteOp => ({ kind: 'put', record, expectVersion });
const del = (record: StoredRecord, expectVersion?: number): WriteOp => ({ kind: 'delete', record, expectVersion });
/**
 * The port's fields of a record read back, `res` read through whatever accessor the store uses;
 * `json` is left out (optional, port.ts) and checked on its own.
 */
function portFields(record: StoredRecord | undefined): StoredRecord | undefined {
  if (record === undefined) return undefined;
  const { _id, type, id, v, lu, del, res, sp, so, cmp } = record;
  return res === undefined ? { _id, type, id, v, lu, del, sp, so, cmp } : { _id, type, id, v, lu, del, res, sp, so, cmp };
}

/** `${_id}@${v}`: compact and order-revealing in failure messages. */
const versions = (records: readonly StoredRecord[]): string[] => records.map((r) => `${r._id}@${r.v}`);

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} store contract`, () => {
    let store: ResourceStore;
    let cleanup: () => Promise<void>;
    let reopen: () => Promise<ResourceStore>;

    beforeEach(async () => {
      ({ store, cleanup, reopen } = await open());
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const findIds = async (filter: FilterDocument, sort: SortDocument = [], limit = 100): Promise<string[]> =>
      ids((await store.find({ filter, sort, limit })).records);

    describe('writes and versions', () => {
      it('when a record is put, then current returns it and version 1 is readable', async () => {
        const record = aRecord('Patient', 'a');
        await store.write([put(record, 'absent')]);
        expect(portFields(await store.current('Patient', 'a'))).toEqual(record);
        expect(portFields(await store.version('Patient', 'a', 1))).toEqual(record);
        expect(await store.current('Patient', 'missing')).toBeUndefined();
      });

      it('when a record is read back, then every port field reads as written and json, if kept, is the same resource', async () => {
        const record = aRecord('Patient', 'a', { sp: { gender: [{ c: 'female' }] }, so: { family: 'smith' } });
        await store.write([put(record, 'absent')]);
        const read = await store.current('Patient', 'a');
        // `res` may be a lazily parsed accessor (port.ts): read it through the property.
        expect(read?.res).toEqual(record.res);
        for (const key of Object.keys(record) as Array<keyof typeof record>) expect(read?.[key]).toEqual(record[key]);
        if (read?.json !== undefined) expect(JSON.parse(read.json)).toEqual(record.res);
      });

      it('when a record is updated twice, then current is the newest and version() returns each old one', async () => {
        const v1 = aRecord('Patient', 'a');
        const v2 = nextVersion(v1);
        const v3 = nextVersion(v2);
        await store.write([put(v1, 'absent')]);
        await store.write([put(v2, 1)]);
        await store.write([put(v3, 2)]);
        expect(portFields(await store.current('Patient', 'a'))).toEqual(v3);
        expect(portFields(await store.version('Patient', 'a', 1))).toEqual(v1);
        expect(portFields(await store.version('Patient', 'a', 2))).toEqual(v2);
        expect(portFields(await store.version('Patient', 'a', 3))).toEqual(v3);
        expect(await store.version('Patient', 'a', 4)).toBeUndefined();
      });

      it('when a put has no expectation, then it is applied whatever the current version', async () => {
        const v1 = aRecord('Patient', 'a');
        await store.write([put(v1)]);
        await store.write([put(nextVersion(v1))]);
        expect((await store.current('Patient', 'a'))?.v).toBe(2);
      });

      it('when expectVersion does not match, then VersionConflictError is thrown and nothing changes', async () => {
        const v1 = aRecord('Patient', 'a');
        await store.write([put(v1, 'absent')]);
        const attempt = store.write([put(nextVersion(v1), 5)]);
        await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
        await expect(attempt).rejects.toMatchObject({ key: 'Patient/a', expected: 5, actual: 1 });
        expect(portFields(await store.current('Patient', 'a'))).toEqual(v1);
        expect(await store.version('Patient', 'a', 2)).toBeUndefined();
        expect(versions(await store.history({ type: 'Patient', id: 'a', limit: 10 }))).toEqual(['Patient/a@1']);
      });

      it('when a version is expected of a record never written, then VersionConflictError is thrown', async () => {
        const attempt = store.write([put(aRecord('Patient', 'a', { v: 2 }), 1)]);
        await expect(attempt).rejects.toMatchObject({ name: 'VersionConflictError', expected: 1, actual: undefined });
        expect(await store.current('Patient', 'a')).toBeUndefined();
      });

      it("when 'absent' is expected but the record exists, then VersionConflictError is thrown and nothing changes", async () => {
        const v1 = aRecord('Patient', 'a');
        await store.write([put(v1, 'absent')]);
        const attempt = store.write([put(aRecord('Patient', 'a', { so: { family: 'other' } }), 'absent')]);
        await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
        await expect(attempt).rejects.toMatchObject({ key: 'Patient/a', expected: 'absent', actual: 1 });
        expect(portFields(await store.current('Patient', 'a'))).toEqual(v1);
      });

      it('when one op of a multi-op write conflicts, then none of the ops is applied', async () => {
        const a1 = aRecord('Patient', 'a');
        const b1 = aRecord('Patient', 'b');
        await store.write([put(a1, 'absent'), put(b1, 'absent')]);
        const attempt = store.write([
          put(aRecord('Patient', 'new'), 'absent'),
          put(nextVersion(a1), 1),
          del(aTombstone(b1), 7),
        ]);
        await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
        expect(await store.current('Patient', 'new')).toBeUndefined();
        expect(await store.history({ type: 'Patient', id: 'new', limit: 10 })).toEqual([]);
        expect(portFields(await store.current('Patient', 'a'))).toEqual(a1);
        expect(await store.version('Patient', 'a', 2)).toBeUndefined();
        expect(portFields(await store.current('Patient', 'b'))).toEqual(b1);
        expect(await store.size()).toBe(2);
      });

      it('when every op of a multi-op write matches, then all are applied together', async () => {
        const a1 = aRecord('Patient', 'a');
        const b1 = aRecord('Observation', 'b');
        await store.write([put(a1, 'absent'), put(b1, 'absent')]);
        await store.write([put(nextVersion(a1), 1), del(aTombstone(b1), 1), put(aRecord('Patient', 'c'), 'absent')]);
        expect((await store.current('Patient', 'a'))?.v).toBe(2);
        expect((await store.current('Observation', 'b'))?.del).toBe(true);
        expect((await store.current('Patient', 'c'))?.v).toBe(1);
      });

      it('when a record is deleted, then its tombstone is current and in history but not found, counted or sized', async () => {
        const v1 = aRecord('Patient', 'a', { sp: { gender: [{ c: 'female' }] } });
        const tombstone = aTombstone(v1);
        await store.write([put(v1, 'absent')]);
        await store.write([del(tombstone, 1)]);

        const current = await store.current('Patient', 'a');
        expect(current).toMatchObject({ _id: 'Patient/a', v: 2, del: true });
        expect(current?.res).toBeUndefined();
        expect(current?.json).toBeUndefined();
        expect(await findIds({ type: 'Patient' })).toEqual([]);
        expect(await store.count({ 'sp.gender': { $elemMatch: { c: 'female' } } })).toBe(0);
        expect(await store.size()).toBe(0);
        expect(versions(await store.history({ type: 'Patient', id: 'a', limit: 10 }))).toEqual([
          'Patient/a@2',
          'Patient/a@1',
        ]);
        expect(portFields(await store.version('Patient', 'a', 1))).toEqual(v1);
      });

      it('when a delete expects the wrong version, then VersionConflictError is thrown and the record stays', async () => {
        const v1 = aRecord('Patient', 'a');
        await store.write([put(v1, 'absent')]);
        await expect(store.write([del(aTombstone(v1), 3)])).rejects.toBeInstanceOf(VersionConflictError);
        expect(portFields(await store.current('Patient', 'a'))).toEqual(v1);
      });
    });

    describe('find', () => {
      const genderSystem = 'http://hl7.org/fhir/administrative-gender';
      const p1 = aRecord('Patient', 'p1', {
        sp: {
          gender: [{ s: genderSystem, c: 'female' }],
          identifier: [{ s: 'urn:mrn', c: '100' }],
          name: [{ n: 'smith', e: 'Smith' }],
          birthdate: [{ lo: ms('1980-01-01T00:00:00.000Z'), hi: ms('1980-01-01T23:59:59.999Z') }],
        },
        so: { family: 'smith' },
      });
      const p2 = aRecord('Patient', 'p2', {
        sp: {
          gender: [{ s: genderSystem, c: 'male' }],
          identifier: [{ s: 'urn:mrn', c: '200' }],
          name: [{ n: 'smithers', e: 'Smithers' }],
          birthdate: [{ lo: ms('1990-05-05T00:00:00.000Z'), hi: ms('1990-05-05T23:59:59.999Z') }],
        },
        so: { family: 'smithers' },
      });
      // Holds the code 100 under another system: only an $elemMatch on {s, c} tells it from p1.
      const p3 = aRecord('Patient', 'p3', {
        sp: {
          gender: [{ s: genderSystem, c: 'female' }],
          identifier: [
            { s: 'urn:mrn', c: '300' },
            { s: 'urn:other', c: '100' },
          ],
          name: [{ n: 'jones', e: 'Jones' }],
          birthdate: [{ lo: ms('2000-12-31T00:00:00.000Z'), hi: ms('2000-12-31T23:59:59.999Z') }],
        },
        so: { family: null },
      });
      // No gender, no birthdate and no `family` sort key at all.
      const p4 = aRecord('Patient', 'p4', { sp: { name: [{ n: 'adams', e: 'Adams' }] } });
      // Deleted: its tombstone keeps index values that would match female/smith.
      const p5 = aRecord('Patient', 'p5', {
        sp: { gender: [{ s: genderSystem, c: 'female' }], name: [{ n: 'smith', e: 'Smith' }] },
        so: { family: 'smith' },
      });
      const o1 = aRecord('Observation', 'o1', {
        sp: { patient: ['Patient/p1'], subject: ['Patient/p1'] },
        so: { date: 100 },
        cmp: ['Patient/p1'],
      });
      const o2 = aRecord('Observation', 'o2', {
        sp: { patient: ['Patient/p2'], subject: ['Patient/p2'] },
        so: { date: 200 },
        cmp: ['Patient/p2'],
      });
      const o3 = aRecord('Observation', 'o3', {
        sp: { patient: ['Patient/p1'], subject: ['Patient/p1'] },
        so: { date: 100 },
        cmp: ['Patient/p1'],
      });

      beforeEach(async () => {
        // Written in reverse id order, one write each, so that `_id` order is never insertion order.
        for (const record of [o3, o2, o1, p5, p4, p3, p2, p1]) await store.write([put(record, 'absent')]);
        await store.write([del(aTombstone(p5), 1)]);
      });

      it('when filtering by equality on a field, then only current matching records are returned in _id order', async () => {
        expect(await findIds({ type: 'Observation' })).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3']);
        expect(await findIds({ type: 'Patient' })).toEqual(['Patient/p1', 'Patient/p2', 'Patient/p3', 'Patient/p4']);
      });

      it('when filtering by equality on an array of references, then any element matches', async () => {
        expect(await findIds({ 'sp.patient': 'Patient/p1' })).toEqual(['Observation/o1', 'Observation/o3']);
        expect(await findIds({ cmp: 'Patient/p2' })).toEqual(['Observation/o2']);
      });

      it('when filtering with $in, then records matching any value are returned', async () => {
        expect(await findIds({ 'sp.patient': { $in: ['Patient/p1', 'Patient/p2'] } })).toEqual([
          'Observation/o1',
          'Observation/o2',
          'Observation/o3',
        ]);
      });

      it('when filtering the type with $in, alone or beside other conditions, then records of any listed type match', async () => {
        expect(await findIds({ type: { $in: ['Observation', 'Condition'] } })).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3']);
        expect(await findIds({ type: { $in: ['Observation', 'Patient'] }, cmp: 'Patient/p1' })).toEqual(['Observation/o1', 'Observation/o3']);
        expect(await findIds({ $and: [{ cmp: 'Patient/p1' }, { $or: [{ type: { $in: ['Patient'] } }, { $and: [{ type: 'Observation' }, { 'so.date': 100 }] }] }] })).toEqual([
          'Observation/o1',
          'Observation/o3',
        ]);
        expect(await findIds({ $and: [{ type: { $in: ['Patient', 'Condition'] } }, { 'sp.gender': { $elemMatch: { s: genderSystem, c: 'female' } } }] })).toEqual([
          'Patient/p1',
          'Patient/p3',
        ]);
      });

      it('when filtering tokens with $elemMatch on {s, c}, then system and code must match in the same element', async () => {
        expect(await findIds({ 'sp.identifier': { $elemMatch: { s: 'urn:mrn', c: '100' } } })).toEqual(['Patient/p1']);
        expect(await findIds({ 'sp.identifier': { $elemMatch: { c: '100' } } })).toEqual(['Patient/p1', 'Patient/p3']);
      });

      it('when filtering strings with a $regex prefix on n, then names starting with it match', async () => {
        expect(await findIds({ 'sp.name': { $elemMatch: { n: { $regex: '^smith' } } } })).toEqual([
          'Patient/p1',
          'Patient/p2',
        ]);
      });

      it('when filtering dates by range on {lo, hi}, then only periods inside the range match', async () => {
        const inside = {
          'sp.birthdate': {
            $elemMatch: { lo: { $gte: ms('1985-01-01T00:00:00.000Z') }, hi: { $lte: ms('1995-12-31T23:59:59.999Z') } },
          },
        };
        expect(await findIds(inside)).toEqual(['Patient/p2']);
        const after1985 = { 'sp.birthdate': { $elemMatch: { hi: { $gt: ms('1985-01-01T00:00:00.000Z') } } } };
        expect(await findIds(after1985)).toEqual(['Patient/p2', 'Patient/p3']);
      });

      it('when filtering with $or, then records matching either branch are returned', async () => {
        const filter = {
          $or: [{ 'sp.gender': { $elemMatch: { c: 'male' } } }, { 'sp.name': { $elemMatch: { n: 'jones' } } }],
        };
        expect(await findIds(filter)).toEqual(['Patient/p2', 'Patient/p3']);
      });

      it('when filtering with $not or $nin, then records without the value (including missing fields) match', async () => {
        const notFemale = { type: 'Patient', 'sp.gender': { $not: { $elemMatch: { c: 'female' } } } };
        expect(await findIds(notFemale)).toEqual(['Patient/p2', 'Patient/p4']);
        const notP1 = { type: 'Observation', 'sp.patient': { $nin: ['Patient/p1'] } };
        expect(await findIds(notP1)).toEqual(['Observation/o2']);
      });

      it('when sorting ascending, then null and missing values come first and ties are broken by _id', async () => {
        expect(await findIds({ type: 'Patient' }, [['so.family', 1]])).toEqual([
          'Patient/p3',
          'Patient/p4',
          'Patient/p1',
          'Patient/p2',
        ]);
      });

      it('when sorting descending, then null and missing values come last and ties are still broken by _id ascending', async () => {
        expect(await findIds({ type: 'Patient' }, [['so.family', -1]])).toEqual([
          'Patient/p2',
          'Patient/p1',
          'Patient/p3',
          'Patient/p4',
        ]);
        expect(await findIds({ type: 'Observation' }, [['so.date', -1]])).toEqual([
          'Observation/o2',
          'Observation/o1',
          'Observation/o3',
        ]);
      });

      it('when a limit is given, then only the first records in sort order are returned', async () => {
        expect(await findIds({ type: 'Patient' }, [['so.family', -1]], 2)).toEqual(['Patient/p2', 'Patient/p1']);
      });

      it('when a count is requested, then total counts every match regardless of the limit', async () => {
        const result = await store.find({ filter: { type: 'Patient' }, sort: [['so.family', 1]], limit: 1, count: true });
        expect(ids(result.records)).toEqual(['Patient/p3']);
        expect(result.total).toBe(4);
      });

      it('when counting, then only current non-deleted matches are counted', async () => {
        expect(await store.count({ 'sp.gender': { $elemMatch: { c: 'female' } } })).toBe(2);
        expect(await store.count({ 'sp.name': { $elemMatch: { n: { $regex: '^smith' } } } })).toBe(2);
        expect(await store.count({})).toBe(7);
      });

      it('when asking the size, then current non-deleted records of all types are counted', async () => {
        expect(await store.size()).toBe(7);
      });

      it('when a filter contains an operator outside the allow-list, then find and count reject it', async () => {
        await expect(store.find({ filter: { $where: 'true' }, sort: [], limit: 10 })).rejects.toThrow();
        await expect(store.count({ type: 'Patient', 'sp.name': { $elemMatch: { $expr: { $eq: [1, 1] } } } })).rejects.toThrow();
      });
    });

    describe('history', () => {
      const h1 = aRecord('Patient', 'h1', { lu: 1000 });
      const h1v2 = nextVersion(h1, { lu: 3000 });
      const h1v3 = aTombstone(h1v2, 5000);
      const h2 = aRecord('Patient', 'h2', { lu: 3000 });
      const h3 = aRecord('Observation', 'h3', { lu: 3000 });
      const h3v2 = nextVersion(h3, { lu: 4000 });
      // Two versions with the same lastUpdated: v breaks the tie.
      const h4 = aRecord('Patient', 'h4', { lu: 6000 });
      const h4v2 = nextVersion(h4, { lu: 6000 });

      /** Newest first: lu desc, then `${type}/${id}` desc, then v desc (port.ts HistoryQuery.after). */
      const all = [
        'Patient/h4@2',
        'Patient/h4@1',
        'Patient/h1@3',
        'Observation/h3@2',
        'Patient/h2@1',
        'Patient/h1@2',
        'Observation/h3@1',
        'Patient/h1@1',
      ];

      beforeEach(async () => {
        await store.write([put(h1, 'absent')]);
        await store.write([put(h2, 'absent'), put(h3, 'absent'), put(h1v2, 1)]);
        await store.write([put(h3v2, 1)]);
        await store.write([del(h1v3, 2)]);
        await store.write([put(h4, 'absent')]);
        await store.write([put(h4v2, 1)]);
      });

      const page = async (query: Partial<HistoryQuery>): Promise<string[]> =>
        versions(await store.history({ limit: 100, ...query }));

      it('when reading the history of one resource, then its versions come newest first, tombstone included', async () => {
        const history = await store.history({ type: 'Patient', id: 'h1', limit: 10 });
        expect(history.map(portFields)).toEqual([h1v3, h1v2, h1]);
      });

      it('when reading the history of a type, then only that type is returned in history order', async () => {
        expect(await page({ type: 'Patient' })).toEqual(all.filter((v) => v.startsWith('Patient/')));
        expect(await page({ type: 'Observation' })).toEqual(['Observation/h3@2', 'Observation/h3@1']);
      });

      it('when reading the whole history, then versions are ordered by lu, then _id, then v, all descending', async () => {
        expect(await page({})).toEqual(all);
      });

      it('when since is given, then only versions updated at or after it are returned', async () => {
        expect(await page({ since: 3000 })).toEqual(all.slice(0, 7));
      });

      it('when before is given, then only versions updated strictly before it are returned', async () => {
        expect(await page({ before: 5000 })).toEqual(all.slice(3));
      });

      it('when a limit is given, then only the newest versions are returned', async () => {
        expect(await page({ limit: 3 })).toEqual(all.slice(0, 3));
      });

      it('when the after cursor is given, then history continues strictly after it, even inside a tie on lu', async () => {
        expect(await page({ after: { lu: 3000, key: 'Patient/h2', v: 1 } })).toEqual(all.slice(5));
        expect(await page({ after: { lu: 6000, key: 'Patient/h4', v: 2 } })).toEqual(all.slice(1));
      });

      it('when paging with the after cursor, then the pages join into the whole history without gaps or repeats', async () => {
        const seen: string[] = [];
        let after: HistoryQuery['after'];
        for (let pages = 0; pages < 10; pages++) {
          const records = await store.history({ limit: 3, after });
          if (records.length === 0) break;
          seen.push(...versions(records));
          const last = records[records.length - 1];
          after = { lu: last.lu, key: last._id, v: last.v };
        }
        expect(seen).toEqual(all);
      });

      it('when paging the history of a type since a time, then filters and cursor combine', async () => {
        const first = await store.history({ type: 'Patient', since: 3000, limit: 2 });
        expect(versions(first)).toEqual(['Patient/h4@2', 'Patient/h4@1']);
        const last = first[first.length - 1];
        const rest = await store.history({ type: 'Patient', since: 3000, limit: 10, after: { lu: last.lu, key: last._id, v: last.v } });
        expect(versions(rest)).toEqual(['Patient/h1@3', 'Patient/h2@1', 'Patient/h1@2']);
      });
    });

    describe('bulk load', () => {
      const LOADED = 5000;

      async function* observations(): AsyncIterable<StoredRecord> {
        for (let i = 0; i < LOADED; i++) {
          yield aRecord('Observation', `load-${String(i).padStart(5, '0')}`, {
            sp: { patient: [`Patient/p${i % 100}`] },
            so: { date: i },
            cmp: [`Patient/p${i % 100}`],
          });
        }
      }

      it(
        `when ${LOADED} records are loaded, then they can be found, counted and read by version`,
        async () => {
          expect(await store.load(observations())).toBe(LOADED);
          expect(await store.size()).toBe(LOADED);
          expect(await store.count({ type: 'Observation' })).toBe(LOADED);
          expect(await findIds({ 'sp.patient': 'Patient/p7' }, [['so.date', -1]], 3)).toEqual([
            'Observation/load-04907',
            'Observation/load-04807',
            'Observation/load-04707',
          ]);
          const result = await store.find({ filter: { cmp: 'Patient/p7' }, sort: [], limit: 10, count: true });
          expect(result.records).toHaveLength(10);
          expect(result.total).toBe(LOADED / 100);
          expect((await store.version('Observation', 'load-01234', 1))?.so).toEqual({ date: 1234 });
        },
        60_000,
      );

      it('when a plain array is loaded, then its records become current', async () => {
        const records = [aRecord('Patient', 'x'), aRecord('Patient', 'y')];
        expect(await store.load(records)).toBe(2);
        expect(portFields(await store.current('Patient', 'y'))).toEqual(records[1]);
        expect(await findIds({ type: 'Patient' })).toEqual(['Patient/x', 'Patient/y']);
      });
    });

    describe('aggregate', () => {
      const decision = (id: string, priority: string, code: string, submitted: number, decided: number | undefined): StoredRecord =>
        aRecord('ClaimResponse', id, {
          sp: {
            'pa-priority': [{ c: priority }],
            'pa-decision': [{ c: code }],
            'pa-submitted': [{ lo: submitted, hi: submitted }],
            ...(decided !== undefined ? { 'pa-decided': [{ lo: decided, hi: decided }] } : {}),
          },
        });
      const H = 3_600_000;

      it('when a pipeline groups, sums, sorts, skips and buckets, then the answer is exact and deleted or filtered-out records take no part', async () => {
        await store.write([
          put(decision('a', 'standard', 'approved', 0, 10 * H)),
          put(decision('b', 'standard', 'denied', 0, 30 * H)),
          put(decision('c', 'standard', 'approved', 0, 20 * H)),
          put(decision('d', 'expedited', 'approved', 0, 2 * H)),
          put(decision('e', 'standard', 'pended', 0, undefined)),
          put(decision('gone', 'standard', 'approved', 0, 99 * H)),
          put(aRecord('Observation', 'o', { sp: { 'pa-priority': [{ c: 'standard' }] } })),
        ]);
        await store.write([del(aTombstone((await store.current('ClaimResponse', 'gone')) as StoredRecord))]);
        const project = { $project: { priority: { $arrayElemAt: ['$sp.pa-priority.c', 0] }, decision: { $arrayElemAt: ['$sp.pa-decision.c', 0] }, ms: { $subtract: [{ $arrayElemAt: ['$sp.pa-decided.lo', 0] }, { $arrayElemAt: ['$sp.pa-submitted.lo', 0] }] } } };
        const groups = await store.aggregate({ type: 'ClaimResponse' }, [project, { $group: { _id: { priority: '$priority', decision: '$decision' }, n: { $sum: 1 }, ms: { $sum: { $ifNull: ['$ms', 0] } } } }, { $sort: { '_id.priority': 1, '_id.decision': 1 } }]);
        expect(groups).toEqual([
          { _id: { priority: 'expedited', decision: 'approved' }, n: 1, ms: 2 * H },
          { _id: { priority: 'standard', decision: 'approved' }, n: 2, ms: 30 * H },
          { _id: { priority: 'standard', decision: 'denied' }, n: 1, ms: 30 * H },
          { _id: { priority: 'standard', decision: 'pended' }, n: 1, ms: 0 },
        ]);
        // The median of the standard decisions by sort + skip (exact, unlike an approximate percentile).
        const middle = await store.aggregate({ type: 'ClaimResponse', 'sp.pa-decided': { $exists: true } }, [project, { $match: { priority: 'standard' } }, { $sort: { ms: 1, _id: 1 } }, { $skip: 1 }, { $limit: 1 }]);
        expect(middle.map((m) => m.ms)).toEqual([20 * H]);
        const buckets = await store.aggregate({ type: 'ClaimResponse', 'sp.pa-decided': { $exists: true } }, [project, { $bucket: { groupBy: '$ms', boundaries: [0, 4 * H, 24 * H, 72 * H], default: 'more', output: { n: { $sum: 1 } } } }]);
        expect(buckets).toEqual([
          { _id: 0, n: 1 },
          { _id: 4 * H, n: 2 },
          { _id: 24 * H, n: 1 },
        ]);
        const faceted = await store.aggregate({ type: 'ClaimResponse' }, [project, { $facet: { total: [{ $count: 'n' }], expedited: [{ $match: { priority: 'expedited' } }, { $count: 'n' }] } }]);
        expect(faceted).toEqual([{ total: [{ n: 5 }], expedited: [{ n: 1 }] }]);
      });

      it('when a pipeline names a stage outside the allowed ones, then it is refused', async () => {
        await expect(store.aggregate({}, [{ $out: 'x' }])).rejects.toThrow(/not allowed/);
        await expect(store.aggregate({}, [{ $facet: { a: [{ $merge: 'x' }] } }])).rejects.toThrow(/not allowed/);
      });
    });

    describe('reindex', () => {
      const byCode = (code: string): RecordIndex => ({ sp: { code: [{ s: 'http://loinc.org', c: code }] }, so: { code }, cmp: ['Patient/p1'] });

      it('when records are reindexed, then searches see the new index while version, lastUpdated, resource and history stay', async () => {
        const a = aRecord('Observation', 'a', { sp: { code: [{ s: 'http://loinc.org', c: 'old' }] }, so: { code: 'old' }, cmp: [] });
        const b = aRecord('Observation', 'b', { sp: { code: [{ s: 'http://loinc.org', c: 'keep' }] } });
        const gone = aRecord('Observation', 'gone');
        await store.write([put(a), put(b), put(gone)]);
        await store.write([del(aTombstone(gone))]);
        const seen: string[] = [];
        const changed = await store.reindex(async (r) => {
          seen.push(r._id);
          return r.id === 'a' ? byCode('new') : undefined;
        });
        expect(changed).toBe(1);
        // Deleted records are not visited.
        expect(seen.sort()).toEqual(['Observation/a', 'Observation/b']);
        expect(await findIds({ 'sp.code': { $elemMatch: { s: 'http://loinc.org', c: 'new' } } })).toEqual(['Observation/a']);
        expect(await findIds({ 'sp.code': { $elemMatch: { s: 'http://loinc.org', c: 'old' } } })).toEqual([]);
        expect(await findIds({ cmp: 'Patient/p1' })).toEqual(['Observation/a']);
        expect(await findIds({ type: 'Observation' }, [['so.code', 1]])).toEqual(['Observation/b', 'Observation/a']);
        const after = await store.current('Observation', 'a');
        expect({ v: after?.v, lu: after?.lu, res: after?.res }).toEqual({ v: a.v, lu: a.lu, res: a.res });
        expect(versions(await store.history({ type: 'Observation', id: 'a', limit: 10 }))).toEqual(['Observation/a@1']);
      });

      it('when the store is opened again, then the reindexed values are still there', async () => {
        await store.write([put(aRecord('Observation', 'a', { cmp: [] }))]);
        await store.reindex(async () => byCode('new'));
        store = await reopen();
        expect(await findIds({ 'sp.code': { $elemMatch: { s: 'http://loinc.org', c: 'new' } } })).toEqual(['Observation/a']);
        expect(await findIds({ cmp: 'Patient/p1' })).toEqual(['Observation/a']);
        // A later write of the record is a new version as usual.
        const next = nextVersion((await store.current('Observation', 'a')) as StoredRecord, { sp: {}, cmp: [] });
        await store.write([put(next, 1)]);
        expect(await findIds({ cmp: 'Patient/p1' })).toEqual([]);
        expect((await store.current('Observation', 'a'))?.v).toBe(2);
      });

      it('when compute fails part-way, then the records already reindexed keep their new index and nothing else changed', async () => {
        await store.load(Array.from({ length: 1200 }, (_, i) => aRecord('Observation', `o${String(i).padStart(4, '0')}`, { cmp: [] })));
        let calls = 0;
        await expect(
          store.reindex(async () => {
            if (++calls > 1100) throw new Error('boom');
            return byCode('new');
          }),
        ).rejects.toThrow('boom');
        const moved = await store.count({ cmp: 'Patient/p1' });
        // Batches are durable as they go: at most the records before the failure changed.
        expect(moved).toBeLessThanOrEqual(1100);
        expect(await store.size()).toBe(1200);
        store = await reopen();
        expect(await store.count({ cmp: 'Patient/p1' })).toBe(moved);
      });
    });
  });
}
