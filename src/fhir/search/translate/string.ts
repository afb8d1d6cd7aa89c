/**
 * string parameters (R4 search.html §3.1.1.4.7): default = starts with, case- and accent-insensitive;
 * :exact = whole value, case-sensitive; :contains = anywhere, case- and accent-insensitive.
 */
import type { FilterDocument } from '../../../store/port.js';
import type { ParsedValue } from '../ir.js';
import { normaliseString } from '../normalise.js';
import { escapeRegex } from './regex.js';

export function translateString(field: string, modifier: string | undefined, value: Extract<ParsedValue, { kind: 'string' }>): FilterDocument {
  if (modifier === 'exact') return { [`${field}.e`]: value.text };
  const norm = escapeRegex(normaliseString(value.text));
  return { [`${field}.n`]: { $regex: modifier === 'contains' ? norm : `^${norm}` } };
}
