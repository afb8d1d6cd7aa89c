/**
 * Sort order for the embedded document store, following MongoDB's sort rules so that both document
 * adapters return `find` results in the same order: values compare by BSON type first (missing and
 * null, numbers, strings, objects, arrays, booleans), then within the type; a sorted field holding an
 * array sorts by its smallest element ascending and its largest descending, an empty array before null
 * (MongoDB manual, "Comparison/Sort Order"). Ties are broken by `_id` ascending (document-port.ts).
 *
 * Documents are JSON values (embedded-documents.ts stores them as JSON), so the BSON types without a
 * JSON form (dates, ObjectIds, binary) do not occur. Strings compare by UTF-16 code unit like the
 * resource store's comparator (compare.ts); this differs from MongoDB's byte order only between
 * characters above U+E000 and characters outside the Basic Multilingual Plane.
 */
import type { SortDocument } from '../port.js';

/** An empty array, when sorted on, comes before null and missing values. */
const EMPTY_ARRAY = Symbol('empty array');

function typeRank(value: unknown): number {
  if (value === EMPTY_ARRAY) return 0;
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case 'number':
      return 2;
    case 'string':
      return 3;
    case 'boolean':
      return 8;
    default:
      return Array.isArray(value) ? 5 : 4;
  }
}

/** MongoDB's comparison of two values (objects field by field, arrays element by element). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2:
    case 3:
    case 8: {
      const x = a as number | string | boolean;
      const y = b as number | string | boolean;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case 5:
      return compareArrays(a as unknown[], b as unknown[]);
    default:
      return 0;
  }
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Pair by pair in field order: the value's type, then the field name, then the value. */
function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    const [ka, va] = ea[i];
    const [kb, vb] = eb[i];
    const byType = typeRank(va) - typeRank(vb);
    if (byType !== 0) return byType;
    if (ka !== kb) return ka < kb ? -1 : 1;
    const byValue = compareValues(va, vb);
    if (byValue !== 0) return byValue;
  }
  return ea.length - eb.length;
}

/** The values a dotted path reaches; arrays met on the way contribute each element (MongoDB paths). */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return Array.isArray(value) ? value : [value];
  if (Array.isArray(value)) return value.flatMap((element) => valuesAt(element, path));
  if (typeof value !== 'object' || value === null) return [undefined];
  return valuesAt((value as Record<string, unknown>)[path[0]], path.slice(1));
}

/** The value a field sorts by in this direction. */
function sortKey(doc: object, path: readonly string[], direction: 1 | -1): unknown {
  const values = valuesAt(doc, path);
  if (values.length === 0) return EMPTY_ARRAY;
  let key = values[0];
  for (const value of values) if (compareValues(value, key) * direction < 0) key = value;
  return key;
}

export function documentComparator(sort: SortDocument): (a: object, b: object) => number {
  const keys = sort.some(([field]) => field === '_id') ? sort : [...sort, ['_id', 1] as [string, 1]];
  const paths = keys.map(([field, direction]) => ({ path: field.split('.'), direction }));
  return (a, b) => {
    for (const { path, direction } of paths) {
      const c = compareValues(sortKey(a, path, direction), sortKey(b, path, direction));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
}
