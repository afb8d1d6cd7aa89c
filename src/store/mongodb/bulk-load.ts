/**
 * Seeding: unordered bulk `replaceOne` upserts on both collections, in batches. Unordered lets the
 * server apply a batch in parallel and makes a reload of the same seed idempotent; there are no
 * version checks (ResourceStore.load contract).
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import type { StoredRecord } from '../port.js';
import { historyKey } from './history-query.js';
import { storableRecord, type StoreCollections } from './write-ops.js';

/** ~1000 documents keeps each bulk command well under the 48 MB message limit for typical resources. */
const BATCH_SIZE = 1000;

export async function bulkLoad(
  c: StoreCollections,
  records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>,
): Promise<number> {
  let batch: StoredRecord[] = [];
  let loaded = 0;
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= BATCH_SIZE) {
      await flush(c, batch);
      loaded += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await flush(c, batch);
    loaded += batch.length;
  }
  return loaded;
}

async function flush(c: StoreCollections, batch: readonly StoredRecord[]): Promise<void> {
  await c.resources.bulkWrite(currentOps(batch), { ordered: false });
  await c.history.bulkWrite(
    batch.map((record) => ({
      replaceOne: { filter: { _id: historyKey(record) }, replacement: withoutId(record), upsert: true },
    })),
    { ordered: false },
  );
}

/**
 * An unordered batch may apply its ops in any order, so when a batch holds several versions of one
 * resource only the highest becomes current. Across batches the later one wins: a seed must yield
 * the versions of a resource in increasing order.
 */
function currentOps(batch: readonly StoredRecord[]): AnyBulkWriteOperation<StoredRecord>[] {
  const latest = new Map<string, StoredRecord>();
  for (const record of batch) {
    const seen = latest.get(record._id);
    if (seen === undefined || seen.v < record.v) latest.set(record._id, record);
  }
  return [...latest.values()].map((record) => ({
    replaceOne: { filter: { _id: record._id }, replacement: withoutId(record), upsert: true },
  }));
}

function withoutId(record: StoredRecord): Omit<StoredRecord, '_id'> {
  const { _id: _ignored, ...rest } = storableRecord(record);
  return rest;
}
