/**
 * MongoDB's ordering for the scalar values we sort on (BSON comparison order): missing and null first,
 * then numbers, then strings (binary order). The embedded store must order exactly as MongoDB does, or
 * a keyset cursor built for one would skip records in the other.
 */
import type { SortDocument, StoredRecord } from '../port.js';

type Scalar = string | number | null | undefined;

function rank(v: Scalar): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? 1 : 2;
}

export function compareScalars(a: Scalar, b: Scalar): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 1) return (a as number) - (b as number);
  return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
}

function fieldValue(record: StoredRecord, field: string): Scalar {
  if (field.startsWith('so.')) return record.so[field.slice(3)];
  switch (field) {
    case '_id':
      return record._id;
    case 'id':
      return record.id;
    case 'lu':
      return record.lu;
    case 'type':
      return record.type;
    case 'v':
      return record.v;
    default:
      return undefined;
  }
}

export function recordComparator(sort: SortDocument): (a: StoredRecord, b: StoredRecord) => number {
  const keys = sort.some(([f]) => f === '_id') ? sort : [...sort, ['_id', 1] as [string, 1]];
  return (a, b) => {
    for (const [field, dir] of keys) {
      const c = compareScalars(fieldValue(a, field), fieldValue(b, field));
      if (c !== 0) return c * dir;
    }
    return 0;
  };
}
