/**
 * The on-disk form of one embedded document collection: an append-only NDJSON log (log-file.ts gives
 * the torn-tail handling and the write(2)/fsync durability) of `{"put":{…}}` and `{"del":"<_id>"}`
 * lines, replayed in order at startup, and rewritten to only its live documents when it has grown
 * much larger than them (compaction).
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import type { StoredDocument } from '../document-port.js';
import { replayLog } from './log-file.js';

/** Suffix of the file a compaction writes before renaming it over the log; a leftover one is partial. */
export const COMPACTING_SUFFIX = '.compacting';

type LogEntry = { put: StoredDocument } | { del: string };

export const encodePut = (doc: StoredDocument): string => JSON.stringify({ put: doc });
export const encodeDelete = (id: string): string => JSON.stringify({ del: id });

/** Throws on anything but a log entry, so that replayLog treats it as torn (last line) or corrupt. */
function decodeEntry(line: string): LogEntry {
  const value: unknown = JSON.parse(line);
  if (typeof value === 'object' && value !== null) {
    if ('del' in value && typeof value.del === 'string') return { del: value.del };
    if ('put' in value && typeof value.put === 'object' && value.put !== null) {
      const doc = value.put as Partial<StoredDocument>;
      if (typeof doc._id === 'string') return { put: doc as StoredDocument };
    }
  }
  throw new Error('not a document log entry');
}

/** The documents as of the last complete line (expired ones included), and how many lines were read. */
export function loadDocumentLog(path: string): { docs: Map<string, StoredDocument>; lines: number } {
  const docs = new Map<string, StoredDocument>();
  const { lines } = replayLog(path, (line) => {
    const entry = decodeEntry(line);
    if ('put' in entry) docs.set(entry.put._id, entry.put);
    else docs.delete(entry.del);
  });
  return { docs, lines };
}

const BATCH_BYTES = 1024 * 1024;

/**
 * Replaces the log with one put line per document. The new file is complete and fsynced before the
 * rename, and rename(2) is atomic: after a crash the log is either the old one or the new one, never
 * a mix, and a leftover `.compacting` file is only garbage to delete.
 */
export function rewriteDocumentLog(path: string, docs: Iterable<StoredDocument>): void {
  const temporary = `${path}${COMPACTING_SUFFIX}`;
  const fd = openSync(temporary, 'w');
  try {
    let batch = '';
    const flush = (): void => {
      const data = Buffer.from(batch, 'utf8');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      batch = '';
    };
    for (const doc of docs) {
      batch += `${encodePut(doc)}\n`;
      if (batch.length >= BATCH_BYTES) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
