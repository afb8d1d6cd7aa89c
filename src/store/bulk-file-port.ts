/**
 * Where bulk export files live: NDJSON written once by an export job, streamed to the client that asked
 * for it, removed when the job is cancelled or expires. Kept apart from the resource and document stores
 * because the files are large byte streams: the embedded adapter writes them under the data folder,
 * the MongoDB adapter to GridFS so that every instance can serve every file. Both run one contract
 * suite (test/contract/bulk-files-contract.ts).
 */
import type { Readable } from 'node:stream';

export interface BulkFileWriter {
  /** Append bytes; resolves when the adapter can take more (backpressure). */
  write(chunk: string): Promise<void>;
  /** Finish the file; only then is it readable. Resolves its size in bytes. */
  close(): Promise<number>;
  /** Give up the file (a failed or cancelled job): nothing of it remains. */
  abort(): Promise<void>;
}

export interface BulkFiles {
  /** A new file `name` of job `jobId` (names: letters, digits, '.', '-', '_'), replacing any earlier one. */
  create(jobId: string, name: string): Promise<BulkFileWriter>;
  /** A closed file's bytes, or undefined when there is no such (closed) file. */
  open(jobId: string, name: string): Promise<{ size: number; stream: Readable } | undefined>;
  /** Remove every file of a job (idempotent). */
  removeJob(jobId: string): Promise<void>;
  /** Jobs that have files, for the sweeper that removes those of expired jobs. */
  jobs(): Promise<string[]>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Job ids and file names become paths (embedded) and GridFS names: only a safe alphabet. */
export function assertSafeName(what: string, value: string): void {
  if (!NAME.test(value) || value.includes('..')) throw new Error(`unsafe bulk ${what}: ${JSON.stringify(value)}`);
}
