/**
 * search-type (R4 http.html#search): parse → IR → filter document (ANDed with the caller's Access
 * filter) → store.find → includes → searchset Bundle with keyset paging links.
 */
import type { BundleLink } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import type { FilterDocument, StoredRecord } from '../../store/port.js';
import { forbidden } from '../outcome.js';
import { effectiveSort, encodeCursor, keysetFilter, reversedKeys } from '../search/cursor.js';
import { resolveIncludes } from '../search/include.js';
import type { Cursor, SearchIR, SortKey } from '../search/ir.js';
import { parseSearch } from '../search/parse.js';
import { translateSearch } from '../search/translate/index.js';
import { pageUrl, recordJsonFor, renderBundle, subsetResource, type BundleEntryText } from '../search/bundle.js';
import { assertKnownType } from './resource-input.js';
import { compartmentsOf } from './visibility.js';
import type { FhirContext, FhirResponse } from './types.js';

export function isStrict(prefer: string | undefined): boolean {
  return /(^|[;,\s])handling\s*=\s*strict\b/i.test(prefer ?? '');
}

export function parseFor(ctx: FhirContext, type: string, query: Array<[string, string]>, prefer?: string): SearchIR {
  return parseSearch(type, query, {
    registry: ctx.registry,
    baseUrl: ctx.baseUrl,
    strict: isStrict(prefer),
    defaultCount: ctx.limits.defaultCount,
    maxCount: ctx.limits.maxCount,
  });
}

/** The filter for a parsed search, ANDed with the caller's search filter (compartment, scope queries). */
export function filterFor(ctx: FhirContext, ir: SearchIR): FilterDocument {
  const access = ctx.access.filterFor(ir.type, 'search');
  return translateSearch(ir, ctx.clock().getTime(), access ? [access] : []);
}

function keysOf(record: StoredRecord, sort: SortKey[]): Array<string | number | null> {
  return sort.map((s) => {
    if (s.field === 'id') return record.id;
    if (s.field === 'lu') return record.lu;
    return record.so[s.code] ?? null;
  });
}

interface Page {
  records: StoredRecord[];
  more: boolean;
  total?: number;
}

/**
 * Run the query for one page: the records in presentation order, whether more exist beyond it, and the
 * total (counted with the page when there is no cursor, else by a separate count of the whole search).
 */
async function page(ctx: FhirContext, ir: SearchIR, base: FilterDocument): Promise<Page> {
  const cursor = ir.cursor;
  const backwards = cursor?.dir === 'prev';
  const sortKeys = backwards ? reversedKeys(ir.sort) : ir.sort;
  const wantTotal = ir.total !== 'none';
  const filter = cursor ? { $and: [base, keysetFilter(sortKeys, cursor.keys, cursor.id, backwards ? -1 : 1)] } : base;
  const [found, total] = await Promise.all([
    ctx.store.find({ filter, sort: effectiveSort(ir.sort, backwards), limit: ir.count + 1, count: wantTotal && !cursor }),
    wantTotal && cursor ? ctx.store.count(base) : Promise.resolve(undefined),
  ]);
  const more = found.records.length > ir.count;
  const pageRecords = found.records.slice(0, ir.count);
  if (backwards) pageRecords.reverse();
  return { records: pageRecords, more, total: total ?? found.total };
}

export async function searchType(ctx: FhirContext, type: string, query: Array<[string, string]>, prefer?: string): Promise<FhirResponse> {
  assertKnownType(ctx, type);
  if (!ctx.access.allows(type, 'search')) throw forbidden(`Not allowed to search ${type}`);
  const ir = parseFor(ctx, type, query, prefer);
  const filter = filterFor(ctx, ir);
  const now = ctx.clock().toISOString();
  const link = (relation: string, cursor?: Cursor): BundleLink => ({
    relation,
    url: pageUrl(ctx.baseUrl, type, cursor ? [...ir.used, ['_cursor', encodeCursor(cursor)]] : ir.used),
  });

  if (ir.summary === 'count' || ir.count === 0) {
    const total = await ctx.store.count(filter);
    const json = renderBundle({ id: randomUUID(), type: 'searchset', total, lastUpdated: now, link: [link('self')] }, []);
    // A count discloses no resource content, so no compartment is touched.
    return { status: 200, json, headers: {}, compartments: [] };
  }

  const { records, more, total } = await page(ctx, ir, filter);

  const links: BundleLink[] = [link('self', ir.cursor), link('first')];
  const first = records[0];
  const last = records[records.length - 1];
  const hasNext = ir.cursor?.dir === 'prev' ? true : more;
  const hasPrev = ir.cursor?.dir === 'next' ? true : ir.cursor?.dir === 'prev' ? more : false;
  if (hasNext && last) links.push(link('next', { dir: 'next', keys: keysOf(last, ir.sort), id: last._id }));
  if (hasPrev && first) links.push(link('previous', { dir: 'prev', keys: keysOf(first, ir.sort), id: first._id }));

  const included = ir.include.length + ir.revinclude.length > 0
    ? await resolveIncludes({ store: ctx.store, registry: ctx.registry, access: ctx.access }, ir.include, ir.revinclude, records)
    : [];

  const shape = (json: string): string =>
    ir.elements || ir.summary === 'data' ? subsetResource(json, ir.elements, ir.summary === 'data') : json;
  // A type whose content lives partly outside the store (FhirContext.renderers) is rendered whole.
  const render = ctx.renderers?.[type];
  const rendered = render ? await Promise.all(records.map((r) => (r.del ? undefined : render(r)))) : [];
  const matchJson = (r: StoredRecord, i: number): string | undefined => {
    const own = rendered[i];
    if (own === undefined) return recordJsonFor(ctx.access, r);
    return ctx.access.present ? ctx.access.present(r.type, own) : own;
  };
  const entries: BundleEntryText[] = [
    ...records.map((r, i) => ({ fullUrl: `${ctx.baseUrl}/${r._id}`, resource: shape(matchJson(r, i) ?? '{}'), search: { mode: 'match' as const } })),
    ...included.map((r) => ({ fullUrl: `${ctx.baseUrl}/${r._id}`, resource: recordJsonFor(ctx.access, r) ?? '{}', search: { mode: 'include' as const } })),
  ];
  if (ir.ignored.length > 0) {
    // Lenient handling: tell the client what was not applied (R4 search.html §3.1.1.2).
    entries.push({
      search: { mode: 'outcome' },
      resource: JSON.stringify({
        resourceType: 'OperationOutcome',
        issue: ir.ignored.map(([name, , reason]) => ({ severity: 'warning', code: 'not-supported', diagnostics: reason, expression: [name] })),
      }),
    });
  }
  const json = renderBundle({ id: randomUUID(), type: 'searchset', total, lastUpdated: now, link: links }, entries);
  return { status: 200, json, headers: {}, compartments: compartmentsOf([...records, ...included]) };
}
