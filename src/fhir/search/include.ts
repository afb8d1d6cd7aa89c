/**
 * _include and _revinclude (R4 search.html §3.1.1.5.4), with one level of :iterate applied to what the
 * first level brought in.
 *
 * Included resources pass through the caller's Access like any other disclosure: an _include target is
 * *read* by reference, so its type must allow `read` and its read filter is ANDed; a _revinclude source
 * is *found by search*, so its type must allow `search` and its search filter is ANDed. Types the caller
 * may not reach are skipped silently (the page still answers), on every level including :iterate.
 */
import type { Access, Interaction } from '../access.js';
import type { FilterDocument, ResourceStore, StoredRecord } from '../../store/port.js';
import type { IncludeSpec } from './ir.js';
import type { SearchRegistry } from './registry.js';

/** Upper bound on included resources per page, so one page cannot pull the whole database. */
export const MAX_INCLUDED = 1000;

export interface IncludeDeps {
  store: ResourceStore;
  registry: SearchRegistry;
  access: Pick<Access, 'allows' | 'filterFor'>;
}

function withAccess(deps: IncludeDeps, type: string, interaction: Interaction, filter: FilterDocument): FilterDocument {
  const access = deps.access.filterFor(type, interaction);
  return access ? { $and: [filter, access] } : filter;
}

/** The reference parameter codes of a type (what `:*` follows), computed once per registry and type. */
const referenceCodesCache = new WeakMap<SearchRegistry, Map<string, string[]>>();
function referenceCodes(registry: SearchRegistry, type: string): string[] {
  let byType = referenceCodesCache.get(registry);
  if (!byType) referenceCodesCache.set(registry, (byType = new Map()));
  let codes = byType.get(type);
  if (!codes) byType.set(type, (codes = [...registry.forType(type).values()].filter((d) => d.type === 'reference').map((d) => d.code)));
  return codes;
}

function referencesFrom(records: StoredRecord[], spec: IncludeSpec, registry: SearchRegistry): string[] {
  const refs = new Set<string>();
  const codes = spec.param === '*' ? referenceCodes(registry, spec.sourceType) : [spec.param];
  for (const r of records) {
    if (r.type !== spec.sourceType) continue;
    for (const code of codes) {
      for (const v of r.sp[code] ?? []) {
        if (typeof v !== 'string' || !/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(v)) continue;
        if (spec.targetType && !v.startsWith(`${spec.targetType}/`)) continue;
        refs.add(v);
      }
    }
  }
  return [...refs];
}

async function includeOnce(deps: IncludeDeps, specs: IncludeSpec[], from: StoredRecord[]): Promise<StoredRecord[]> {
  const keys = new Set<string>();
  for (const spec of specs) for (const ref of referencesFrom(from, spec, deps.registry)) keys.add(ref);
  if (keys.size === 0) return [];
  const byType = new Map<string, string[]>();
  for (const k of keys) {
    const type = k.slice(0, k.indexOf('/'));
    if (!deps.registry.resourceTypes.has(type) || !deps.access.allows(type, 'read')) continue;
    byType.set(type, [...(byType.get(type) ?? []), k]);
  }
  const out: StoredRecord[] = [];
  for (const [type, ids] of byType) {
    const { records } = await deps.store.find({
      filter: withAccess(deps, type, 'read', { _id: { $in: ids } }),
      sort: [['_id', 1]],
      limit: MAX_INCLUDED,
    });
    out.push(...records);
  }
  return out;
}

async function revIncludeOnce(deps: IncludeDeps, specs: IncludeSpec[], from: StoredRecord[]): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  const targets = from.map((r) => r._id);
  if (targets.length === 0) return out;
  for (const spec of specs) {
    if (!deps.access.allows(spec.sourceType, 'search')) continue;
    const codes = spec.param === '*' ? referenceCodes(deps.registry, spec.sourceType) : [spec.param];
    if (codes.length === 0) continue; // an empty $or is an error in MongoDB
    const filter: FilterDocument = {
      $and: [{ type: spec.sourceType }, codes.length === 1 ? { [`sp.${codes[0]}`]: { $in: targets } } : { $or: codes.map((c) => ({ [`sp.${c}`]: { $in: targets } })) }],
    };
    const { records } = await deps.store.find({ filter: withAccess(deps, spec.sourceType, 'search', filter), sort: [['_id', 1]], limit: MAX_INCLUDED });
    out.push(...records);
  }
  return out;
}

/** Resources to add to a page with search.mode = include, deduplicated and excluding the matches. */
export async function resolveIncludes(deps: IncludeDeps, include: IncludeSpec[], revinclude: IncludeSpec[], matches: StoredRecord[]): Promise<StoredRecord[]> {
  const seen = new Set(matches.map((m) => m._id));
  const added: StoredRecord[] = [];
  const add = (records: StoredRecord[]): StoredRecord[] => {
    const fresh = records.filter((r) => !seen.has(r._id));
    for (const r of fresh) seen.add(r._id);
    added.push(...fresh);
    return fresh;
  };
  const first = [
    ...add(await includeOnce(deps, include.filter((s) => !s.iterate), matches)),
    ...add(await revIncludeOnce(deps, revinclude.filter((s) => !s.iterate), matches)),
  ];
  const iterInc = include.filter((s) => s.iterate);
  const iterRev = revinclude.filter((s) => s.iterate);
  if (iterInc.length > 0 || iterRev.length > 0) {
    const pool = [...matches, ...first];
    add(await includeOnce(deps, iterInc, pool));
    add(await revIncludeOnce(deps, iterRev, pool));
  }
  return added.slice(0, MAX_INCLUDED);
}
