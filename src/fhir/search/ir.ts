/**
 * The intermediate representation of a FHIR search, between parse (request → IR) and
 * translate (IR → MongoDB filter document). Every value in here has been validated and typed.
 */
import type { SearchParamDef } from './registry.js';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export type ParsedValue =
  | { kind: 'string'; text: string }
  | { kind: 'token'; system?: string; code?: string; noSystem?: boolean }
  | { kind: 'reference'; refs: string[] }
  | { kind: 'date'; prefix: Prefix; lo: number; hi: number }
  | { kind: 'number'; prefix: Prefix; value: number; lo: number; hi: number; system?: string; code?: string }
  | { kind: 'uri'; uri: string }
  | { kind: 'missing'; missing: boolean };

/** One parameter occurrence: its values are ORed; clauses are ANDed. */
export interface Clause {
  param: SearchParamDef;
  modifier?: string;
  values: ParsedValue[];
}

export interface IncludeSpec {
  sourceType: string;
  param: string; // code or '*'
  targetType?: string;
  iterate: boolean;
}

export interface SortKey {
  code: string;
  field: string; // the stored field: 'id', 'lu' or 'so.<code>'
  direction: 1 | -1;
}

export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface SearchIR {
  type: string;
  clauses: Clause[];
  sort: SortKey[];
  count: number;
  total: TotalMode;
  summary?: 'count' | 'data' | 'text' | 'true' | 'false';
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Continuation from a previous page. */
  cursor?: Cursor;
  /** Parameters understood, in canonical form, for the self link. */
  used: Array<[string, string]>;
  /** Parameters ignored under lenient handling, reported in the self link and an outcome. */
  ignored: Array<[string, string, string]>; // name, value, reason
}

/** Keyset cursor: sort-key values of the last (or first, for 'prev') record of the page, and its _id. */
export interface Cursor {
  dir: 'next' | 'prev';
  keys: Array<string | number | null>;
  id: string;
}
