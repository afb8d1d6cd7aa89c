/**
 * The embedded store's durability: an append-only file of NDJSON lines, one per acknowledged write
 * (a transaction is one line, so it is all-or-nothing on reload). A line is written with a
 * synchronous write(2) before the write is acknowledged, so it is in the kernel's page cache and
 * survives the process being killed (kill -9). Surviving power loss needs fsync, which the
 * `fsync` option adds per write at a large cost in throughput.
 *
 * On reload a torn last line (the process died mid-write) is detected — it does not end in a newline
 * or does not parse — and cut off; a bad line anywhere else means real corruption and stops startup.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LogFile {
  append(line: string): void;
  close(): void;
}

export interface ReplayStats {
  lines: number;
  truncatedBytes: number;
}

const CHUNK = 16 * 1024 * 1024;

/** Read every complete line, calling `onLine` for each; cut a torn tail. */
export function replayLog(path: string, onLine: (line: string) => void): ReplayStats {
  if (!existsSync(path)) return { lines: 0, truncatedBytes: 0 };
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0;
    let goodEnd = 0; // byte offset just after the last complete, parsed line
    let lines = 0;
    let pending: { text: string; end: number } | undefined;
    const flushPending = (isLast: boolean): void => {
      if (!pending) return;
      try {
        onLine(pending.text);
        lines++;
        goodEnd = pending.end;
      } catch (err) {
        if (!isLast) throw new Error(`store log ${path} is corrupt at byte ${goodEnd}: ${(err as Error).message}`);
        // The last line failed: treat as torn.
      }
      pending = undefined;
    };
    while (offset < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - offset), offset);
      if (n <= 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const chunkStart = offset - carry.length;
      offset += n;
      let start = 0;
      let nl = chunk.indexOf(10, start);
      while (nl !== -1) {
        flushPending(false);
        pending = { text: chunk.toString('utf8', start, nl), end: chunkStart + nl + 1 };
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      carry = Buffer.from(chunk.subarray(start));
    }
    flushPending(true);
    const truncatedBytes = size - goodEnd;
    if (truncatedBytes > 0) ftruncateSync(fd, goodEnd);
    return { lines, truncatedBytes };
  } finally {
    closeSync(fd);
  }
}

export function openLog(path: string, opts: { fsync: boolean }): LogFile {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  let closed = false;
  return {
    append(line: string) {
      if (closed) throw new Error('store is closed');
      const data = Buffer.from(`${line}\n`, 'utf8');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      if (opts.fsync) fsyncSync(fd);
    },
    close() {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
    },
  };
}
