/**
 * In-memory secondary indexes of the embedded store, and the planner that uses them.
 *
 * Indexed: live records by type; reference fields used by nearly every member-facing query (patient,
 * subject, beneficiary, Provenance target, the patient compartment `cmp`); identifier tokens.
 *
 * The planner looks at the top-level conjuncts of a filter document. A conjunct of a shape an index
 * answers *exactly* (type equality, `_id`/`id` equality or `$in`, equality or `$in` on an indexed
 * reference field, `$elemMatch {s?, c}` on an indexed token field) becomes a direct membership check;
 * the smallest such set drives the scan. Every other conjunct is evaluated by mingo, unchanged. So an
 * index can make a query faster but never change its result.
 */
import type { FilterDocument, IndexValue, StoredRecord } from '../port.js';
import type { IndexKeys } from './embedded-record.js';

const REFERENCE_FIELDS = new Set(['sp.patient', 'sp.subject', 'sp.beneficiary', 'sp.target']);
const TOKEN_FIELDS = new Set(['sp.identifier']);
const CMP = 'cmp';

/** A posting list: one key is kept as a plain string (most lists have exactly one entry). */
type Posting = string | Set<string>;

function tokenKeys(v: IndexValue): string[] {
  if (typeof v !== 'object' || !('c' in v) || v.c === undefined || 'v' in v) return [];
  return [`${v.s ?? ''}\u0000${v.c}`, `\u0001${v.c}`];
}

/** The index keys of a record, computed once when it is written and kept in the log. */
export function indexKeysOf(record: StoredRecord): IndexKeys {
  const out: IndexKeys = {};
  if (record.del) return out;
  for (const field of REFERENCE_FIELDS) {
    const vals = (record.sp[field.slice(3)] ?? []).filter((v): v is string => typeof v === 'string');
    if (vals.length > 0) out[field] = vals;
  }
  for (const field of TOKEN_FIELDS) {
    const vals = (record.sp[field.slice(3)] ?? []).flatMap(tokenKeys);
    if (vals.length > 0) out[field] = vals;
  }
  return out;
}

export interface IndexedRecord {
  _id: string;
  type: string;
  id: string;
  del: boolean;
  cmp: string[];
  ix: IndexKeys;
}

/** A membership check derived from one exactly-answered conjunct. */
interface ExactConjunct {
  /** Candidate keys, or undefined when this conjunct cannot drive a scan (e.g. `id` without a type). */
  keys?: () => Iterable<string>;
  size: number;
  test: (r: IndexedRecord) => boolean;
}

export interface QueryPlan {
  /** Keys to scan, or undefined to scan every record. */
  candidates?: Iterable<string>;
  /** How many keys `candidates` yields (Infinity when it is every record). */
  size: number;
  /** Exact checks every candidate must pass (cheap, no mingo). */
  checks: Array<(r: IndexedRecord) => boolean>;
  /** The check of the conjunct that produced `candidates`: whoever replaces the candidates must apply it. */
  driverCheck?: (r: IndexedRecord) => boolean;
  /** Conjuncts mingo must still evaluate; empty when the indexes answered everything. */
  residual: FilterDocument[];
}

export class SecondaryIndexes {
  private readonly byType = new Map<string, Set<string>>();
  private readonly byField = new Map<string, Map<string, Posting>>();

  constructor() {
    for (const f of [...REFERENCE_FIELDS, ...TOKEN_FIELDS, CMP]) this.byField.set(f, new Map());
  }

  private static fieldValues(record: IndexedRecord, field: string): string[] {
    return field === CMP ? record.cmp : (record.ix[field] ?? []);
  }

  add(record: IndexedRecord): void {
    if (record.del) return;
    let t = this.byType.get(record.type);
    if (!t) this.byType.set(record.type, (t = new Set()));
    t.add(record._id);
    for (const [field, index] of this.byField) {
      for (const value of SecondaryIndexes.fieldValues(record, field)) {
        const p = index.get(value);
        if (p === undefined) index.set(value, record._id);
        else if (typeof p === 'string') {
          if (p !== record._id) index.set(value, new Set([p, record._id]));
        } else p.add(record._id);
      }
    }
  }

  remove(record: IndexedRecord): void {
    this.byType.get(record.type)?.delete(record._id);
    for (const [field, index] of this.byField) {
      for (const value of SecondaryIndexes.fieldValues(record, field)) {
        const p = index.get(value);
        if (p === undefined) continue;
        if (typeof p === 'string') {
          if (p === record._id) index.delete(value);
        } else {
          p.delete(record._id);
          if (p.size === 1) index.set(value, p.values().next().value as string);
          else if (p.size === 0) index.delete(value);
        }
      }
    }
  }

  /**
   * Does a record have any of these index values? Asked of the record's own values (the ones the index
   * was built from), so the cost is that record's few values, not the length of a long `$in` (a batch of
   * 200 members' compartments tested against every Goal would otherwise be 200 lookups per record).
   */
  private static holdsAny(field: string, values: readonly string[]): (r: IndexedRecord) => boolean {
    if (values.length === 1) {
      const only = values[0];
      return (r) => SecondaryIndexes.fieldValues(r, field).includes(only);
    }
    const wanted = new Set(values);
    return (r) => SecondaryIndexes.fieldValues(r, field).some((v) => wanted.has(v));
  }

  private size(field: string, values: string[]): number {
    const index = this.byField.get(field)!;
    let n = 0;
    for (const v of values) {
      const p = index.get(v);
      n += p === undefined ? 0 : typeof p === 'string' ? 1 : p.size;
    }
    return n;
  }

  private *keysOf(field: string, values: string[]): Iterable<string> {
    const index = this.byField.get(field)!;
    const seen = values.length > 1 ? new Set<string>() : undefined;
    for (const v of values) {
      const p = index.get(v);
      if (p === undefined) continue;
      for (const k of typeof p === 'string' ? [p] : p) {
        if (seen) {
          if (seen.has(k)) continue;
          seen.add(k);
        }
        yield k;
      }
    }
  }

  private exact(conjunct: FilterDocument, type: string | undefined): ExactConjunct | undefined {
    const entries = Object.entries(conjunct);
    if (entries.length !== 1) return undefined;
    const [field, cond] = entries[0];
    if (field === 'type' && typeof cond === 'string') {
      const set = this.byType.get(cond);
      return { keys: () => set ?? [], size: set?.size ?? 0, test: (r) => r.type === cond };
    }
    if (field === 'type') {
      const vals = equalityValues(cond);
      if (!vals) return undefined;
      const types = new Set(vals);
      const sets = [...types].map((t) => this.byType.get(t)).filter((x): x is Set<string> => x !== undefined);
      // Types are disjoint, so the union needs no deduplication.
      return { keys: () => (function* () { for (const set of sets) yield* set; })(), size: sets.reduce((n, set) => n + set.size, 0), test: (r) => types.has(r.type) };
    }
    if (field === '_id') {
      const vals = equalityValues(cond);
      if (!vals) return undefined;
      const set = new Set(vals); // `$in` may repeat a value; each key is considered once
      return { keys: () => set, size: set.size, test: (r) => set.has(r._id) };
    }
    if (field === 'id') {
      const vals = equalityValues(cond);
      if (!vals) return undefined;
      const set = new Set(vals);
      const keys = type === undefined ? undefined : () => [...set].map((id) => `${type}/${id}`);
      return { keys, size: type === undefined ? Infinity : set.size, test: (r) => set.has(r.id) };
    }
    if (REFERENCE_FIELDS.has(field) || field === CMP) {
      const vals = equalityValues(cond);
      if (!vals) return undefined;
      return { keys: () => this.keysOf(field, vals), size: this.size(field, vals), test: SecondaryIndexes.holdsAny(field, vals) };
    }
    if (TOKEN_FIELDS.has(field)) {
      const keys = tokenLookupKeys(cond);
      if (!keys) return undefined;
      return { keys: () => this.keysOf(field, keys), size: this.size(field, keys), test: SecondaryIndexes.holdsAny(field, keys) };
    }
    return undefined;
  }

  plan(filter: FilterDocument): QueryPlan {
    const conjuncts = flattenAnd(filter);
    const typeConj = conjuncts.find((c) => Object.keys(c).length === 1 && typeof c.type === 'string');
    const type = typeConj?.type as string | undefined;
    const exact: ExactConjunct[] = [];
    const residual: FilterDocument[] = [];
    for (const c of conjuncts) {
      const e = this.exact(c, type);
      if (e) exact.push(e);
      else residual.push(c);
    }
    let driver: ExactConjunct | undefined;
    for (const e of exact) if (e.keys && (driver === undefined || e.size < driver.size)) driver = e;
    return {
      candidates: driver?.keys?.(),
      size: driver?.size ?? Infinity,
      checks: exact.filter((e) => e !== driver).map((e) => e.test),
      driverCheck: driver?.test,
      residual,
    };
  }
}

/**
 * The top-level conjuncts: the members of `$and`, recursively, and each key of a document with several
 * (`{ type: 'Coverage', 'sp.beneficiary': {…} }` is, as in MongoDB, the AND of one-key documents).
 */
function flattenAnd(filter: FilterDocument): FilterDocument[] {
  const keys = Object.keys(filter);
  if (keys.length > 1) return keys.flatMap((k) => flattenAnd({ [k]: filter[k] }));
  if (keys.length === 1 && keys[0] === '$and' && Array.isArray(filter.$and)) {
    return (filter.$and as FilterDocument[]).flatMap(flattenAnd);
  }
  return keys.length === 0 ? [] : [filter];
}

/** A plain string, `{ $eq: s }` or `{ $in: [strings] }`; anything else is not an equality. */
function equalityValues(cond: unknown): string[] | undefined {
  if (typeof cond === 'string') return [cond];
  if (typeof cond !== 'object' || cond === null || Array.isArray(cond)) return undefined;
  const entries = Object.entries(cond as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [op, v] = entries[0];
  if (op === '$eq' && typeof v === 'string') return [v];
  if (op === '$in' && Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/** `{ $elemMatch: { s?: string, c: string } }` → index keys. */
function tokenLookupKeys(cond: unknown): string[] | undefined {
  if (typeof cond !== 'object' || cond === null) return undefined;
  const keys = Object.keys(cond);
  if (keys.length !== 1 || keys[0] !== '$elemMatch') return undefined;
  const em = (cond as Record<string, unknown>).$elemMatch;
  if (typeof em !== 'object' || em === null) return undefined;
  const { s, c, ...rest } = em as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof c !== 'string') return undefined;
  if (s === undefined) return [`\u0001${c}`];
  if (typeof s === 'string') return [`${s}\u0000${c}`];
  return undefined;
}

/**
 * Bounds on lastUpdated implied by a top-level `lu` or `sp._lastUpdated` condition. A stored lastUpdated is an
 * instant (lo = hi = lu), so any bound on lo or hi bounds lu; strict bounds are widened to inclusive,
 * which can only add candidates, never drop a match.
 */
export function lastUpdatedBounds(filter: FilterDocument): { min?: number; max?: number } | undefined {
  let min: number | undefined;
  let max: number | undefined;
  const bound = (op: string, v: unknown): void => {
    if (typeof v !== 'number') return;
    if (op === '$gt' || op === '$gte') min = Math.max(min ?? v, v);
    if (op === '$lt' || op === '$lte') max = Math.min(max ?? v, v);
  };
  for (const c of flattenAnd(filter)) {
    // The stored lastUpdated itself (`lu`), as export `_since` / `_until` and change feeds ask.
    const lu = c.lu;
    if (typeof lu === 'object' && lu !== null && !Array.isArray(lu)) {
      for (const [op, v] of Object.entries(lu as Record<string, unknown>)) bound(op, v);
      continue;
    }
    const cond = c['sp._lastUpdated'];
    if (typeof cond !== 'object' || cond === null) continue;
    const em = (cond as Record<string, unknown>).$elemMatch;
    if (typeof em !== 'object' || em === null) continue;
    for (const field of ['lo', 'hi']) {
      const ops = (em as Record<string, unknown>)[field];
      if (typeof ops !== 'object' || ops === null) continue;
      for (const [op, v] of Object.entries(ops as Record<string, unknown>)) bound(op, v);
    }
  }
  return min === undefined && max === undefined ? undefined : { min, max };
}
