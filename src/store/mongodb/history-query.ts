/**
 * HistoryQuery → MongoDB filter and sort on the `history` collection (pure, unit-testable).
 *
 * The port orders versions newest first by (lu, key, v), all descending, where key is
 * `${type}/${id}`. Resource types contain only letters and `/` sorts below every letter, so
 * ordering by the key string equals ordering by (type, id): the collection sorts and pages on the
 * separate `type` and `id` fields, which the history index covers (see indexes.ts).
 * FHIR R4 http.html#history: the entries are sorted with the oldest versions last.
 */
import type { Document } from 'mongodb';
import type { HistoryQuery, SortDocument } from '../port.js';

export const HISTORY_SORT: SortDocument = [
  ['lu', -1],
  ['type', -1],
  ['id', -1],
  ['v', -1],
];

export function historyFilter(query: HistoryQuery): Document {
  const clauses: Document[] = [];
  if (query.type !== undefined) clauses.push({ type: query.type });
  if (query.id !== undefined) clauses.push({ id: query.id });
  const lu: Document = {};
  if (query.since !== undefined) lu.$gte = query.since;
  if (query.before !== undefined) lu.$lt = query.before;
  if (Object.keys(lu).length > 0) clauses.push({ lu });
  if (query.after !== undefined) clauses.push(strictlyAfter(query.after));
  if (clauses.length === 0) return {};
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

/** Versions strictly after the cursor in (lu, type, id, v) descending order. */
function strictlyAfter(after: NonNullable<HistoryQuery['after']>): Document {
  const { type, id } = splitKey(after.key);
  return {
    $or: [
      { lu: { $lt: after.lu } },
      { lu: after.lu, type: { $lt: type } },
      { lu: after.lu, type, id: { $lt: id } },
      { lu: after.lu, type, id, v: { $lt: after.v } },
    ],
  };
}

export function splitKey(key: string): { type: string; id: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) {
    throw new Error('history cursor key must be "<type>/<id>"');
  }
  return { type: key.slice(0, slash), id: key.slice(slash + 1) };
}

/** `_id` of a row in the `history` collection. */
export function historyKey(record: { type: string; id: string; v: number }): string {
  return `${record.type}/${record.id}/${record.v}`;
}
