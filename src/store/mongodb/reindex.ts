/**
 * ResourceStore.reindex on MongoDB: walk the current, non-deleted records, and `$set` the new index
 * fields on the record (and on its own history row, so a version reads the same from both) where
 * `compute` gives one. Each update names the version it was computed from, so a record written
 * meanwhile keeps its fresh index (reindex runs at startup, but another instance may already serve).
 */
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { RecordIndex, StoredRecord } from '../port.js';
import { historyKey } from './history-query.js';
import type { StoreCollections } from './write-ops.js';

const BATCH_SIZE = 500;

export async function reindexCollection(
  c: StoreCollections,
  compute: (record: StoredRecord) => Promise<RecordIndex | undefined>,
): Promise<number> {
  let current: AnyBulkWriteOperation<StoredRecord>[] = [];
  let history: AnyBulkWriteOperation<StoredRecord>[] = [];
  let changed = 0;
  const flush = async (): Promise<void> => {
    if (current.length === 0) return;
    const res = await c.resources.bulkWrite(current, { ordered: false });
    await c.history.bulkWrite(history, { ordered: false });
    changed += res.modifiedCount;
    current = [];
    history = [];
  };
  const cursor = c.resources.find({ del: false }).sort([['_id', 1]]);
  for await (const record of cursor) {
    const next = await compute(record);
    if (!next) continue;
    const set: Document = { sp: next.sp, so: next.so, cmp: next.cmp };
    current.push({ updateOne: { filter: { _id: record._id, v: record.v }, update: { $set: set } } });
    history.push({ updateOne: { filter: { _id: historyKey(record) }, update: { $set: set } } });
    if (current.length >= BATCH_SIZE) await flush();
  }
  await flush();
  return changed;
}
