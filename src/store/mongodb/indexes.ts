/**
 * Indexes the MongoDB adapter needs, created at startup. `createIndexes` is idempotent for an
 * identical key pattern and options, so every instance behind the load balancer may run it; on an
 * existing large collection the first build runs on the server without blocking reads/writes
 * (MongoDB 4.2+ index builds).
 *
 * Not indexed on purpose: `so.*` sort keys (one index per sortable parameter would multiply write
 * cost; sorts run after an indexed filter has narrowed the set), except the one the annual metrics
 * select by, and `res` (never queried).
 */
import type { Collection, IndexDescription } from 'mongodb';
import type { StoredRecord } from '../port.js';

/** Current records (`resources`). Every find also ANDs `{ del: false }`, which is selective enough as a residual. */
export const RESOURCE_INDEXES: readonly IndexDescription[] = [
  // Type-level searches without a selective parameter and `_sort=-_lastUpdated`, the most common
  // default order; also `_lastUpdated` ranges and Bulk Data `_since` per `_type` (Bulk Data 2.0 §export).
  { key: { type: 1, lu: -1 } },
  // `patient=` on clinical, claims and PA resources (US Core, C4BB, PDex searches); multikey.
  { key: { 'sp.patient': 1 } },
  // `subject=` (Observation, Condition, DocumentReference…), the same role as `patient`.
  { key: { 'sp.subject': 1 } },
  // `identifier=system|value` (member ID, NPI, PA tracking number, $member-match). Both fields sit in
  // the same array of token objects, which MongoDB allows in one compound multikey index; a query
  // with only `c` cannot use it, but the translator always sends the code and usually the system.
  { key: { 'sp.identifier.s': 1, 'sp.identifier.c': 1 } },
  // Compartment filters ANDed into every member/provider query (FHIR R4 §compartmentdefinition,
  // Patient/$everything, Group export), narrowed by type.
  { key: { cmp: 1, type: 1 } },
  // `_id=` searches and includes resolve by type + id (the `_id` key also covers exact reads).
  { key: { type: 1, id: 1 } },
  // The annual PA metrics (apis/metrics): a year's PAS ClaimResponses by submission instant, so the
  // report reads that year's requests, not every ClaimResponse. Partial: only ClaimResponses carry it,
  // so other writes pay nothing; the metrics filter names the type, which lets MongoDB use it.
  { key: { 'so.pa-submitted': 1 }, name: 'pa_submitted', partialFilterExpression: { type: 'ClaimResponse' } },
];

/** Every version (`history`). */
export const HISTORY_INDEXES: readonly IndexDescription[] = [
  // Instance history (`Patient/1/_history`) in version order; `version()` reads by `_id` instead.
  { key: { type: 1, id: 1, v: -1 } },
  // Type and system history, newest first, `_since` / `_before` and the paging cursor. A plain
  // `{ lu: -1 }` would serve the range, but the full key of the port's history order (lu, type, id, v,
  // all descending) lets the server return each page straight from the index, without sorting ties.
  { key: { lu: -1, type: -1, id: -1, v: -1 } },
];

export async function ensureIndexes(
  resources: Collection<StoredRecord>,
  history: Collection<StoredRecord>,
): Promise<void> {
  await resources.createIndexes([...RESOURCE_INDEXES]);
  await history.createIndexes([...HISTORY_INDEXES]);
}
