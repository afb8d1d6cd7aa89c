/**
 * IR → MongoDB filter document: one translator per parameter type (this folder). Values in a clause
 * are ORed, clauses are ANDed, and the resource type is always part of the filter. The result is
 * sent unchanged to MongoDB or evaluated in process by the embedded store.
 */
import type { FilterDocument } from '../../../store/port.js';
import type { Clause, ParsedValue, SearchIR } from '../ir.js';
import { translateDate } from './date.js';
import { translateNumber } from './number.js';
import { translateReference } from './reference.js';
import { translateString } from './string.js';
import { translateToken } from './token.js';
import { translateUri } from './uri.js';

function translateValue(clause: Clause, value: ParsedValue, now: number): FilterDocument {
  const field = `sp.${clause.param.code}`;
  switch (value.kind) {
    case 'missing':
      return { [field]: { $exists: !value.missing } };
    case 'string':
      return translateString(field, clause.modifier, value);
    case 'token':
      return translateToken(field, clause.modifier, value);
    case 'reference':
      return translateReference(field, value);
    case 'date':
      return translateDate(field, value.prefix, value.lo, value.hi, now);
    case 'number':
      return translateNumber(field, value);
    case 'uri':
      return translateUri(field, clause.modifier, value.uri);
  }
}

export function translateClause(clause: Clause, now: number): FilterDocument {
  // `_id=a,b` is the most common multi-value case: one $in keeps it on the id index.
  if (clause.param.code === '_id') {
    // The id is the record's own `id` field, never an `sp` value.
    if (clause.values.some((v) => v.kind === 'missing')) {
      const missing = clause.values.some((v) => v.kind === 'missing' && v.missing);
      return missing ? { id: { $in: [] } } : { id: { $exists: true } };
    }
    const ids = [...new Set(clause.values.map((v) => (v.kind === 'token' ? (v.code ?? '') : '')))];
    if (clause.modifier === 'not') return { id: { $nin: ids } };
    return ids.length === 1 ? { id: ids[0] } : { id: { $in: ids } };
  }
  const parts = clause.values.map((v) => translateValue(clause, v, now));
  if (clause.modifier === 'not') return parts.length === 1 ? parts[0] : { $and: parts };
  return parts.length === 1 ? parts[0] : { $or: parts };
}

export function translateSearch(ir: SearchIR, now: number, extra: FilterDocument[] = []): FilterDocument {
  const conditions: FilterDocument[] = [{ type: ir.type }, ...ir.clauses.map((c) => translateClause(c, now)), ...extra];
  return conditions.length === 1 ? conditions[0] : { $and: conditions };
}
