/**
 * Adversarial edge cases for the compiled aggregation path (src/store/embedded/fast-pipeline.ts) against
 * its contract: for every pipeline and documents, the compiled function returns exactly what mingo's
 * Aggregator returns (vitest `toEqual`), or declines (compilePipeline gives undefined, or running it throws
 * Unsupported); it never mutates its input. Where mingo itself throws, the only acceptable answer from the
 * fast path is to decline (otherwise the store's answer depends on the path taken).
 * Same for compileFilter against mingo's Query.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator, Query } from 'mingo';
import { Unsupported, compileFilter, compilePipeline, type Doc } from '../../../src/store/embedded/fast-pipeline.js';

type Pipeline = Array<Record<string, unknown>>;

/** Asserts the contract for one pipeline and one set of documents; returns whether the fast path ran. */
function agrees(pipeline: Pipeline, docs: Doc[]): boolean {
  const before = structuredClone(docs);
  let expected: unknown;
  let mingoThrew = false;
  try {
    expected = new Aggregator(pipeline).run(structuredClone(docs));
  } catch {
    mingoThrew = true;
  }
  const run = compilePipeline(pipeline);
  let fast: Doc[] | undefined;
  if (run) {
    try {
      fast = run(docs);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }
  expect(docs, 'inputs unchanged').toStrictEqual(before);
  if (fast === undefined) return false;
  expect(mingoThrew, `mingo throws on this pipeline, yet the fast path answered ${JSON.stringify(fast)}`).toBe(false);
  expect(fast).toEqual(expected);
  return true;
}

const ids = (n: number): Doc[] => Array.from({ length: n }, (_, i) => ({ _id: i }));

/** Cases where the fast path answers (or declines) and must agree with mingo. */
const CASES: Array<[string, Pipeline, Doc[]]> = [
  // ---- $project: the spec shapes mingo reads as projections, not expressions ----
  ['$project {} returns documents unchanged', [{ $project: {} }], [{ _id: 1, a: 1 }]],
  ['$project { _id: 0 } alone is an exclusion of _id only', [{ $project: { _id: 0 } }], [{ _id: 1, a: 1, o: { j: 7 } }]],
  ['$project { _id: false } alone is an exclusion of _id only', [{ $project: { _id: false } }], [{ _id: 1, a: 1 }]],
  ['$project { _id: 5 } is an inclusion of _id, not the literal 5', [{ $project: { _id: 5, x: 1 } }], [{ _id: 'd1', x: 1 }]],
  ['$project { _id: -1 } is an inclusion of _id', [{ $project: { _id: -1, x: 1 } }], [{ _id: 'd1', x: 1 }]],
  ['$project { _id: { a: 1 } } includes _id.a', [{ $project: { _id: { a: 1 }, x: 1 } }], [{ _id: { a: 3, b: 4 }, x: 1 }]],
  ['$project nested { o: { k: "$a", j: 1 } } includes o.j from the document', [{ $project: { o: { k: '$a', j: 1 } } }], [{ _id: 1, a: 1, o: { j: 7 } }]],
  ['$project nested { o: { k: true } } includes o.k', [{ $project: { o: { k: true } } }], [{ _id: 1, o: { k: 5, j: 6 } }]],
  ['$project nested { o: { j: false } } is an exclusion', [{ $project: { o: { j: false } } }], [{ _id: 1, a: 1, o: { j: 7, k: 8 } }]],
  ['$project nested null member is missing in mingo', [{ $project: { o: { k: 'lit', n: null } } }], [{ _id: 1 }]],
  ['$project nested empty object (mingo refuses)', [{ $project: { o: {} } }], [{ _id: 1 }]],
  ['$project mixing a nested exclusion with a computed field (mingo refuses)', [{ $project: { o: { k: '$x', f: false } } }], [{ _id: 1, x: 1 }]],
  ['$project nested computed and deep members', [{ $project: { o: { k: { m: '$a' }, l: 'lit', c: { $cond: [true, { k: null }, 0] } } } }], [{ _id: 1, a: 1 }, { _id: 2 }]],
  ['$project { _id: null } and a computed missing _id', [{ $project: { _id: null, a: 1 } }, { $project: { _id: '$missing', a: 1 } }], [{ _id: 1, a: 1 }, { _id: 2 }]],
  ['$project computed _id keeps the rest', [{ $project: { _id: { a: '$x' }, x: 1 } }], [{ _id: 7, x: 2 }]],
  ['$project computed paths named like Object.prototype members', [{ $project: { x: '$valueOf', y: '$o.hasOwnProperty' } }], [{ _id: 1 }, { _id: 2, valueOf: 's', o: [{ hasOwnProperty: 1 }] }]],
  // mingo merges an included field into a fresh {} and so meets the inherited function (a mingo quirk; a non-null value would also be written onto Object.prototype.toString, hence null here)
  ['$project inclusion of a field named toString holding null', [{ $project: { toString: 1 } }], [{ _id: 1, toString: null }]],
  // ---- $floor: the one-element array form ----
  ['$floor: [path] (mingo evaluates the array and refuses)', [{ $project: { f: { $floor: ['$n'] } } }], [{ _id: 1, n: 2.5 }]],
  ['$floor of -0 and negatives', [{ $project: { f: { $floor: '$n' } } }], [{ _id: 1, n: -0 }, { _id: 2, n: -0.5 }, { _id: 3, n: 1e300 }]],
  // ---- $sum ----
  ['$group $sum of a constant 0.1 over 10 documents (mingo multiplies)', [{ $group: { _id: null, c: { $sum: 0.1 } } }], ids(10)],
  ['$bucket output $sum of a constant 0.1 over 10 documents', [{ $bucket: { groupBy: '$_id', boundaries: [0, 100], output: { c: { $sum: 0.1 } } } }], ids(10)],
  ['$group $sum of a constant -0', [{ $group: { _id: null, c: { $sum: -0 } } }], ids(1)],
  ['$group $sum ignores strings, booleans, arrays; Infinity - Infinity', [{ $group: { _id: null, s: { $sum: '$a' }, t: { $sum: 'x' }, u: { $sum: true } } }], [{ _id: 1, a: '3' }, { _id: 2, a: true }, { _id: 3, a: [1, 2] }, { _id: 4, a: Infinity }, { _id: 5, a: -Infinity }]],
  // ---- $group keys ----
  ['$group key -0 met first (mingo reports 0)', [{ $group: { _id: '$a', c: { $sum: 1 } } }], [{ _id: 1, a: -0 }, { _id: 2, a: 0 }]],
  ['$group keys of mixed types', [{ $group: { _id: '$a', c: { $sum: 1 } } }], [{ _id: 1, a: 1 }, { _id: 2, a: '1' }, { _id: 3, a: true }, { _id: 4, a: null }, { _id: 5 }, { _id: 7, a: 0 }, { _id: 8, a: false }, { _id: 9, a: '' }, { _id: 10, a: 2 ** 53 }, { _id: 11, a: 2 ** 53 + 2 }]],
  ['$group object keys: missing and null apart, -0 and 0 together', [{ $group: { _id: { p: '$a' }, c: { $sum: 1 } } }], [{ _id: 4, a: null }, { _id: 5 }, { _id: 6, a: 0 }, { _id: 7, a: -0 }]],
  ['$group on prototype names and on nothing', [{ $group: { _id: '$toString', hasOwnProperty: { $sum: 1 } } }], [{ _id: 1 }, { _id: 2, toString: 'x' }]],
  // ---- $bucket ----
  ['$bucket value exactly on an interior boundary (mingo: the bucket below)', [{ $bucket: { groupBy: '$n', boundaries: [0, 10, 20] } }], [{ _id: 1, n: 10 }, { _id: 2, n: 0 }, { _id: 3, n: 15 }]],
  ['$bucket groupBy an array inside the range (mingo compares its elements)', [{ $bucket: { groupBy: '$n', boundaries: [0, 10], default: 'x' } }], [{ _id: 1, n: [5] }]],
  ['$bucket default inside the boundaries (mingo refuses)', [{ $bucket: { groupBy: '$n', boundaries: [0, 5, 10], default: 5 } }], [{ _id: 1, n: 20 }]],
  ['$bucket default equal to the lowest boundary (mingo refuses)', [{ $bucket: { groupBy: '$n', boundaries: [0, 10], default: 0 } }], [{ _id: 1, n: 20 }]],
  ['$bucket strings, booleans, null, missing, below and at the top go to default', [{ $bucket: { groupBy: '$n', boundaries: [0, 10], default: 'x' } }], [{ _id: 1, n: '5' }, { _id: 2, n: true }, { _id: 3, n: null }, { _id: 4 }, { _id: 5, n: -1 }, { _id: 6, n: 10 }, { _id: 7, n: 0 }, { _id: 8, n: Infinity }, { _id: 9, n: [] }]],
  ['$bucket on the first boundary, -Infinity and -0 boundaries', [{ $bucket: { groupBy: '$n', boundaries: [-Infinity, -0, 10] } }], [{ _id: 1, n: 5 }, { _id: 2, n: -Infinity }, { _id: 3, n: -5 }]],
  // ---- $unwind ----
  ['$unwind skips an empty string and an empty object, as mingo does', [{ $unwind: '$t' }], [{ _id: 7, t: '' }, { _id: 8, t: {} }]],
  ['$unwind of null, missing, [], scalars and arrays of odd elements', [{ $unwind: '$t' }], [{ _id: 1, t: [null, 'a', [1, 2], {}] }, { _id: 2, t: [] }, { _id: 3, t: null }, { _id: 4 }, { _id: 5, t: 'x' }, { _id: 6, t: 0 }, { _id: 9, t: false }]],
  ['$unwind of _id and of a prototype name', [{ $unwind: '$_id' }, { $unwind: '$toString' }], [{ _id: [1, 2] }]],
  // ---- $sort ----
  ['$sort of mixed types, ties of null and missing, ±Infinity, -0', [{ $sort: { a: 1 } }], [{ _id: 1, a: true }, { _id: 2, a: 'b' }, { _id: 3, a: 2 }, { _id: 4, a: null }, { _id: 5, a: false }, { _id: 6, a: '' }, { _id: 7, a: -Infinity }, { _id: 8, a: Infinity }, { _id: 9, a: -0 }, { _id: 10, a: 0 }, { _id: 11 }, { _id: 12, a: null }]],
  ['$sort descending keeps ties in input order', [{ $sort: { a: -1 } }], [{ _id: 1, a: null }, { _id: 2 }, { _id: 3, a: 'x' }, { _id: 4 }, { _id: 5, a: 0 }, { _id: 6, a: -0 }]],
  ['$sort of many Infinity ties (NaN comparisons)', [{ $sort: { a: -1 } }], Array.from({ length: 60 }, (_, i) => ({ _id: i, a: i % 3 === 1 ? -Infinity : i % 7 === 0 ? 1 : Infinity }))],
  ['$sort of strings by code unit, large numbers', [{ $sort: { a: 1, b: -1 } }], [{ _id: 1, a: '\uffff' }, { _id: 2, a: '\u{1F600}' }, { _id: 3, a: 'a' }, { _id: 4, a: 'A' }, { _id: 5, a: '' }, { _id: 6, a: 1e308, b: 2 ** 53 + 2 }, { _id: 7, a: 1e308, b: 2 ** 53 }]],
  ['$sort through a scalar on the path and on a prototype name', [{ $sort: { 'a.b': 1, toString: 1 } }], [{ _id: 1, a: 'str' }, { _id: 2, a: { b: 1 } }, { _id: 3, a: 5, toString: 'z' }]],
  // ---- $count, $facet, $skip, $limit on nothing ----
  ['$facet on no documents', [{ $facet: { a: [{ $count: 'n' }], b: [{ $group: { _id: null, c: { $sum: 1 } } }], c: [], d: [{ $bucket: { groupBy: '$n', boundaries: [0, 1] } }] } }], []],
  ['$skip and $limit beyond the length, $count', [{ $skip: 5 }, { $limit: 100 }, { $count: 'n' }], ids(2)],
  // ---- expressions ----
  ['$cond truthiness of "", 0, -0, NaN, [], {}, null, missing', [{ $project: { r: { $cond: ['$a', 'T', 'F'] }, s: { $cond: { if: '$a', then: '$a', else: '$missing' } } } }], [{ _id: 1 }, { _id: 2, a: null }, { _id: 3, a: 0 }, { _id: 4, a: -0 }, { _id: 5, a: '' }, { _id: 6, a: NaN }, { _id: 7, a: [] }, { _id: 8, a: {} }, { _id: 9, a: false }]],
  ['$eq, $ne and $in with null, missing, -0', [{ $project: { e: { $eq: ['$a', null] }, z: { $eq: ['$a', -0] }, n: { $ne: ['$a', ''] }, i: { $in: ['$a', [0, '', null, false]] }, j: { $in: [0, ['$a', '$missing']] } } }], [{ _id: 1 }, { _id: 2, a: null }, { _id: 3, a: 0 }, { _id: 4, a: -0 }, { _id: 5, a: '' }, { _id: 6, a: false }]],
  ['$ifNull and object expressions with missing members', [{ $project: { a: { $ifNull: ['$missing', '$a'] }, o: { x: '$a', y: '$missing' }, l: { $literal: { $a: 1 } } } }], [{ _id: 1 }, { _id: 2, a: null }, { _id: 3, a: 0 }]],
  ['$arrayElemAt in and out of range, negative, on missing', [{ $project: { a: { $arrayElemAt: ['$x.y', 0] }, b: { $arrayElemAt: ['$x.y', -1] }, c: { $arrayElemAt: ['$x.y', 9] }, d: { $arrayElemAt: ['$x.y', -9] }, e: { $arrayElemAt: ['$m', 0] } } }], [{ _id: 1, x: [{ y: 1 }, { y: null }, { z: 1 }, 5] }, { _id: 2, x: [] }, { _id: 3 }]],
  ['field paths through arrays of objects, scalars, empty arrays, strings', [{ $project: { a: '$x.y', b: '$x.y.w', c: '$x.length', d: '$x.toString' } }], [{ _id: 1, x: [{ y: 1 }, { y: null }, { z: 1 }, 5, null, 'q', { y: { w: 1 } }] }, { _id: 2, x: [] }, { _id: 3, x: { y: [] } }, { _id: 4, x: 'str' }, { _id: 5, x: ['ab'] }, { _id: 6, x: { y: [{ w: 3 }, 4] } }]],
  ['$subtract and $divide giving NaN and -0', [{ $project: { s: { $subtract: ['$a', '$a'] }, d: { $divide: [0, '$b'] } } }], [{ _id: 1, a: Infinity, b: -5 }, { _id: 2, a: null, b: 3 }]],
];

describe('fast pipeline: adversarial cases agree with mingo or decline', () => {
  for (const [name, pipeline, docs] of CASES) {
    it(name, () => {
      agrees(pipeline, docs);
    });
  }
});

describe('fast filter: adversarial cases agree with mingo or decline', () => {
  const DOCS: Doc[] = [{ _id: 1 }, { _id: 2, a: null }, { _id: 3, a: 0 }, { _id: 4, a: -0 }, { _id: 5, a: '' }, { _id: 6, a: 'x' }, { _id: 7, a: true }, { _id: 8, a: false }, { _id: 9, a: Infinity }, { _id: 10, a: -Infinity }, { _id: 11, a: 1e308 }, { _id: 12, a: '5' }, { _id: 13, a: 5 }, { _id: 14, a: [] }, { _id: 15, a: {} }, { _id: 16, a: NaN }, { _id: 17, a: { b: 1 } }, { _id: 18, a: 'str' }];
  const FILTERS: Array<Record<string, unknown>> = [
    { a: 0 }, { a: -0 }, { a: '' }, { a: false }, { a: { $ne: 0 } }, { a: { $ne: '' } }, { a: { $in: [0, ''] } }, { a: { $nin: [false] } },
    { a: { $gt: 0 } }, { a: { $gte: -0 } }, { a: { $lt: '' } }, { a: { $gte: '' } }, { a: { $lte: 1e308 } }, { a: { $gt: 4 } }, { a: { $gt: '4' } },
    {}, { a: { $in: [] } }, { a: { $nin: [] } }, { toString: { $ne: 'x' } }, { hasOwnProperty: { $nin: [1] } }, { 'a.b': { $ne: 1 } }, { 'a.b': 1 }, { 'a.length': 3 },
    { $and: [{ a: 5 }, { a: { $gte: 5, $lt: 6 } }] }, { a: { $in: [5, '5'] } },
  ];
  for (const filter of FILTERS) {
    it(JSON.stringify(filter), () => {
      const test = compileFilter(filter);
      // Only a field named like an Object.prototype member (which mingo reads through) may be declined.
      if (test === undefined) {
        expect(Object.keys(filter).some((k) => k in Object.prototype), 'declined').toBe(true);
        return;
      }
      const query = new Query(filter);
      for (const doc of DOCS) {
        let verdict: boolean | undefined;
        try {
          verdict = test!(doc);
        } catch (e) {
          if (!(e instanceof Unsupported)) throw e;
        }
        if (verdict !== undefined) expect(verdict, JSON.stringify(doc)).toBe(query.test(doc));
      }
    });
  }
});
