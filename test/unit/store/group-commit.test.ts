/**
 * Group commit (src/store/group-commit.ts) on the real embedded store: concurrent inserts share store
 * writes, every caller learns the fate of its own record, and one failing insert fails nobody else.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { groupCommit } from '../../../src/store/group-commit.js';
import { VersionConflictError, type ResourceStore, type WriteOp } from '../../../src/store/port.js';
import { aRecord } from '../../contract/records.js';

let dir: string;
let store: ResourceStore;
let writeCalls: number[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'group-commit-'));
  const real = await openEmbeddedStore({ dataDir: dir });
  writeCalls = [];
  // Count the store writes the group commit makes; everything else is the real store.
  store = Object.assign(Object.create(real) as ResourceStore, {
    write: (ops: WriteOp[]) => {
      writeCalls.push(ops.length);
      return real.write(ops);
    },
  });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const insert = (id: string): WriteOp => ({ kind: 'put', record: aRecord('AuditEvent', id), expectVersion: 'absent' });

describe('group commit', () => {
  it('when 100 inserts are submitted at once, then they are all stored with far fewer store writes', async () => {
    const write = groupCommit(store);
    await Promise.all(Array.from({ length: 100 }, (_, i) => write(insert(`e${i}`))));
    expect(await store.size()).toBe(100);
    expect(writeCalls.reduce((a, b) => a + b, 0)).toBe(100);
    expect(writeCalls.length).toBeLessThanOrEqual(2);
  });

  it('when a batch is larger than the limit, then it is split into writes of at most that many', async () => {
    const write = groupCommit(store, 10);
    await Promise.all(Array.from({ length: 35 }, (_, i) => write(insert(`e${i}`))));
    expect(await store.size()).toBe(35);
    expect(Math.max(...writeCalls)).toBeLessThanOrEqual(10);
  });

  it('when one insert in a batch conflicts, then only that caller fails and the others are stored', async () => {
    await store.write([insert('taken')]);
    writeCalls = [];
    const write = groupCommit(store);
    const results = await Promise.allSettled(['a', 'taken', 'b', 'c'].map((id) => write(insert(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    for (const id of ['a', 'b', 'c', 'taken']) expect((await store.current('AuditEvent', id))?.v).toBe(1);
    expect(await store.size()).toBe(4);
  });

  it('when inserts arrive while a write is in flight, then they are written next and every promise settles', async () => {
    const write = groupCommit(store);
    const first = write(insert('x1'));
    await new Promise((r) => setImmediate(r));
    const later = await Promise.all([write(insert('x2')), write(insert('x3')), first]);
    expect(later).toHaveLength(3);
    expect(await store.size()).toBe(3);
  });
});
