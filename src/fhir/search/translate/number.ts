/**
 * number and quantity parameters (R4 search.html §3.1.1.4.3, §3.1.1.4.9): the search value has an
 * implicit precision range [lo, hi); eq means the stored value lies within it. Quantity adds system
 * and code (or a unit when no system is given).
 */
import type { FilterDocument } from '../../../store/port.js';
import type { ParsedValue } from '../ir.js';

export function translateNumber(field: string, value: Extract<ParsedValue, { kind: 'number' }>): FilterDocument {
  const m: FilterDocument = {};
  switch (value.prefix) {
    case 'eq':
      m.v = { $gte: value.lo, $lt: value.hi };
      break;
    case 'ne':
      m.$or = [{ v: { $lt: value.lo } }, { v: { $gte: value.hi } }];
      break;
    case 'gt':
    case 'sa':
      m.v = { $gt: value.value };
      break;
    case 'lt':
    case 'eb':
      m.v = { $lt: value.value };
      break;
    case 'ge':
      m.v = { $gte: value.value };
      break;
    case 'le':
      m.v = { $lte: value.value };
      break;
    case 'ap': {
      // Within 10% of the value (R4 search.html §3.1.1.4.1), whatever its sign.
      const margin = Math.abs(value.value) * 0.1;
      m.v = { $gte: value.value - margin, $lte: value.value + margin };
      break;
    }
  }
  if (value.system !== undefined) m.s = value.system;
  if (value.code !== undefined) {
    if (value.system !== undefined) m.c = value.code;
    else m.$and = [{ $or: [{ c: value.code }, { u: value.code }] }];
  }
  return { [field]: { $elemMatch: m } };
}
