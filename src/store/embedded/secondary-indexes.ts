/**
 * In-memory secondary indexes of the embedded store, and the planner that picks the smallest candidate
 * set for a filter document before mingo evaluates the full filter on each candidate.
 *
 * Indexed: live records by type; reference fields used by nearly every member-facing query (patient,
 * subject, beneficiary, Provenance target, the patient compartment); identifier tokens. The planner
 * only *narrows*: the full filter is always evaluated on every candidate, so an index can never change
 * a result, only the time to compute it.
 */
import type { FilterDocument, IndexValue, StoredRecord } from '../port.js';

const REFERENCE_FIELDS = ['sp.patient', 'sp.subject', 'sp.beneficiary', 'sp.target', 'cmp'] as const;
const TOKEN_FIELDS = ['sp.identifier'] as const;

type Keys = Set<string>;

function tokenKeys(v: IndexValue): string[] {
  if (typeof v !== 'object' || !('c' in v) || v.c === undefined || 'v' in v) return [];
  return [`${v.s ?? ''}\u0000${v.c}`, `\u0001${v.c}`];
}

function valuesOf(record: StoredRecord, field: string): string[] {
  if (field === 'cmp') return record.cmp;
  const code = field.slice(3);
  const vals = record.sp[code] ?? [];
  if ((TOKEN_FIELDS as readonly string[]).includes(field)) return vals.flatMap(tokenKeys);
  return vals.filter((v): v is string => typeof v === 'string');
}

export class SecondaryIndexes {
  private readonly byType = new Map<string, Keys>();
  private readonly byField = new Map<string, Map<string, Keys>>();

  constructor() {
    for (const f of [...REFERENCE_FIELDS, ...TOKEN_FIELDS]) this.byField.set(f, new Map());
  }

  add(record: StoredRecord): void {
    if (record.del) return;
    let t = this.byType.get(record.type);
    if (!t) this.byType.set(record.type, (t = new Set()));
    t.add(record._id);
    for (const [field, index] of this.byField) {
      for (const value of valuesOf(record, field)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(record._id);
      }
    }
  }

  remove(record: StoredRecord): void {
    this.byType.get(record.type)?.delete(record._id);
    for (const [field, index] of this.byField) {
      for (const value of valuesOf(record, field)) {
        const keys = index.get(value);
        if (keys) {
          keys.delete(record._id);
          if (keys.size === 0) index.delete(value);
        }
      }
    }
  }

  typeCount(type: string): number {
    return this.byType.get(type)?.size ?? 0;
  }

  /**
   * Candidate keys for a filter, or undefined when no index applies (scan everything).
   * Looks at top-level conjuncts only; each usable conjunct gives a candidate set and the smallest wins.
   */
  candidates(filter: FilterDocument): Keys | string[] | undefined {
    const conjuncts = flattenAnd(filter);
    let best: Keys | string[] | undefined;
    const consider = (keys: Keys | string[]): void => {
      const size = Array.isArray(keys) ? keys.length : keys.size;
      if (best === undefined || size < (Array.isArray(best) ? best.length : best.size)) best = keys;
    };
    let type: string | undefined;
    for (const c of conjuncts) {
      for (const [field, cond] of Object.entries(c)) {
        if (field === 'type' && typeof cond === 'string') {
          type = cond;
          consider(this.byType.get(cond) ?? new Set());
        } else if (field === '_id') {
          const ids = equalityValues(cond);
          if (ids) consider(ids);
        } else if (REFERENCE_FIELDS.includes(field as (typeof REFERENCE_FIELDS)[number])) {
          const vals = equalityValues(cond);
          if (vals) consider(this.union(field, vals));
        } else if (TOKEN_FIELDS.includes(field as (typeof TOKEN_FIELDS)[number])) {
          const keys = tokenLookupKeys(cond);
          if (keys) consider(this.union(field, keys));
        }
      }
    }
    // `id` needs the type to become a key.
    if (type !== undefined) {
      for (const c of conjuncts) {
        if ('id' in c) {
          const ids = equalityValues(c.id);
          if (ids) consider(ids.map((id) => `${type}/${id}`));
        }
      }
    }
    return best;
  }

  private union(field: string, values: string[]): Keys {
    const index = this.byField.get(field)!;
    if (values.length === 1) return index.get(values[0]) ?? new Set();
    const out = new Set<string>();
    for (const v of values) for (const k of index.get(v) ?? []) out.add(k);
    return out;
  }
}

function flattenAnd(filter: FilterDocument): FilterDocument[] {
  const out: FilterDocument[] = [];
  const keys = Object.keys(filter);
  if (keys.length === 1 && keys[0] === '$and' && Array.isArray(filter.$and)) {
    for (const f of filter.$and as FilterDocument[]) out.push(...flattenAnd(f));
  } else {
    out.push(filter);
  }
  return out;
}

/** A plain value, `{ $eq: v }` or `{ $in: [...] }` of strings; anything else is not an equality. */
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

/** `{ $elemMatch: { s?, c } }` with plain strings → index keys. */
function tokenLookupKeys(cond: unknown): string[] | undefined {
  if (typeof cond !== 'object' || cond === null) return undefined;
  const em = (cond as Record<string, unknown>).$elemMatch;
  if (typeof em !== 'object' || em === null) return undefined;
  const { s, c, ...rest } = em as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof c !== 'string') return undefined;
  if (s === undefined) return [`\u0001${c}`];
  if (typeof s === 'string') return [`${s}\u0000${c}`];
  return undefined;
}

/**
 * Bounds on lastUpdated implied by a top-level `sp._lastUpdated` condition. A stored lastUpdated is an
 * instant (lo = hi = lu), so any bound on lo or hi bounds lu; strict bounds are widened to inclusive,
 * which can only add candidates, never drop a match.
 */
export function lastUpdatedBounds(filter: FilterDocument): { min?: number; max?: number } | undefined {
  let min: number | undefined;
  let max: number | undefined;
  for (const c of flattenAnd(filter)) {
    const cond = c['sp._lastUpdated'];
    if (typeof cond !== 'object' || cond === null) continue;
    const em = (cond as Record<string, unknown>).$elemMatch;
    if (typeof em !== 'object' || em === null) continue;
    for (const field of ['lo', 'hi']) {
      const ops = (em as Record<string, unknown>)[field];
      if (typeof ops !== 'object' || ops === null) continue;
      for (const [op, v] of Object.entries(ops as Record<string, unknown>)) {
        if (typeof v !== 'number') continue;
        if (op === '$gt' || op === '$gte') min = Math.max(min ?? v, v);
        if (op === '$lt' || op === '$lte') max = Math.min(max ?? v, v);
      }
    }
  }
  return min === undefined && max === undefined ? undefined : { min, max };
}
