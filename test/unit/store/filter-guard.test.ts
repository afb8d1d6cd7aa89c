import { describe, expect, it } from 'vitest';
import { assertSafeFilter, assertSafeSort, UnsafeFilterError } from '../../../src/store/filter-guard.js';
import type { SortDocument } from '../../../src/store/port.js';

describe('assertSafeFilter', () => {
  it.each([
    ['an empty filter', {}],
    ['equality', { type: 'Patient', 'sp.patient': 'Patient/1' }],
    ['$elemMatch on tokens', { 'sp.identifier': { $elemMatch: { s: 'urn:mrn', c: '1' } } }],
    ['$regex with $options', { 'sp.name': { $elemMatch: { n: { $regex: '^smi', $options: 'i' } } } }],
    ['a RegExp value', { 'sp.name.n': /^smi/ }],
    ['nested logic', { $and: [{ $or: [{ a: { $in: [1, 2] } }, { b: { $not: { $gt: 3 } } }] }, { $nor: [{ c: null }] }] }],
    ['every other allowed operator', { a: { $eq: 1, $ne: 2, $gte: 0, $lt: 9, $lte: 8, $nin: [5], $exists: true, $size: 1, $all: ['x'] } }],
    ['a Date value', { at: { $lt: new Date(0) } }],
  ])('when the filter holds %s, then it is accepted', (_label, filter) => {
    expect(() => assertSafeFilter(filter)).not.toThrow();
  });

  it.each([
    ['$where at the root', { $where: 'sleep(1000)' }],
    ['$expr deep inside $and', { $and: [{ type: 'Patient' }, { $expr: { $eq: ['$a', '$b'] } }] }],
    ['$function inside $elemMatch', { 'sp.name': { $elemMatch: { $function: { body: 'x', args: [], lang: 'js' } } } }],
    ['$where inside an array element', { $or: [{ a: 1 }, { $where: 'true' }] }],
    ['a $ inside a field path', { 'sp.$name': 'x' }],
    ['a Map (serialised by BSON as a document)', { a: new Map([['$where', 'true']]) }],
    ['a class instance', { a: new (class Sneaky { $where = 'true'; })() }],
    ['a function value', { a: () => true }],
  ])('when the filter holds %s, then UnsafeFilterError is thrown', (_label, filter) => {
    expect(() => assertSafeFilter(filter)).toThrow(UnsafeFilterError);
  });

  it('when the filter is not a plain object, then it is refused', () => {
    expect(() => assertSafeFilter([{ a: 1 }])).toThrow(UnsafeFilterError);
    expect(() => assertSafeFilter('type=Patient')).toThrow(UnsafeFilterError);
  });

  it('when the filter is nested absurdly deep, then it is refused instead of overflowing the stack', () => {
    let filter: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 100; i++) filter = { $and: [filter] };
    expect(() => assertSafeFilter(filter)).toThrow(UnsafeFilterError);
  });

  it('when refusing a filter, then the message names the key path but not the values', () => {
    expect(() => assertSafeFilter({ 'sp.name': { $elemMatch: { $where: 'SECRET-VALUE' } } })).toThrow(
      /sp\.name\.\$elemMatch\.\$where/,
    );
    try {
      assertSafeFilter({ $where: 'SECRET-VALUE' });
    } catch (error) {
      expect(String(error)).not.toContain('SECRET-VALUE');
    }
  });
});

describe('assertSafeSort', () => {
  it('when sort fields are plain paths, then the sort is accepted', () => {
    expect(() => assertSafeSort([['so.family', 1], ['_id', -1]])).not.toThrow();
  });

  it.each([
    ['$natural', [['$natural', 1]]],
    ['a $meta path', [['score.$meta', 1]]],
    ['an empty field', [['', 1]]],
    ['a direction other than 1/-1', [['so.family', 0]]],
  ])('when the sort uses %s, then UnsafeFilterError is thrown', (_label, sort) => {
    expect(() => assertSafeSort(sort as SortDocument)).toThrow(UnsafeFilterError);
  });
});
