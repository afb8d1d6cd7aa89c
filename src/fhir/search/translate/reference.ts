/**
 * reference parameters (R4 search.html §3.1.1.4.10): stored as "Type/id" (or the absolute URL of an
 * external reference); a bare id was expanded by the parser to every allowed target type.
 */
import type { FilterDocument } from '../../../store/port.js';
import type { ParsedValue } from '../ir.js';

export function translateReference(field: string, value: Extract<ParsedValue, { kind: 'reference' }>): FilterDocument {
  return value.refs.length === 1 ? { [field]: value.refs[0] } : { [field]: { $in: value.refs } };
}
