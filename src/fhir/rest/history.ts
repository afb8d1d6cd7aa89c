/**
 * history-instance, history-type, history-system (R4 http.html#history): newest first, `_since`,
 * `_count`, and keyset paging through a `_cursor` of the last entry's (lastUpdated, key, version).
 *
 * Access: an instance's history is a SMART `r` interaction (history-instance), a type's or the whole
 * system's is `s` (history-type), asked per row type for the system, so a caller simply does not see
 * the rows of types or compartments outside its Access.
 */
import { randomUUID } from 'node:crypto';
import type { BundleLink } from '@medplum/fhirtypes';
import type { StoredRecord } from '../../store/port.js';
import { badRequest, forbidden, notFound } from '../outcome.js';
import { dateRange } from '../search/date-range.js';
import { pageUrl, recordJsonFor, renderBundle } from '../search/bundle.js';
import { assertKnownType, assertValidId } from './resource-input.js';
import { compartmentsOf, visibleTo } from './visibility.js';
import type { Interaction } from '../access.js';
import type { FhirContext, FhirResponse } from './types.js';

interface HistoryCursor {
  lu: number;
  key: string;
  v: number;
}

function decode(raw: string): HistoryCursor {
  try {
    const [lu, key, v] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof lu === 'number' && typeof key === 'string' && typeof v === 'number') return { lu, key, v };
  } catch {
    // fall through
  }
  throw badRequest('Invalid _cursor (use the links of a previous page)', ['_cursor']);
}

const encode = (r: StoredRecord): string => Buffer.from(JSON.stringify([r.lu, r._id, r.v]), 'utf8').toString('base64url');

export async function history(ctx: FhirContext, type: string | undefined, id: string | undefined, query: Array<[string, string]>): Promise<FhirResponse> {
  if (type !== undefined) assertKnownType(ctx, type);
  if (id !== undefined) assertValidId(id);
  const interaction: Interaction = id !== undefined ? 'history-instance' : 'history-type';
  if (type !== undefined && !ctx.access.allows(type, interaction)) throw forbidden(`Not allowed to read the history of ${type}`);
  let since: number | undefined;
  let count = ctx.limits.defaultCount;
  let after: HistoryCursor | undefined;
  const used: Array<[string, string]> = [];
  for (const [name, value] of query) {
    if (name === '_since') {
      const r = dateRange(value);
      if (!r || !/T/.test(value)) throw badRequest(`_since must be an instant, e.g. 2024-01-01T00:00:00Z`, ['_since']);
      since = r.lo;
      used.push([name, value]);
    } else if (name === '_count') {
      if (!/^\d{1,7}$/.test(value)) throw badRequest('_count must be a non-negative integer', ['_count']);
      count = Math.min(Number(value), ctx.limits.maxCount);
      used.push([name, String(count)]);
    } else if (name === '_cursor') {
      after = decode(value);
    }
  }
  if (type !== undefined && id !== undefined) {
    const current = await ctx.store.current(type, id);
    if (!current || !visibleTo(ctx, current, interaction)) throw notFound(`${type}/${id} is not known`);
  }
  const rows = await ctx.store.history({ type, id, since, after, limit: count + 1 });
  // Only what the caller may see is shown; the next cursor continues after the last row *examined*, so
  // hidden rows shorten a page but never stop paging.
  const examined = rows.slice(0, count);
  const pageRows = examined.filter((r) => (type !== undefined || ctx.access.allows(r.type, interaction)) && visibleTo(ctx, r, interaction));
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(ctx.baseUrl, path, after ? [...used, ['_cursor', encode({ lu: after.lu, _id: after.key, v: after.v } as StoredRecord)]] : used) }];
  if (rows.length > count && examined.length > 0) {
    links.push({ relation: 'next', url: pageUrl(ctx.baseUrl, path, [...used, ['_cursor', encode(examined[examined.length - 1])]]) });
  }
  const entries = pageRows.map((r) => {
    const isCreate = r.v === 1;
    return {
      fullUrl: `${ctx.baseUrl}/${r._id}`,
      resource: recordJsonFor(ctx.access, r),
      request: { method: r.del ? 'DELETE' : isCreate ? 'POST' : 'PUT', url: r.del || !isCreate ? r._id : r.type },
      response: { status: r.del ? '204' : isCreate ? '201' : '200', etag: `W/"${r.v}"`, lastModified: new Date(r.lu).toISOString() },
    };
  });
  const json = renderBundle({ id: randomUUID(), type: 'history', lastUpdated: ctx.clock().toISOString(), link: links }, entries);
  return { status: 200, json, headers: {}, compartments: compartmentsOf(pageRows) };
}
