/**
 * The embedded store's compiled aggregation path (src/store/embedded/fast-pipeline.ts) against mingo, its
 * reference: on seeded random documents (missing, null, numbers, strings, booleans, arrays of objects and
 * scalars), every pipeline either gives exactly mingo's answer or declines (undefined at compile time,
 * Unsupported at run time). Each pipeline here is also required to take the fast path on at least most
 * data sets, so the comparisons are not vacuous.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator, Query } from 'mingo';
import { Unsupported, compileFilter, compilePipeline, type Doc } from '../../../src/store/embedded/fast-pipeline.js';
import { Rng } from '../../../src/synthetic/prng.js';

/** A seeded stream of uniform numbers in [0, 1) (the synthetic data's generator). */
function prng(seed: number): () => number {
  const rng = Rng.derive(seed, 'fast-pipeline');
  return () => rng.next();
}

function docsOf(seed: number, n: number, messy: boolean): Doc[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const maybe = (d: Doc, k: string, v: () => unknown, pMissing = 0.15): void => {
    if (rand() >= pMissing) d[k] = v();
  };
  const out: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const d: Doc = { _id: `d${String(i).padStart(4, '0')}` };
    maybe(d, 'a', () => pick(['x', 'y', 'z', '', null, ...(messy ? [3, true, false] : [])]));
    maybe(d, 'n', () => (rand() < 0.1 ? null : rand() < 0.5 ? Math.floor(rand() * 20) - 5 : Math.round(rand() * 1000) / 10));
    maybe(d, 'm', () => (messy && rand() < 0.1 ? 'text' : Math.floor(rand() * 100_000)));
    d.so = {};
    maybe(d.so as Doc, 'p', () => pick(['standard', 'expedited', null]));
    maybe(d.so as Doc, 'd', () => pick(['approved', 'partially-approved', 'denied', 'pended', 'withdrawn']));
    maybe(d.so as Doc, 'e', () => pick(['true', 'false']), 0.5);
    maybe(d.so as Doc, 's', () => 1_700_000_000_000 + Math.floor(rand() * 1e9));
    maybe(d.so as Doc, 't', () => 1_700_000_000_000 + Math.floor(rand() * 2e9));
    maybe(d, 'arr', () => Array.from({ length: Math.floor(rand() * 4) }, () => (rand() < 0.8 ? { lo: Math.floor(rand() * 10 * 86_400_000), ...(rand() < 0.3 ? { hi: 1 } : {}) } : messy ? pick([7, 'q', [{ lo: 1 }]]) : { z: 1 })));
    maybe(d, 'tags', () => Array.from({ length: Math.floor(rand() * 3) }, () => pick(['p1', 'p2', 'p3', 'p4'])));
    if (messy && rand() < 0.05) d.n = Number.NaN;
    out.push(d);
  }
  return out;
}

const DETERMINED = ['approved', 'partially-approved', 'denied'];
const H = 3_600_000;

/** Pipelines inside the subset: the fast path must run them (on clean data) and agree with mingo. */
const INSIDE: Array<[string, Array<Record<string, unknown>>]> = [
  ['group by a scalar, count and sum', [{ $group: { _id: '$a', c: { $sum: 1 }, s: { $sum: '$n' } } }]],
  ['group by an object key', [{ $group: { _id: { p: '$so.p', d: '$so.d', e: '$so.e' }, c: { $sum: 1 } } }]],
  ['group by null', [{ $group: { _id: null, c: { $sum: 2 }, s: { $sum: '$m' } } }]],
  ['project with arithmetic', [{ $project: { p: '$so.p', ms: { $subtract: ['$so.t', '$so.s'] }, h: { $floor: { $divide: ['$m', 7] } } } }]],
  ['project inclusion and _id: 0', [{ $project: { _id: 0, a: 1, n: 1, x: '$missing' } }]],
  ['project a computed _id', [{ $project: { _id: '$so.d', a: 1 } }]],
  ['$cond both forms, $eq, $ne, $in, $ifNull', [{ $project: { c1: { $cond: [{ $eq: ['$so.p', 'expedited'] }, 1, 0] }, c2: { $cond: { if: { $in: ['$so.d', DETERMINED] }, then: { $ifNull: ['$m', 0] }, else: -1 } }, c3: { $cond: ['$a', 'yes', 'no'] }, c4: { $ne: ['$a', null] }, c5: { $eq: ['$missing', null] }, c6: { $in: ['$a', [null, 'x']] } } }]],
  ['$literal and object and array expressions', [{ $project: { l: { $literal: '$notapath' }, o: { $ifNull: [null, { k: '$a', j: [1, '$n'] }] } } }]],
  ['field paths through arrays, $arrayElemAt', [{ $project: { los: '$arr.lo', first: { $arrayElemAt: ['$arr.lo', 0] }, last: { $arrayElemAt: ['$arr.lo', -1] } } }]],
  ['match equality, $ne, $in, $nin, ranges, $and', [{ $match: { 'so.d': { $in: DETERMINED }, 'so.e': { $ne: 'true' }, $and: [{ m: { $gte: 1000, $lt: 90_000 } }, { a: { $nin: ['z'] } }] } }, { $project: { _id: 1 } }]],
  ['match ordering of strings', [{ $match: { a: { $gt: 'x' } } }, { $count: 'n' }]],
  ['sort (missing, null, numbers, strings), skip, limit', [{ $sort: { a: 1, n: -1, _id: 1 } }, { $skip: 3 }, { $limit: 40 }, { $project: { a: 1, n: 1 } }]],
  ['sort on a nested field with ties kept in order', [{ $sort: { 'so.p': -1 } }, { $project: { _id: 1 } }]],
  ['count on nothing', [{ $match: { a: 'none' } }, { $count: 'n' }]],
  ['group on nothing', [{ $match: { a: 'none' } }, { $group: { _id: null, c: { $sum: 1 } } }]],
  ['unwind', [{ $project: { tags: 1, a: 1 } }, { $unwind: '$tags' }, { $group: { _id: { t: '$tags', a: '$a' }, c: { $sum: 1 } } }]],
  ['bucket with default and output', [{ $bucket: { groupBy: '$m', boundaries: [0, 100, 5000, 50_000, 90_000], default: 'other', output: { c: { $sum: 1 }, s: { $sum: '$n' } } } }]],
  ['bucket without output', [{ $match: { m: { $gte: 0 } } }, { $bucket: { groupBy: '$m', boundaries: [0, 50_000, 100_000] } }]],
  ['facet over raw documents, facet over nothing', [{ $facet: { all: [{ $count: 'n' }], none: [{ $match: { a: 'none' } }, { $count: 'n' }], firsts: [{ $sort: { _id: -1 } }, { $limit: 2 }] } }]],
  [
    'the annual report pipeline (metrics.ts)',
    [
      { $project: { priority: '$so.p', decision: '$so.d', extended: '$so.e', ms: { $subtract: ['$so.t', '$so.s'] } } },
      {
        $facet: {
          groups: [{ $group: { _id: { priority: '$priority', decision: '$decision', extended: '$extended' }, n: { $sum: 1 }, ms: { $sum: { $cond: [{ $in: ['$decision', DETERMINED] }, { $ifNull: ['$ms', 0] }, 0] } } } }],
          buckets: [{ $match: { decision: { $in: DETERMINED } } }, { $bucket: { groupBy: '$ms', boundaries: [Number.MIN_SAFE_INTEGER, 24 * H + 1, 72 * H + 1, 168 * H + 1], default: 'more', output: { standard: { $sum: { $cond: [{ $eq: ['$priority', 'expedited'] }, 0, 1] } } } } }],
          median: [{ $match: { priority: { $ne: 'expedited' }, decision: { $in: DETERMINED } } }, { $sort: { ms: 1, _id: 1 } }, { $skip: 10 }, { $limit: 2 }],
        },
      },
    ],
  ],
  [
    'the usage pipeline (metrics.ts)',
    [
      { $project: { patient: '$tags', day: { $floor: { $divide: [{ $arrayElemAt: ['$arr.lo', 0] }, 86_400_000] } } } },
      { $unwind: '$patient' },
      { $group: { _id: { patient: '$patient', day: '$day' } } },
      { $group: { _id: '$_id.patient', days: { $sum: 1 } } },
      { $facet: { members: [{ $count: 'n' }], repeat: [{ $match: { days: { $gt: 1 } } }, { $count: 'n' }], days: [{ $group: { _id: null, n: { $sum: '$days' } } }] } },
    ],
  ],
];

/** Outside the subset: declined at compile time (mingo runs them). */
const OUTSIDE: Array<[string, Array<Record<string, unknown>>]> = [
  ['$addFields', [{ $addFields: { x: 1 } }]],
  ['$avg', [{ $group: { _id: null, x: { $avg: '$n' } } }]],
  ['variables', [{ $project: { x: '$$ROOT' } }]],
  ['exclusion projection', [{ $project: { a: 0 } }]],
  ['dotted projection', [{ $project: { 'a.b': 1 } }]],
  ['$elemMatch', [{ $match: { arr: { $elemMatch: { lo: 1 } } } }]],
  ['$or', [{ $match: { $or: [{ a: 'x' }, { a: 'y' }] } }]],
  ['null in a query', [{ $match: { a: null } }]],
  ['a prototype key', [{ $project: { x: '$constructor' } }]],
  ['an index in a path', [{ $project: { x: '$arr.0.lo' } }]],
  ['unwind object form', [{ $unwind: { path: '$tags' } }]],
  ['facet in facet', [{ $facet: { a: [{ $facet: { b: [] } }] } }]],
  ['unsorted boundaries', [{ $bucket: { groupBy: '$n', boundaries: [5, 1], default: 'x' } }]],
];

function viaMingo(pipeline: Array<Record<string, unknown>>, docs: Doc[]): unknown {
  return new Aggregator(pipeline).run(structuredClone(docs));
}

describe('compiled aggregation pipelines agree with mingo', () => {
  for (const [name, pipeline] of INSIDE) {
    it(name, () => {
      const run = compilePipeline(pipeline);
      expect(run, 'compiles').toBeTypeOf('function');
      let ran = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const messy = seed > 12;
        const docs = docsOf(seed, seed % 5 === 0 ? 3 : 160, messy);
        const before = structuredClone(docs);
        let fast: Doc[] | undefined;
        try {
          fast = run!(docs);
        } catch (e) {
          if (!(e instanceof Unsupported)) throw e;
          // Declining is allowed on messy data only; on clean data the fast path must run.
          expect(messy, `declined clean data: ${(e as Error).message}`).toBe(true);
        }
        expect(docs, 'inputs unchanged').toEqual(before);
        if (fast === undefined) continue;
        ran++;
        expect(fast).toEqual(viaMingo(pipeline, docs));
      }
      expect(ran).toBeGreaterThanOrEqual(12);
    });
  }

  for (const [name, pipeline] of OUTSIDE) {
    it(`declines ${name}`, () => {
      expect(compilePipeline(pipeline)).toBeUndefined();
    });
  }

  it('declines at run time what mingo answers differently or refuses: NaN, nested arrays, non-numbers in arithmetic', () => {
    const cases: Array<[Array<Record<string, unknown>>, Doc[]]> = [
      [[{ $group: { _id: '$n', c: { $sum: 1 } } }], [{ _id: 1, n: Number.NaN }]],
      [[{ $project: { x: '$arr.lo' } }], [{ _id: 1, arr: [[{ lo: 1 }]] }]],
      [[{ $project: { x: { $subtract: ['$a', 1] } } }], [{ _id: 1, a: 'text' }]],
      [[{ $project: { x: { $divide: ['$n', 0] } } }], [{ _id: 1, n: 4 }]],
      [[{ $match: { tags: 'p1' } }], [{ _id: 1, tags: ['p1'] }]],
      [[{ $group: { _id: { t: '$tags' }, c: { $sum: 1 } } }], [{ _id: 1, tags: ['p1'] }]],
      [[{ $bucket: { groupBy: '$n', boundaries: [0, 1] } }], [{ _id: 1, n: 5 }]],
    ];
    for (const [pipeline, docs] of cases) {
      const run = compilePipeline(pipeline);
      expect(run).toBeTypeOf('function');
      expect(() => run!(docs), JSON.stringify(pipeline)).toThrow(Unsupported);
    }
  });

  it('hands input documents out through toPlain wherever they leave unchanged or are copied', () => {
    const docs: Doc[] = [{ _id: 'a', tags: ['x', 'y'] }, { _id: 'b' }];
    const inputs = new Set(docs);
    const seen: unknown[] = [];
    const toPlain = (d: Doc): Doc => {
      if (!inputs.has(d)) return d;
      seen.push(d._id);
      return { ...d, plain: true };
    };
    expect(compilePipeline([{ $sort: { _id: -1 } }], { toPlain })!(docs)).toEqual([{ _id: 'b', plain: true }, { _id: 'a', tags: ['x', 'y'], plain: true }]);
    expect(compilePipeline([{ $unwind: '$tags' }], { toPlain })!(docs)).toEqual([{ _id: 'a', tags: 'x', plain: true }, { _id: 'a', tags: 'y', plain: true }]);
    expect(compilePipeline([{ $facet: { f: [{ $limit: 1 }] } }], { toPlain })!(docs)).toEqual([{ f: [{ _id: 'a', tags: ['x', 'y'], plain: true }] }]);
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe('compiled filters agree with mingo', () => {
  const FILTERS: Array<Record<string, unknown>> = [
    { a: 'x' },
    { a: '' },
    { n: 3 },
    { a: true },
    { 'so.p': 'expedited', 'so.d': { $in: DETERMINED } },
    { 'so.e': { $ne: 'true' }, m: { $gt: 10_000, $lte: 80_000 } },
    { 'so.s': { $gte: 1_700_000_300_000, $lt: 1_700_000_700_000 } },
    { a: { $nin: ['x', 'y'] }, n: { $lt: 2.5 } },
    { $and: [{ a: { $gte: 'y' } }, { 'so.missing': { $ne: 'q' } }] },
    { 'arr.lo': { $gt: 0 } },
  ];
  for (const filter of FILTERS) {
    it(JSON.stringify(filter), () => {
      const fast = compileFilter(filter);
      expect(fast, 'compiles').toBeTypeOf('function');
      const query = new Query(filter);
      let judged = 0;
      for (let seed = 1; seed <= 8; seed++) {
        for (const doc of docsOf(seed, 120, seed > 4)) {
          let verdict: boolean | undefined;
          try {
            verdict = fast!(doc);
          } catch (e) {
            if (!(e instanceof Unsupported)) throw e;
          }
          if (verdict === undefined) continue;
          judged++;
          expect(verdict, JSON.stringify(doc)).toBe(query.test(doc));
        }
      }
      expect(judged).toBeGreaterThan(filter['arr.lo'] ? 0 : 800);
    });
  }

  it('declines filters outside the subset', () => {
    for (const f of [{ a: null }, { a: { $exists: true } }, { $or: [{ a: 'x' }] }, { a: { $regex: 'x' } }, { a: { b: 1 } }, { a: { $in: [null] } }, { a: { $gt: true } }]) expect(compileFilter(f), JSON.stringify(f)).toBeUndefined();
  });
});
