/**
 * The MongoDB history filter and sort cannot run against a server here, so they are evaluated
 * with mingo (MongoDB query semantics in process) and compared with the order the port defines.
 */
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { HISTORY_SORT, historyFilter, historyKey, splitKey } from '../../../../src/store/mongodb/history-query.js';
import type { HistoryQuery } from '../../../../src/store/port.js';

interface Row {
  type: string;
  id: string;
  v: number;
  lu: number;
}

// Ties on lu across types, across ids where one id is a prefix of another and ids holding
// '-' and '.' (which sort below '/'), and between two versions of one resource.
const rows: Row[] = [
  { type: 'Claim', id: 'a', v: 1, lu: 10 },
  { type: 'ClaimResponse', id: 'a', v: 1, lu: 10 },
  { type: 'Patient', id: 'a', v: 1, lu: 10 },
  { type: 'Patient', id: 'a-b', v: 1, lu: 10 },
  { type: 'Patient', id: 'a.b', v: 1, lu: 10 },
  { type: 'Patient', id: 'ab', v: 1, lu: 10 },
  { type: 'Patient', id: 'a', v: 2, lu: 20 },
  { type: 'Patient', id: 'a', v: 3, lu: 20 },
  { type: 'Patient', id: 'z', v: 1, lu: 5 },
];

/** The port's order: lu, then the `${type}/${id}` string, then v, all descending. */
function portOrder(a: Row, b: Row): number {
  const key = (r: Row): string => `${r.type}/${r.id}`;
  if (a.lu !== b.lu) return b.lu - a.lu;
  if (key(a) !== key(b)) return key(a) < key(b) ? 1 : -1;
  return b.v - a.v;
}

/** Evaluates the adapter's filter and sort the way the server would. */
function run(query: HistoryQuery): string[] {
  const filter = historyFilter(query);
  const sort = Object.fromEntries(HISTORY_SORT) as Record<string, 1 | -1>;
  const cursor = new Query(filter).find<Row>(rows).sort(sort).limit(query.limit);
  return cursor.all().map(historyKey);
}

const expected = [...rows].sort(portOrder).map(historyKey);

describe('historyFilter and HISTORY_SORT', () => {
  it("when sorting on (lu, type, id, v), then the order equals the port's (lu, `type/id`, v) order", () => {
    expect(run({ limit: 100 })).toEqual(expected);
  });

  it('when continuing after any row, then exactly the rows after it follow', () => {
    const ordered = [...rows].sort(portOrder);
    ordered.forEach((row, index) => {
      const after = { lu: row.lu, key: `${row.type}/${row.id}`, v: row.v };
      expect(run({ limit: 100, after })).toEqual(expected.slice(index + 1));
    });
  });

  it('when type, id, since and before are given, then they restrict the rows', () => {
    expect(run({ type: 'Patient', id: 'a', limit: 100 })).toEqual(['Patient/a/3', 'Patient/a/2', 'Patient/a/1']);
    const atTen = [...rows].filter((r) => r.lu === 10).sort(portOrder).map(historyKey);
    expect(run({ since: 10, before: 20, limit: 100 })).toEqual(atTen);
  });

  it('when no criteria are given, then the filter is empty', () => {
    expect(historyFilter({ limit: 5 })).toEqual({});
  });

  it('when a cursor key is not "<type>/<id>", then it is refused', () => {
    expect(() => splitKey('Patient')).toThrow();
    expect(() => splitKey('/1')).toThrow();
    expect(() => splitKey('Patient/')).toThrow();
    expect(splitKey('Patient/a/b')).toEqual({ type: 'Patient', id: 'a/b' });
  });
});
