/** uri parameters (R4 search.html §3.1.1.4.13): exact match; :below matches the value as a path prefix. */
import type { FilterDocument } from '../../../store/port.js';
import { escapeRegex } from './regex.js';

export function translateUri(field: string, modifier: string | undefined, uri: string): FilterDocument {
  if (modifier === 'below') return { [field]: { $regex: `^${escapeRegex(uri)}` } };
  return { [field]: uri };
}
