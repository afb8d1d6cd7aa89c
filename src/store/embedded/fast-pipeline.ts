/**
 * A compiled fast path for the aggregation pipelines (and simple filters) the embedded store runs.
 *
 * mingo is the embedded store's reference for MongoDB's query and aggregation language, and it stays the
 * fallback for everything. But it interprets each expression for each document (path resolution, operator
 * lookup, per-stage copies): 10–15 µs per record per stage, so the annual metrics over 1,000,000 PA
 * decisions took minutes. This module compiles the common subset to plain closures once per pipeline,
 * which costs well under a microsecond per record per stage.
 *
 * The contract: for any pipeline and documents, a compiled pipeline either returns exactly what mingo's
 * Aggregator returns, or does not run:
 *  - `compilePipeline` returns undefined for any stage, operator or form outside the subset;
 *  - at run time, a value outside what the subset handles (nested arrays, arrays where a scalar is
 *    compared, NaN, an object used as a group key, a failed arithmetic…) throws `Unsupported`, and the
 *    caller runs the whole pipeline with mingo instead (stages are pure: nothing is lost by starting over).
 * Where mingo and MongoDB differ in an edge case (mingo answers `[{n: 0}]` to `$count` on no documents,
 * MongoDB nothing), this follows mingo, so that the embedded store's answers do not depend on the path.
 * test/unit/store/fast-pipeline.test.ts checks the two agree, on random documents, for every construct.
 *
 * The subset:
 *  - stages: $match (field equality, $eq $ne $in $nin $gt $gte $lt $lte on scalar literals, $and),
 *    $project (inclusion of top-level fields, computed fields, `_id: 0`), $group and $bucket with $sum,
 *    $sort, $skip, $limit, $count, $unwind (a top-level field, string form), $facet;
 *  - expressions: field paths (through one level of arrays, as MongoDB does), literals, object and array
 *    expressions, $literal, $subtract, $divide, $floor, $cond, $eq, $ne, $in, $ifNull, $arrayElemAt.
 */

export type Doc = Record<string, unknown>;
type Expr = (doc: Doc) => unknown;
type Stage = (docs: Doc[]) => Doc[];
export type Predicate = (doc: Doc) => boolean;
export type CompiledPipeline = (docs: Doc[]) => Doc[];

/** A construct or a value the fast path does not handle: the caller uses mingo instead. */
export class Unsupported extends Error {}

const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

export interface CompileOptions {
  /**
   * Turns an input document (such as a lazy record view) into the plain object MongoDB would return,
   * wherever an input document is copied or leaves the pipeline unchanged.
   */
  toPlain?: (doc: Doc) => Doc;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Names that reach into the prototype chain (mingo refuses `__proto__`, and reads inherited members such
 * as `toString` as values): never compiled.
 */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/** A field name read or written by compiled code: a plain name, never a path, an index, an operator or a prototype key. */
function fieldName(name: string): string {
  if (name === '' || name.startsWith('$') || name.includes('.') || /^\d+$/.test(name) || FORBIDDEN.has(name)) unsupported(`field name ${name}`);
  return name;
}

/** An own field of an object document (prototype methods read as missing, as in a BSON document). */
function field(doc: unknown, name: string): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const v = (doc as Doc)[name];
  return typeof v === 'function' ? undefined : v;
}

/**
 * A field path as aggregation expressions read it: through objects; an array met on the way maps the rest
 * of the path over its object elements (scalars are skipped; missing results are left out), as MongoDB and
 * mingo do. A second level of arrays is outside the subset.
 */
function pathReader(path: string): Expr {
  const segments = path.split('.').map(fieldName);
  if (segments.length === 1) {
    const name = segments[0];
    return (doc) => field(doc, name);
  }
  const walk = (start: unknown, from: number, inArray: boolean): unknown => {
    let value = start;
    for (let i = from; i < segments.length; i++) {
      if (Array.isArray(value)) {
        if (inArray) unsupported('nested arrays in a field path');
        const out: unknown[] = [];
        for (const element of value) {
          if (Array.isArray(element)) unsupported('nested arrays in a field path');
          if (typeof element !== 'object' || element === null) continue;
          const v = walk(element, i, true);
          if (v !== undefined) out.push(v);
        }
        return out;
      }
      value = field(value, segments[i]);
      if (value === undefined) return undefined;
    }
    return value;
  };
  if (segments.length === 2) {
    // The common `$so.key`: two plain reads unless an array is met on the way.
    const [outer, inner] = segments;
    return (doc) => {
      const value = field(doc, outer);
      if (value === undefined) return undefined;
      return Array.isArray(value) ? walk(value, 1, false) : field(value, inner);
    };
  }
  return (doc) => walk(doc, 0, false);
}

/** A query's field path: through objects only (an array on the way is outside the subset). */
function queryPathReader(path: string): Expr {
  const segments = path.split('.').map(fieldName);
  return (doc) => {
    let value: unknown = doc;
    for (const s of segments) {
      if (Array.isArray(value)) unsupported('array in a query path');
      value = field(value, s);
      if (value === undefined) return undefined;
    }
    return value;
  };
}

type Scalar = string | number | boolean | null | undefined;

function scalar(v: unknown): Scalar {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? unsupported('NaN') : v;
  return unsupported('a non-scalar value where a scalar is compared');
}

/** mingo's truthiness (and MongoDB's): false, null, missing, 0 and NaN are false; '' is true. */
const truthy = (v: unknown): boolean => !!v || v === '';

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

function twoArgs(name: string, args: unknown): [Expr, Expr] {
  if (!Array.isArray(args) || args.length !== 2) return unsupported(`${name} takes two arguments`);
  return [expression(args[0]), expression(args[1])];
}

/** Binary arithmetic: null or missing gives null; anything but two numbers is outside the subset. */
function arithmetic(name: string, args: unknown, op: (a: number, b: number) => number): Expr {
  const [a, b] = twoArgs(name, args);
  return (doc) => {
    const x = a(doc);
    const y = b(doc);
    if (x === null || x === undefined || y === null || y === undefined) return null;
    if (!isNumber(x) || !isNumber(y)) return unsupported(`${name} of non-numbers`);
    return op(x, y);
  };
}

/** mingo's aggregation equality of scalars: missing and null are equal to each other. */
function scalarsEqual(x: unknown, y: unknown): boolean {
  const a = scalar(x);
  const b = scalar(y);
  if (a === undefined || a === null) return b === undefined || b === null;
  return a === b;
}

function operator(name: string, args: unknown): Expr {
  switch (name) {
    case '$literal':
      return () => args;
    case '$subtract':
      return arithmetic(name, args, (a, b) => a - b);
    case '$divide':
      return arithmetic(name, args, (a, b) => (b === 0 ? unsupported('division by zero') : a / b));
    case '$floor': {
      // mingo takes the operand as is (MongoDB would also accept it in a one-element array).
      if (Array.isArray(args)) return unsupported('$floor of an array');
      const a = expression(args);
      return (doc) => {
        const x = a(doc);
        if (x === null || x === undefined) return null;
        return isNumber(x) ? Math.floor(x) : unsupported('$floor of a non-number');
      };
    }
    case '$cond': {
      let parts: unknown[];
      if (Array.isArray(args) && args.length === 3) parts = args;
      else if (isPlainObject(args) && Object.keys(args).sort().join() === 'else,if,then') parts = [args.if, args.then, args.else];
      else return unsupported('$cond form');
      const [test, then, otherwise] = parts.map(expression);
      return (doc) => (truthy(test(doc)) ? then(doc) : otherwise(doc));
    }
    case '$eq': {
      const [a, b] = twoArgs(name, args);
      return (doc) => scalarsEqual(a(doc), b(doc));
    }
    case '$ne': {
      const [a, b] = twoArgs(name, args);
      return (doc) => !scalarsEqual(a(doc), b(doc));
    }
    case '$in': {
      const [a, list] = twoArgs(name, args);
      // A list of literals (the usual case) is read once, not built for every document.
      const fixed = Array.isArray(args) && Array.isArray(args[1]) && args[1].every(isLiteral) ? (args[1] as unknown[]) : undefined;
      return (doc) => {
        const values = fixed ?? list(doc);
        if (!Array.isArray(values)) return unsupported('$in needs an array');
        const x = scalar(a(doc));
        // mingo: a missing value is in no array (a null one is in an array holding null).
        if (x === undefined) return false;
        for (const v of values) if (scalar(v) === x) return true;
        return false;
      };
    }
    case '$ifNull': {
      const [a, b] = twoArgs(name, args);
      return (doc) => {
        const x = a(doc);
        return x === null || x === undefined ? b(doc) : x;
      };
    }
    case '$arrayElemAt': {
      const [a, b] = twoArgs(name, args);
      return (doc) => {
        const array = a(doc);
        const index = b(doc);
        if (array === null || array === undefined) return null;
        if (!Array.isArray(array) || !Number.isInteger(index)) return unsupported('$arrayElemAt arguments');
        const i = index as number;
        return i < 0 ? array[array.length + i] : array[i];
      };
    }
    default:
      return unsupported(`operator ${name}`);
  }
}

/** A value that is its own expression: a string that is not a path, a number, a boolean or null. */
const isLiteral = (v: unknown): boolean => (typeof v === 'string' && !v.startsWith('$')) || typeof v === 'number' || typeof v === 'boolean' || v === null;

function expression(spec: unknown): Expr {
  if (typeof spec === 'string') {
    if (spec.startsWith('$$')) return unsupported('variables');
    if (spec.startsWith('$')) return pathReader(spec.slice(1));
    return () => spec;
  }
  if (typeof spec === 'number') return Number.isNaN(spec) ? unsupported('NaN') : () => spec;
  if (typeof spec === 'boolean' || spec === null) return () => spec;
  if (Array.isArray(spec)) {
    const parts = spec.map(expression);
    return (doc) => parts.map((p) => p(doc));
  }
  if (isPlainObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.length === 1 && keys[0].startsWith('$')) return operator(keys[0], spec[keys[0]]);
    // An object expression; mingo keeps a member whose value is missing (as undefined).
    const parts = keys.map((k): [string, Expr] => [fieldName(k), expression(spec[k])]);
    return (doc) => {
      const out: Doc = {};
      for (const [k, p] of parts) out[k] = p(doc);
      return out;
    };
  }
  return unsupported('expression form');
}

// ---- $match (and the store's residual filters) ----

const QUERY_OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte']);

/** A literal a query compares with: a string, a finite number or a boolean (null matches missing too: not in the subset). */
function queryLiteral(v: unknown): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  return unsupported('query literal');
}

/** The value a query condition tests: a scalar (an array would need MongoDB's any-element rules). */
function queried(v: unknown): Scalar {
  if (Array.isArray(v)) unsupported('array in a query');
  return typeof v === 'object' && v !== null ? unsupported('object in a query') : scalar(v);
}

function condition(op: string, operand: unknown): (v: Scalar) => boolean {
  switch (op) {
    case '$eq': {
      const lit = queryLiteral(operand);
      return (v) => v === lit;
    }
    case '$ne': {
      const lit = queryLiteral(operand);
      return (v) => v !== lit;
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) return unsupported(`${op} needs an array`);
      const set = new Set(operand.map(queryLiteral));
      return op === '$in' ? (v) => set.has(v as string) : (v) => !set.has(v as string);
    }
    default: {
      // Ordering: only values of the literal's type compare (MongoDB's type bracketing).
      const lit = queryLiteral(operand);
      if (typeof lit === 'boolean') return unsupported('ordering booleans');
      const same = (v: Scalar): v is string | number => typeof v === typeof lit;
      if (op === '$gt') return (v) => same(v) && v > lit;
      if (op === '$gte') return (v) => same(v) && v >= lit;
      if (op === '$lt') return (v) => same(v) && v < lit;
      return (v) => same(v) && v <= lit;
    }
  }
}

/** A filter document as a predicate, or Unsupported. */
function predicate(filter: unknown): Predicate {
  if (!isPlainObject(filter)) return unsupported('filter form');
  const parts: Predicate[] = [];
  for (const [key, spec] of Object.entries(filter)) {
    if (key === '$and') {
      if (!Array.isArray(spec) || spec.length === 0) return unsupported('$and form');
      parts.push(...spec.map(predicate));
      continue;
    }
    if (key.startsWith('$')) return unsupported(`query operator ${key}`);
    const read = queryPathReader(key);
    const tests: Array<(v: Scalar) => boolean> = [];
    if (isPlainObject(spec) && Object.keys(spec).some((k) => k.startsWith('$'))) {
      for (const [op, operand] of Object.entries(spec)) {
        if (!QUERY_OPERATORS.has(op)) return unsupported(`query operator ${op}`);
        tests.push(condition(op, operand));
      }
    } else {
      tests.push(condition('$eq', spec));
    }
    parts.push((doc) => {
      const v = queried(read(doc));
      for (const t of tests) if (!t(v)) return false;
      return true;
    });
  }
  return (doc) => {
    for (const p of parts) if (!p(doc)) return false;
    return true;
  };
}

/**
 * A filter document as a compiled predicate (undefined when outside the subset). The predicate throws
 * Unsupported for a document it cannot judge; the caller then asks mingo about that document.
 */
export function compileFilter(filter: unknown): Predicate | undefined {
  try {
    return predicate(filter);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

// ---- accumulators ($group, $bucket) ----

/** A $sum: a running state per group and the group's value from it. */
type Accumulator = { name: string; init: () => number; add: (total: number, doc: Doc) => number; finish: (total: number) => number };

function accumulators(spec: Record<string, unknown>, skip: string[]): Accumulator[] {
  return Object.entries(spec)
    .filter(([k]) => !skip.includes(k))
    .map(([name, acc]): Accumulator => {
      fieldName(name);
      if (!isPlainObject(acc) || Object.keys(acc).length !== 1 || !('$sum' in acc)) return unsupported('accumulator other than $sum');
      const arg = acc.$sum;
      // A constant is counted, then multiplied, as mingo does (`$sum: 1` counts; 0.1 × 10 is 1, not 0.999…).
      if (isNumber(arg)) return { name, init: () => 0, add: (n) => n + 1, finish: (n) => n * arg };
      const e = expression(arg);
      // $sum adds numbers and ignores everything else (strings, null, missing, arrays), as mingo and MongoDB do.
      return {
        name,
        init: () => 0,
        add: (t, doc) => {
          const v = e(doc);
          if (typeof v !== 'number') return t;
          return Number.isNaN(v) ? unsupported('NaN in $sum') : t + v;
        },
        finish: (t) => t,
      };
    });
}

/** A group key part as a string: missing and null apart, numbers by value (0 and -0 together), length-prefixed so parts join unambiguously. */
function keyPart(v: unknown): string {
  const s = scalar(v);
  if (s === undefined) return 'u';
  if (s === null) return 'z';
  if (typeof s === 'number') return `n${s};`;
  if (typeof s === 'boolean') return s ? 't' : 'f';
  return `s${s.length}:${s}`;
}

function groupStage(spec: unknown): Stage {
  if (!isPlainObject(spec) || !('_id' in spec)) return unsupported('$group form');
  const accs = accumulators(spec, ['_id']);
  const idSpec = spec._id;
  // The key of a document, and (made only for a group's first document) its _id.
  let keyOf: (doc: Doc) => string;
  let idOf: (doc: Doc) => unknown;
  if (isPlainObject(idSpec) && !Object.keys(idSpec).some((k) => k.startsWith('$'))) {
    const names = Object.keys(idSpec).map(fieldName);
    const parts = names.map((k) => expression(idSpec[k]));
    keyOf = (doc) => {
      let key = '';
      for (const p of parts) key += keyPart(p(doc));
      return key;
    };
    idOf = (doc) => {
      const id: Doc = {};
      names.forEach((k, i) => (id[k] = parts[i](doc)));
      return id;
    };
  } else {
    const e = expression(idSpec);
    // A missing scalar key groups with null, and is reported as null.
    keyOf = (doc) => keyPart(e(doc) ?? null);
    // mingo keeps scalar keys in a Map, which reports -0 as 0.
    idOf = (doc) => {
      const v = e(doc) ?? null;
      return v === 0 ? 0 : v;
    };
  }
  return (docs) => {
    const groups = new Map<string, { id: unknown; totals: number[] }>();
    for (const doc of docs) {
      const key = keyOf(doc);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { id: idOf(doc), totals: accs.map((a) => a.init()) }));
      for (let i = 0; i < accs.length; i++) g.totals[i] = accs[i].add(g.totals[i], doc);
    }
    return [...groups.values()].map((g) => {
      const out: Doc = { _id: g.id };
      accs.forEach((a, i) => (out[a.name] = a.finish(g.totals[i])));
      return out;
    });
  };
}

function bucketStage(spec: unknown): Stage {
  if (!isPlainObject(spec)) return unsupported('$bucket form');
  const extra = Object.keys(spec).filter((k) => !['groupBy', 'boundaries', 'default', 'output'].includes(k));
  if (extra.length > 0) return unsupported('$bucket form');
  const by = expression(spec.groupBy);
  const bounds = spec.boundaries;
  if (!Array.isArray(bounds) || bounds.length < 2 || !bounds.every((b, i) => isNumber(b) && (i === 0 || b > (bounds[i - 1] as number)))) return unsupported('$bucket boundaries');
  const b = bounds as number[];
  const hasDefault = 'default' in spec;
  const fallback = spec.default;
  if (hasDefault && typeof fallback !== 'string' && !isNumber(fallback)) return unsupported('$bucket default');
  if (isNumber(fallback) && fallback >= b[0] && fallback < b[b.length - 1]) return unsupported('$bucket default within the boundaries');
  const output = spec.output === undefined ? { count: { $sum: 1 } } : spec.output;
  if (!isPlainObject(output)) return unsupported('$bucket output');
  const accs = accumulators(output, []);
  return (docs) => {
    const totals: Array<number[] | undefined> = new Array<number[] | undefined>(b.length); // index b.length - 1: the default
    // Every boundary's bucket is reported, empty or not (mingo's way); the default one only when used.
    for (let i = 0; i < b.length - 1; i++) totals[i] = accs.map((a) => a.init());
    for (const doc of docs) {
      const v = by(doc);
      let i: number;
      if (isNumber(v) && v >= b[0] && v < b[b.length - 1]) {
        let lo = 0;
        let hi = b.length - 1;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (v >= b[mid]) lo = mid;
          else hi = mid;
        }
        // A value on an inner boundary: MongoDB puts it in the bucket the boundary opens, mingo in the one
        // below. Outside the subset, so the answer never depends on the path (callers choose boundaries
        // their values cannot equal).
        if (lo > 0 && v === b[lo]) return unsupported('a value on an inner $bucket boundary');
        i = lo;
      } else if (typeof v === 'number' && Number.isNaN(v)) {
        return unsupported('NaN in $bucket');
      } else if (typeof v === 'object' && v !== null) {
        return unsupported('an array or object grouped in $bucket');
      } else if (hasDefault) {
        i = b.length - 1;
      } else {
        return unsupported('a value outside the $bucket boundaries and no default');
      }
      const t = (totals[i] ??= accs.map((a) => a.init()));
      for (let k = 0; k < accs.length; k++) t[k] = accs[k].add(t[k], doc);
    }
    const out: Doc[] = [];
    totals.forEach((t, i) => {
      if (!t) return;
      const row: Doc = {};
      accs.forEach((a, k) => (row[a.name] = a.finish(t[k])));
      row._id = i === b.length - 1 ? fallback : b[i];
      out.push(row);
    });
    return out;
  };
}

// ---- the other stages ----

/** mingo's (and MongoDB's) order of the scalar types a sort meets: missing and null (tied), numbers, strings, booleans. */
function sortRank(v: Scalar): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return 4;
}

function compareScalars(a: Scalar, b: Scalar): number {
  const ra = sortRank(a);
  const rb = sortRank(b);
  if (ra !== rb) return ra - rb;
  if (ra <= 1) return 0;
  return (a as string | number | boolean) < (b as string | number | boolean) ? -1 : (a as string | number | boolean) > (b as string | number | boolean) ? 1 : 0;
}

function sortStage(spec: unknown): Stage {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) return unsupported('$sort form');
  const keys = Object.entries(spec).map(([path, dir]): [Expr, number] => {
    if (dir !== 1 && dir !== -1) unsupported('$sort direction');
    return [queryPathReader(path), dir as number];
  });
  return (docs) => {
    // Each key read once per document into a column; a column of one type (the usual case) compares
    // natively. A stable sort of positions, as mingo's key-by-key stable sort.
    const compares = keys.map(([read, dir]): ((i: number, j: number) => number) => {
      const column = docs.map((doc) => queried(read(doc)));
      if (column.every((v) => typeof v === 'number')) {
        const numbers = column as number[];
        return (i, j) => (numbers[i] - numbers[j]) * dir;
      }
      if (column.every((v) => typeof v === 'string')) {
        const strings = column as string[];
        return (i, j) => (strings[i] < strings[j] ? -dir : strings[i] > strings[j] ? dir : 0);
      }
      return (i, j) => compareScalars(column[i], column[j]) * dir;
    });
    const order = docs.map((_, i) => i);
    if (compares.length === 1) order.sort(compares[0]);
    else
      order.sort((i, j) => {
        for (const c of compares) {
          const r = c(i, j);
          if (r !== 0) return r;
        }
        return 0;
      });
    return order.map((i) => docs[i]);
  };
}

/** An operator expression (one `$` key) or a field path: what $project computes (a plain object there is a nested projection). */
const isComputed = (v: unknown): boolean => (typeof v === 'string' && v.startsWith('$')) || (isPlainObject(v) && Object.keys(v).length === 1 && Object.keys(v)[0].startsWith('$'));

function projectStage(spec: unknown): Stage {
  if (!isPlainObject(spec)) return unsupported('$project form');
  let keepId = true;
  let idIncluded = false;
  let idExpr: Expr | undefined;
  const fields: Array<[string, Expr | 'include']> = [];
  for (const [k, v] of Object.entries(spec)) {
    if (k === '_id') {
      if (v === 0 || v === false) keepId = false;
      else if (isComputed(v)) idExpr = expression(v);
      else if (v === 1 || v === true) idIncluded = true;
      else return unsupported('$project _id form');
      continue;
    }
    fieldName(k);
    if (v === 1 || v === true) fields.push([k, 'include']);
    else if (isComputed(v)) fields.push([k, expression(v)]);
    // Exclusions, other numbers, literals and nested projections are mingo's.
    else return unsupported('$project form');
  }
  // An empty projection, `_id: 0` alone or a computed `_id` alone is not an inclusion projection.
  if (fields.length === 0 && !idIncluded) return unsupported('$project without fields');
  return (docs) =>
    docs.map((doc) => {
      // mingo's shape: the fields in the specification's order, `_id` last; a computed field whose value is
      // missing is kept (undefined), an included one that is missing is not.
      const out: Doc = {};
      for (const [k, how] of fields) {
        if (how === 'include') {
          const v = field(doc, k);
          if (v !== undefined) out[k] = v;
        } else out[k] = how(doc);
      }
      if (idExpr) out._id = idExpr(doc);
      else if (keepId) {
        const id = field(doc, '_id');
        if (id !== undefined) out._id = id;
      }
      return out;
    });
}

function stage(spec: Record<string, unknown>, options: Required<CompileOptions>, nested: boolean): Stage {
  const keys = Object.keys(spec);
  if (keys.length !== 1) return unsupported('stage form');
  const [name] = keys;
  const arg = spec[name];
  switch (name) {
    case '$match': {
      const test = predicate(arg);
      return (docs) => docs.filter(test);
    }
    case '$project':
      return projectStage(arg);
    case '$group':
      return groupStage(arg);
    case '$bucket':
      return bucketStage(arg);
    case '$sort':
      return sortStage(arg);
    case '$skip':
    case '$limit': {
      if (!Number.isInteger(arg) || (arg as number) < (name === '$skip' ? 0 : 1)) return unsupported(`${name} value`);
      const n = arg as number;
      return name === '$skip' ? (docs) => docs.slice(n) : (docs) => docs.slice(0, n);
    }
    case '$count': {
      if (typeof arg !== 'string' || arg === '' || arg.startsWith('$') || arg.includes('.')) return unsupported('$count name');
      return (docs) => [{ [arg]: docs.length }];
    }
    case '$unwind': {
      if (typeof arg !== 'string' || !arg.startsWith('$')) return unsupported('$unwind form');
      const name2 = fieldName(arg.slice(1));
      return (docs) => {
        const out: Doc[] = [];
        for (const doc of docs) {
          const v = field(doc, name2);
          if (Array.isArray(v)) {
            if (v.length === 0) continue;
            const base = options.toPlain(doc);
            for (const element of v) out.push({ ...base, [name2]: element });
          } else if (v === null || v === undefined || v === '') {
            // mingo drops what it calls empty: missing, null, '' (and [] and {}).
          } else if (typeof v === 'object') {
            if (isPlainObject(v) && Object.keys(v).length > 0) out.push(doc);
            else if (!isPlainObject(v)) unsupported('$unwind of a non-plain object');
          } else out.push(doc);
        }
        return out;
      };
    }
    case '$facet': {
      if (nested || !isPlainObject(arg)) return unsupported('$facet form');
      const subs = Object.entries(arg).map(([k, p]): [string, Stage] => {
        fieldName(k);
        if (!Array.isArray(p)) return unsupported('$facet pipeline');
        return [k, pipelineOf(p as Array<Record<string, unknown>>, options, true)];
      });
      return (docs) => {
        const out: Doc = {};
        for (const [k, run] of subs) out[k] = run(docs).map(options.toPlain);
        return [out];
      };
    }
    default:
      return unsupported(`stage ${name}`);
  }
}

function pipelineOf(pipeline: ReadonlyArray<Record<string, unknown>>, options: Required<CompileOptions>, nested: boolean): Stage {
  const stages = pipeline.map((s) => (isPlainObject(s) ? stage(s, options, nested) : unsupported('stage form')));
  return (docs) => stages.reduce((d, s) => s(d), docs);
}

/**
 * The pipeline as a function over documents, or undefined when it is outside the subset. The function
 * throws Unsupported when the documents hold values outside the subset; run mingo then.
 */
export function compilePipeline(pipeline: ReadonlyArray<Record<string, unknown>>, options: CompileOptions = {}): CompiledPipeline | undefined {
  const opts: Required<CompileOptions> = { toPlain: options.toPlain ?? ((d) => d) };
  try {
    const run = pipelineOf(pipeline, opts, false);
    return (docs) => run(docs).map(opts.toPlain);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}
