/**
 * date parameters (R4 search.html §3.1.1.4.6 and the prefix table §3.1.1.4.1). Both the search value
 * and each stored value are ranges [lo, hi]; the prefixes compare ranges:
 *   eq: stored range within search range      ne: not eq
 *   gt: stored hi > search hi                  lt: stored lo < search lo
 *   ge: stored hi >= search lo                 le: stored lo <= search hi
 *   sa: stored lo > search hi                  eb: stored hi < search lo
 *   ap: overlaps the search range widened by 10% of its distance from now (at least a day)
 */
import type { FilterDocument } from '../../../store/port.js';
import type { Prefix } from '../ir.js';

export function rangeCondition(prefix: Prefix, lo: number, hi: number, now: number): FilterDocument {
  switch (prefix) {
    case 'eq':
      return { lo: { $gte: lo }, hi: { $lte: hi } };
    case 'ne':
      return { $or: [{ lo: { $lt: lo } }, { hi: { $gt: hi } }] };
    case 'gt':
      return { hi: { $gt: hi } };
    case 'lt':
      return { lo: { $lt: lo } };
    case 'ge':
      return { hi: { $gte: lo } };
    case 'le':
      return { lo: { $lte: hi } };
    case 'sa':
      return { lo: { $gt: hi } };
    case 'eb':
      return { hi: { $lt: lo } };
    case 'ap': {
      const margin = Math.max(86_400_000, Math.abs(now - lo) * 0.1);
      return { lo: { $lte: hi + margin }, hi: { $gte: lo - margin } };
    }
  }
}

export function translateDate(field: string, prefix: Prefix, lo: number, hi: number, now: number): FilterDocument {
  return { [field]: { $elemMatch: rangeCondition(prefix, lo, hi, now) } };
}
