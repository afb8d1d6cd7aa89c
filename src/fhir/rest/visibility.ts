/**
 * Whether the caller's Access admits one stored record, evaluated like a store query (mingo), and the
 * compartments a response discloses. Every handler that serves or overwrites a record it fetched by key
 * (read, vread, history, update, patch, delete) asks here, so a record outside the caller's compartment
 * is treated exactly like an unknown one.
 */
import { Query } from 'mingo';
import type { FilterDocument, StoredRecord } from '../../store/port.js';
import type { Interaction } from '../access.js';
import type { FhirContext } from './types.js';

/**
 * Compiled queries per filter object: an Access hands out the same filter object for a (type,
 * interaction), so a page of history rows compiles it once. Weak keys: a filter dies with its Access.
 */
const compiled = new WeakMap<FilterDocument, Query>();

function queryOf(filter: FilterDocument): Query {
  let q = compiled.get(filter);
  if (!q) {
    q = new Query(filter);
    compiled.set(filter, q);
  }
  return q;
}

/** True when the caller's filter for this interaction admits the record. */
export function visibleTo(ctx: FhirContext, record: StoredRecord, interaction: Interaction): boolean {
  const filter = ctx.access.filterFor(record.type, interaction);
  return filter === undefined || queryOf(filter).test(record as unknown as Record<string, unknown>);
}

/** The union of the compartments of the records a response discloses, first-seen order. */
export function compartmentsOf(records: Iterable<StoredRecord | undefined>): string[] {
  const out = new Set<string>();
  for (const r of records) for (const c of r?.cmp ?? []) out.add(c);
  return [...out];
}

/** The union of several responses' compartments (batch and transaction). */
export function unionCompartments(lists: Iterable<readonly string[] | undefined>): string[] {
  const out = new Set<string>();
  for (const l of lists) for (const c of l ?? []) out.add(c);
  return [...out];
}
