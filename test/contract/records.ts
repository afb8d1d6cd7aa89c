/**
 * Tiny StoredRecord builders for the store contract: just enough of a record for a store to keep,
 * filter and sort. Index values are given already extracted (the translator's shapes in port.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexValue, StoredRecord } from '../../src/store/port.js';

export interface RecordParts {
  v?: number;
  lu?: number;
  sp?: Record<string, IndexValue[]>;
  so?: Record<string, string | number | null>;
  cmp?: string[];
}

/** Default lastUpdated: 2024-01-01T00:00:00Z. */
const DEFAULT_LU = Date.UTC(2024, 0, 1);

export function aRecord(type: string, id: string, parts: RecordParts = {}): StoredRecord {
  const v = parts.v ?? 1;
  const lu = parts.lu ?? DEFAULT_LU;
  return {
    _id: `${type}/${id}`,
    type,
    id,
    v,
    lu,
    del: false,
    res: aResource(type, id, v, lu),
    sp: parts.sp ?? {},
    so: parts.so ?? {},
    cmp: parts.cmp ?? [],
  };
}

/** The next version of a record, with new parts merged over the old ones. */
export function nextVersion(previous: StoredRecord, parts: RecordParts = {}): StoredRecord {
  return aRecord(previous.type, previous.id, {
    sp: previous.sp,
    so: previous.so,
    cmp: previous.cmp,
    ...parts,
    v: parts.v ?? previous.v + 1,
    lu: parts.lu ?? previous.lu + 1000,
  });
}

/**
 * The delete tombstone that follows a record. It keeps the old index values on purpose: a store
 * must hide it from find/count through `del`, not because its index values are gone.
 */
export function aTombstone(previous: StoredRecord, lu = previous.lu + 1000): StoredRecord {
  const { res: _dropped, ...rest } = previous;
  return { ...rest, v: previous.v + 1, lu, del: true };
}

export function ids(records: readonly StoredRecord[]): string[] {
  return records.map((record) => record._id);
}

/** Epoch ms of an ISO date-time (UTC). */
export function ms(isoDateTime: string): number {
  return Date.parse(isoDateTime);
}

function aResource(type: string, id: string, v: number, lu: number): Resource {
  // Only the fields a store must round-trip untouched; the store never interprets `res`.
  return {
    resourceType: type,
    id,
    meta: { versionId: String(v), lastUpdated: new Date(lu).toISOString() },
  } as Resource;
}
