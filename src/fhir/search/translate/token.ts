/**
 * token parameters (R4 search.html §3.1.1.4.8): `code`, `system|code`, `|code` (no system), `system|`.
 * :not matches resources with no value equal to the token (including those with no value at all).
 */
import type { FilterDocument } from '../../../store/port.js';
import type { ParsedValue } from '../ir.js';

export function tokenMatch(value: Extract<ParsedValue, { kind: 'token' }>): FilterDocument {
  const m: FilterDocument = {};
  if (value.system !== undefined) m.s = value.system;
  if (value.noSystem) m.s = { $exists: false };
  if (value.code !== undefined) m.c = value.code;
  return m;
}

export function translateToken(field: string, modifier: string | undefined, value: Extract<ParsedValue, { kind: 'token' }>): FilterDocument {
  const match = { $elemMatch: tokenMatch(value) };
  return modifier === 'not' ? { [field]: { $not: match } } : { [field]: match };
}
