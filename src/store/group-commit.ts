/**
 * Group commit for independent inserts (the audit trail writes one AuditEvent per request): writes
 * submitted while the store is busy, or in the same turn of the event loop, go to the store as one
 * `write` — one log append in the embedded store, one bulkWrite in MongoDB — and each caller's promise
 * settles when its own record is durable, exactly as if it had written alone. If a batch fails, its
 * writes are retried one by one so that one bad write never fails the others.
 */
import type { ResourceStore, WriteOp } from './port.js';

interface Pending {
  op: WriteOp;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export type GroupWriter = (op: WriteOp) => Promise<void>;

export function groupCommit(store: Pick<ResourceStore, 'write'>, maxBatch = 256): GroupWriter {
  let queue: Pending[] = [];
  let flushing = false;

  const writeAlone = async (p: Pending): Promise<void> => {
    try {
      await store.write([p.op]);
      p.resolve();
    } catch (err) {
      p.reject(err);
    }
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          await store.write(batch.map((p) => p.op));
          for (const p of batch) p.resolve();
        } catch {
          for (const p of batch) await writeAlone(p);
        }
      }
    } finally {
      flushing = false;
    }
  };

  return (op) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ op, resolve, reject });
      if (!flushing) {
        flushing = true;
        setImmediate(() => void flush());
      }
    });
}
