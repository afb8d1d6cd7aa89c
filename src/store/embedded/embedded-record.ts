/**
 * How the embedded store keeps a record in memory, and how a record is written to and read from its log.
 *
 * Memory: 300,000 resources × ~14 search parameters as objects is millions of small objects, which is
 * what made reload and GC slow. So the resource and its index values are kept as JSON *text* and parsed
 * only when code reads `res` or a query has to look inside `sp` (then memoised). Reads serve `json` as is.
 * The secondary-index keys (`ix`) are small and kept parsed, so indexes build without touching `sp`.
 *
 * Log line format (one line per write; a transaction is one line, so it is applied whole or not at all):
 *
 *   <meta JSON array> ( TAB <sp JSON> TAB <resource JSON or empty for a tombstone> )*
 *
 * A reindex (ResourceStore.reindex: new index values for the same versions) appends lines of the form
 *
 *   {"reindex": <meta JSON array>} ( TAB <sp JSON> )*
 *
 * which replay applies to the current record of the same key and version.
 *
 * JSON.stringify never emits a raw TAB or newline (they are escaped inside strings), so the fields split
 * cleanly, and the two large texts need no unescaping on reload.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexValue, StoredRecord } from '../port.js';

/** Index keys per indexed field (see secondary-indexes.ts), kept with the record. */
export type IndexKeys = Record<string, string[]>;

interface Meta {
  t: string;
  i: string;
  v: number;
  lu: number;
  d?: 1;
  so: Record<string, string | number | null>;
  cmp: string[];
  ix: IndexKeys;
}

/** New index values for the current version `v` of a record (a reindex). */
export interface IndexUpdate {
  key: string;
  v: number;
  so: Record<string, string | number | null>;
  cmp: string[];
  ix: IndexKeys;
  spText: string;
}

type ReindexMeta = Pick<Meta, 't' | 'i' | 'v' | 'so' | 'cmp' | 'ix'>;

export class EmbeddedRecord implements StoredRecord {
  readonly _id: string;
  private spCache: Record<string, IndexValue[]> | undefined;
  private resCache: Resource | undefined;

  constructor(
    readonly type: string,
    readonly id: string,
    readonly v: number,
    readonly lu: number,
    readonly del: boolean,
    // The index fields change only through replaceIndex (a reindex at startup).
    public so: Record<string, string | number | null>,
    public cmp: string[],
    public ix: IndexKeys,
    public spText: string,
    readonly json: string | undefined,
  ) {
    this._id = `${type}/${id}`;
  }

  /** A reindex: the same version with new index values. The caller takes it out of the secondary indexes first. */
  replaceIndex(update: IndexUpdate): void {
    this.so = update.so;
    this.cmp = update.cmp;
    this.ix = update.ix;
    this.spText = update.spText;
    this.spCache = undefined;
  }

  get sp(): Record<string, IndexValue[]> {
    return (this.spCache ??= JSON.parse(this.spText) as Record<string, IndexValue[]>);
  }

  get res(): Resource | undefined {
    if (this.json === undefined) return undefined;
    return (this.resCache ??= JSON.parse(this.json) as Resource);
  }

  /**
   * The fields a filter document may name, as a plain object for mingo. `sp` is a getter, so a filter
   * that never looks inside it (type, _id, lu, cmp…) does not parse the index text.
   */
  queryView(): Record<string, unknown> {
    const record = this;
    return {
      _id: this._id,
      type: this.type,
      id: this.id,
      v: this.v,
      lu: this.lu,
      del: this.del,
      get sp() {
        return record.sp;
      },
      so: this.so,
      cmp: this.cmp,
    };
  }
}

/**
 * The same fields as queryView, as a class instance: about a tenth of the cost to make (queryView's own
 * getter is slow to create, 2 µs a record), for the compiled fast path (fast-pipeline.ts), which reads
 * fields directly. mingo needs plain objects, so it gets queryView; a view that would leave the store
 * unchanged is turned into queryView first (`plainView`).
 */
export class RecordView {
  [field: string]: unknown;
  readonly _id: string;
  readonly type: string;
  readonly id: string;
  readonly v: number;
  readonly lu: number;
  readonly del: boolean;
  readonly so: Record<string, string | number | null>;
  readonly cmp: string[];
  // Truly private: no field path can reach the record (and its resource) through the view.
  readonly #record: EmbeddedRecord;

  constructor(record: EmbeddedRecord) {
    this.#record = record;
    this._id = record._id;
    this.type = record.type;
    this.id = record.id;
    this.v = record.v;
    this.lu = record.lu;
    this.del = record.del;
    this.so = record.so;
    this.cmp = record.cmp;
  }

  get sp(): Record<string, IndexValue[]> {
    return this.#record.sp;
  }

  plain(): Record<string, unknown> {
    return this.#record.queryView();
  }
}

/** A document as it leaves the store: a RecordView becomes the record's plain queryView. */
export function plainView(doc: Record<string, unknown>): Record<string, unknown> {
  return doc instanceof RecordView ? doc.plain() : doc;
}

function assertNoSeparators(text: string, what: string): void {
  if (text.includes('\t') || text.includes('\n')) throw new Error(`${what} contains a raw TAB or newline`);
}

export function fromStoredRecord(rec: StoredRecord, indexKeys: (r: StoredRecord) => IndexKeys): EmbeddedRecord {
  if (rec instanceof EmbeddedRecord) return rec;
  const json = rec.json ?? (rec.res ? JSON.stringify(rec.res) : undefined);
  const spText = JSON.stringify(rec.sp);
  if (json !== undefined) assertNoSeparators(json, 'resource JSON');
  return new EmbeddedRecord(rec.type, rec.id, rec.v, rec.lu, rec.del, rec.so, rec.cmp, indexKeys(rec), spText, json);
}

export function encodeLine(records: EmbeddedRecord[]): string {
  const meta: Meta[] = records.map((r) => ({
    t: r.type,
    i: r.id,
    v: r.v,
    lu: r.lu,
    ...(r.del ? { d: 1 as const } : {}),
    so: r.so,
    cmp: r.cmp,
    ix: r.ix,
  }));
  const parts = [JSON.stringify(meta)];
  for (const r of records) parts.push(r.spText, r.json ?? '');
  return parts.join('\t');
}

export function encodeReindexLine(updates: IndexUpdate[]): string {
  const meta: ReindexMeta[] = updates.map((u) => {
    const slash = u.key.indexOf('/');
    return { t: u.key.slice(0, slash), i: u.key.slice(slash + 1), v: u.v, so: u.so, cmp: u.cmp, ix: u.ix };
  });
  return [JSON.stringify({ reindex: meta }), ...updates.map((u) => u.spText)].join('\t');
}

export type LogEntry = { kind: 'write'; records: EmbeddedRecord[] } | { kind: 'reindex'; updates: IndexUpdate[] };

/** A log line of either kind (a write line starts with '[', a reindex line with '{'). */
export function decodeLogLine(line: string): LogEntry {
  if (!line.startsWith('{')) return { kind: 'write', records: decodeLine(line) };
  const parts = line.split('\t');
  const head = JSON.parse(parts[0]) as { reindex?: ReindexMeta[] };
  const meta = head.reindex;
  if (!Array.isArray(meta) || parts.length !== 1 + meta.length) throw new Error('malformed store log reindex line');
  return { kind: 'reindex', updates: meta.map((m, k) => ({ key: `${m.t}/${m.i}`, v: m.v, so: m.so, cmp: m.cmp, ix: m.ix, spText: parts[1 + k] })) };
}

export function decodeLine(line: string): EmbeddedRecord[] {
  const parts = line.split('\t');
  const meta = JSON.parse(parts[0]) as Meta[];
  if (!Array.isArray(meta) || parts.length !== 1 + meta.length * 2) throw new Error('malformed store log line');
  return meta.map((m, k) => {
    const spText = parts[1 + k * 2];
    const json = parts[2 + k * 2];
    return new EmbeddedRecord(m.t, m.i, m.v, m.lu, m.d === 1, m.so, m.cmp, m.ix, spText, json === '' ? undefined : json);
  });
}
