/**
 * Keyset paging. A page link carries the sort-key values and _id of the boundary record, so the next
 * page is "records after this one in sort order" — correct under concurrent writes, unlike an offset
 * (a record inserted or deleted before the cursor does not shift later pages).
 *
 * Ordering is MongoDB's for the values we store: null < numbers < strings; ties broken by _id.
 * The filter built here is a plain MongoDB document, evaluated by both adapters.
 */
import { badRequest } from '../outcome.js';
import type { FilterDocument } from '../../store/port.js';
import type { Cursor, SortKey } from './ir.js';

type Key = string | number | null;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.dir === 'next' ? 'n' : 'p', cursor.keys, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  const invalid = badRequest('Invalid _cursor (use the links of a previous page)', ['_cursor']);
  if (raw.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid;
  const [dir, keys, id] = parsed as [unknown, unknown, unknown];
  if ((dir !== 'n' && dir !== 'p') || typeof id !== 'string' || !Array.isArray(keys)) throw invalid;
  // Only scalars: a cursor value is used as an operand, never as a document, so it cannot inject operators.
  if (!keys.every((k) => k === null || typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k)))) throw invalid;
  return { dir: dir === 'n' ? 'next' : 'prev', keys: keys as Key[], id };
}

/** "field comes after value" in the given direction, in MongoDB's null-first ordering. */
function after(field: string, value: Key, direction: 1 | -1): FilterDocument {
  if (direction === 1) {
    if (value === null) return { [field]: { $ne: null } };
    // Numbers sort before strings: after a number come larger numbers and every string.
    return typeof value === 'number'
      ? { $or: [{ [field]: { $gt: value } }, { [field]: { $type: 'string' } }] }
      : { [field]: { $gt: value } };
  }
  // Descending, null sorts last: nothing comes after it at this key (only the tie branch remains).
  if (value === null) return { _id: { $in: [] } };
  return typeof value === 'number'
    ? { $or: [{ [field]: { $lt: value } }, { [field]: null }] }
    : { $or: [{ [field]: { $lt: value } }, { [field]: { $type: 'number' } }, { [field]: null }] };
}

function equal(field: string, value: Key): FilterDocument {
  return { [field]: value === null ? null : { $eq: value } };
}

/**
 * The filter for records strictly after the cursor position under `sort` (plus _id as the final key,
 * ascending, or descending for a 'prev' cursor, where the caller also passes the reversed sort).
 */
export function keysetFilter(sort: SortKey[], keys: Key[], id: string, idDirection: 1 | -1 = 1): FilterDocument {
  const fields: Array<{ field: string; direction: 1 | -1; value: Key }> = sort.map((s, i) => ({
    field: s.field,
    direction: s.direction,
    value: keys[i] ?? null,
  }));
  const branches: FilterDocument[] = [];
  for (let i = 0; i <= fields.length; i++) {
    const prefix = fields.slice(0, i).map((f) => equal(f.field, f.value));
    const tail = i < fields.length ? after(fields[i].field, fields[i].value, fields[i].direction) : { _id: idDirection === 1 ? { $gt: id } : { $lt: id } };
    branches.push(prefix.length > 0 ? { $and: [...prefix, tail] } : tail);
  }
  return branches.length === 1 ? branches[0] : { $or: branches };
}

/** The effective sort: requested keys then _id ascending, reversed as a whole for a 'prev' page. */
export function effectiveSort(sort: SortKey[], reverse: boolean): Array<[string, 1 | -1]> {
  const flip = (d: 1 | -1): 1 | -1 => (reverse ? (d === 1 ? -1 : 1) : d);
  return [...sort.map((s): [string, 1 | -1] => [s.field, flip(s.direction)]), ['_id', flip(1)]];
}

export function reversedKeys(sort: SortKey[]): SortKey[] {
  return sort.map((s) => ({ ...s, direction: s.direction === 1 ? -1 : 1 }));
}
