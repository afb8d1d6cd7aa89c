/**
 * Defence in depth for the storage port: the search translator is the only producer of filter and
 * sort documents and never lets a request value become an operator (see port.ts). Each adapter
 * still checks every document before evaluating it, so that a translator bug cannot turn into
 * server-side JavaScript (`$where`, `$function`, `$accumulator`), aggregation expressions (`$expr`)
 * or other operators that read or write more than the query intends.
 *
 * Errors name the offending key path only, never a value (values may be PHI).
 */
import type { SortDocument } from './port.js';

/** Query operators the translator may emit; everything else containing `$` is refused. */
const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  '$and',
  '$or',
  '$nor',
  '$not',
  '$in',
  '$nin',
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$elemMatch',
  '$regex',
  '$options',
  '$exists',
  '$size',
  '$all',
  '$type', // keyset cursors order numbers before strings (search/cursor.ts)
]);

/** Filters from the translator are a few levels deep; anything deeper is a bug or an attack. */
const MAX_DEPTH = 32;

/** A filter or sort document that the store refuses to evaluate (a programming error, not a 4xx). */
export class UnsafeFilterError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`unsafe store query at ${path || '(root)'}: ${reason}`);
    this.name = 'UnsafeFilterError';
  }
}

/**
 * Throws UnsafeFilterError unless the filter consists only of plain objects, arrays, primitives,
 * RegExp and Date values, and every key that contains `$` is an allowed query operator.
 * Other object kinds (Map, class instances, functions) are refused because the BSON serializer
 * would turn their properties into fields this walk did not inspect.
 */
export function assertSafeFilter(filter: unknown): void {
  if (!isPlainObject(filter)) throw new UnsafeFilterError('', 'filter must be a plain object');
  visit(filter, '', 0);
}

/** Throws UnsafeFilterError unless every sort field is a plain field path and direction 1 or -1. */
export function assertSafeSort(sort: SortDocument): void {
  for (const [field, direction] of sort) {
    // `$natural` and `$meta` sorts bypass indexes and the tie-break rules of the port.
    if (field.length === 0 || field.includes('$')) {
      throw new UnsafeFilterError(field, 'sort field must be a plain field path');
    }
    if (direction !== 1 && direction !== -1) {
      throw new UnsafeFilterError(field, 'sort direction must be 1 or -1');
    }
  }
}

function visit(node: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new UnsafeFilterError(path, 'nested too deeply');
  if (node === null || node === undefined) return;
  switch (typeof node) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return;
    case 'object':
      break;
    default:
      throw new UnsafeFilterError(path, `values of type ${typeof node} are not allowed`);
  }
  if (node instanceof RegExp || node instanceof Date) return;
  if (Array.isArray(node)) {
    node.forEach((element, index) => visit(element, `${path}[${index}]`, depth + 1));
    return;
  }
  if (!isPlainObject(node)) throw new UnsafeFilterError(path, 'only plain objects are allowed');
  for (const [key, value] of Object.entries(node)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (key.includes('$') && !ALLOWED_OPERATORS.has(key)) {
      throw new UnsafeFilterError(keyPath, 'operator not allowed');
    }
    visit(value, keyPath, depth + 1);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
