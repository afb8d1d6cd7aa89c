import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import type { ResourceStore } from '../../../src/store/port.js';
import { aRecord, ids } from '../../contract/records.js';

const at = (lu: number) => ({ lu, sp: { _lastUpdated: [{ lo: lu, hi: lu }] } });
let dir: string;
let store: ResourceStore;

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('embedded store: lastUpdated lookups', () => {
  it('when writes are committed out of lastUpdated order, then range queries and history still find them all, in order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lu-'));
    store = await openEmbeddedStore({ dataDir: dir });
    for (const [id, lu] of [['a', 300], ['b', 100], ['c', 200], ['d', 400], ['e', 150]] as const) {
      await store.write([{ kind: 'put', record: aRecord('Basic', id, at(lu)) }]);
    }
    const range = await store.find({ filter: { $and: [{ type: 'Basic' }, { 'sp._lastUpdated': { $elemMatch: { hi: { $gte: 150 }, lo: { $lte: 300 } } } }] }, sort: [['lu', 1]], limit: 10 });
    expect(ids(range.records)).toEqual(['Basic/e', 'Basic/c', 'Basic/a']);
    const since = await store.history({ since: 200, limit: 10 });
    expect(ids(since)).toEqual(['Basic/d', 'Basic/a', 'Basic/c']);
  });

  it('when a resource is updated, then only its current version matches a lastUpdated range', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lu-'));
    store = await openEmbeddedStore({ dataDir: dir });
    await store.write([{ kind: 'put', record: aRecord('Basic', 'x', at(100)) }]);
    await store.write([{ kind: 'put', record: aRecord('Basic', 'x', { ...at(500), v: 2 }) }]);
    const old = await store.find({ filter: { 'sp._lastUpdated': { $elemMatch: { lo: { $lte: 200 } } } }, sort: [], limit: 10 });
    expect(old.records).toEqual([]);
    const recent = await store.find({ filter: { 'sp._lastUpdated': { $elemMatch: { hi: { $gte: 400 } } } }, sort: [], limit: 10 });
    expect(recent.records.map((r) => r.v)).toEqual([2]);
  });
});
