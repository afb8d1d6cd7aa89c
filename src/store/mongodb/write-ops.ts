/**
 * One WriteOp against MongoDB: the conditional write of the current record, then the history row.
 * Optimistic concurrency rides on the server's single-document atomicity: the current record is
 * only replaced when its `v` still equals the expected version, and an 'absent' expectation is an
 * insert that the unique `_id` index rejects when the record exists (FHIR R4 http.html#concurrency,
 * "Managing Resource Contention": version-aware updates answer 409/412 on a VersionConflictError).
 */
import { MongoServerError, type ClientSession, type Collection } from 'mongodb';
import { VersionConflictError, type StoredRecord, type WriteOp } from '../port.js';
import { historyKey } from './history-query.js';

export interface StoreCollections {
  /** Current record per `${type}/${id}`, tombstones included. */
  resources: Collection<StoredRecord>;
  /** Every version, `_id` = `${type}/${id}/${v}`. */
  history: Collection<StoredRecord>;
}

const DUPLICATE_KEY = 11000;

/**
 * Applies one op. Inside a transaction pass its session; conflicts throw VersionConflictError,
 * which is not a MongoError, so `withTransaction` aborts and rethrows it without retrying.
 */
export async function applyOp(c: StoreCollections, op: WriteOp, session?: ClientSession): Promise<void> {
  const record = storedForm(op);
  await writeCurrent(c, record, op.expectVersion, session);
  try {
    await c.history.insertOne({ ...record, _id: historyKey(record) }, { session });
  } catch (error) {
    // The same version already exists: another writer raced an unconditional write.
    if (isDuplicateKey(error)) {
      throw new VersionConflictError(record._id, op.expectVersion, await committedVersion(c, record._id));
    }
    throw error;
  }
}

/**
 * Reads every expectation before writing anything (the standalone fallback has no rollback). An op
 * on a key already written earlier in the same batch is checked against that earlier op's version.
 */
export async function checkExpectations(c: StoreCollections, ops: readonly WriteOp[]): Promise<void> {
  const versions = new Map<string, number | undefined>();
  for (const op of ops) {
    const key = op.record._id;
    if (op.expectVersion !== undefined) {
      const actual = versions.has(key) ? versions.get(key) : await committedVersion(c, key);
      const expected = op.expectVersion === 'absent' ? undefined : op.expectVersion;
      if (actual !== expected) throw new VersionConflictError(key, op.expectVersion, actual);
    }
    versions.set(key, op.record.v);
  }
}

async function writeCurrent(
  c: StoreCollections,
  record: StoredRecord,
  expect: WriteOp['expectVersion'],
  session: ClientSession | undefined,
): Promise<void> {
  const key = record._id;
  if (expect === 'absent') {
    try {
      await c.resources.insertOne(record, { session });
    } catch (error) {
      if (isDuplicateKey(error)) throw new VersionConflictError(key, expect, await committedVersion(c, key));
      throw error;
    }
    return;
  }
  const { _id: _ignored, ...replacement } = record;
  if (expect === undefined) {
    await c.resources.replaceOne({ _id: key }, replacement, { upsert: true, session });
    return;
  }
  const result = await c.resources.replaceOne({ _id: key, v: expect }, replacement, { session });
  if (result.matchedCount === 0) throw new VersionConflictError(key, expect, await committedVersion(c, key));
}

/**
 * The committed version, read outside any session: after a server error inside a transaction the
 * transaction is already aborted and a read with its session would fail.
 */
async function committedVersion(c: StoreCollections, key: string): Promise<number | undefined> {
  const doc = await c.resources.findOne({ _id: key }, { projection: { v: 1 } });
  return doc?.v;
}

/** A delete op always stores a tombstone, whatever the caller put in `del` and `res`. */
function storedForm(op: WriteOp): StoredRecord {
  const record = storableRecord(op.record);
  if (record._id !== `${record.type}/${record.id}`) {
    throw new Error('StoredRecord._id must be "<type>/<id>"');
  }
  if (op.kind === 'put') return record;
  const { res: _dropped, ...tombstone } = record;
  return { ...tombstone, del: true };
}

/**
 * The record as MongoDB keeps it: without the optional `json` text (port.ts), which would store
 * every resource twice; the driver serialises `res` to BSON anyway.
 */
export function storableRecord(record: StoredRecord): StoredRecord {
  if (record.json === undefined) return record;
  const { json: _text, ...rest } = record;
  return rest;
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
