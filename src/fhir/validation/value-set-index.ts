// Expands ValueSets locally (no terminology server) so required bindings can be checked.
// Supported compose features (R4 §valueset): include.concept[], include.system with no filter
// (all codes of a CodeSystem we hold with content=complete, otherwise "any code of that
// system"), include.valueSet[], and exclude.concept[]. A ValueSet using filters, or an
// include we cannot resolve, is "not expandable" and its bindings are not checked.
import type { CodeSystem, CodeSystemConcept, ValueSet } from '@medplum/fhirtypes';

export type Membership = 'in' | 'out' | 'unknown';

export interface ExpandedValueSet {
  url: string;
  /** system -> enumerated codes. */
  codes: Map<string, Set<string>>;
  /** Systems included whole without us knowing their codes: only the system can be checked. */
  wholeSystems: Set<string>;
}

export interface ValueSetIndex {
  expand(url: string): ExpandedValueSet | undefined;
}

export function stripVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar === -1 ? canonical : canonical.slice(0, bar);
}

function collectConcepts(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const concept of concepts ?? []) {
    if (concept.code) into.add(concept.code);
    collectConcepts(concept.concept, into);
  }
}

export function buildValueSetIndex(resources: ReadonlyArray<ValueSet | CodeSystem>): ValueSetIndex {
  const valueSets = new Map<string, ValueSet>();
  const codeSystems = new Map<string, CodeSystem>();
  for (const resource of resources) {
    if (!resource.url) continue;
    if (resource.resourceType === 'ValueSet') valueSets.set(resource.url, resource);
    else codeSystems.set(resource.url, resource);
  }
  const cache = new Map<string, ExpandedValueSet | null>();

  function expandInner(url: string, visiting: Set<string>): ExpandedValueSet | undefined {
    const key = stripVersion(url);
    const cached = cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    if (visiting.has(key)) return undefined;
    visiting.add(key);
    const result = compute(key, visiting);
    cache.set(key, result ?? null);
    return result;
  }

  function compute(url: string, visiting: Set<string>): ExpandedValueSet | undefined {
    const valueSet = valueSets.get(url);
    const include = valueSet?.compose?.include;
    if (!valueSet || !include) return undefined;
    const expanded: ExpandedValueSet = { url, codes: new Map(), wholeSystems: new Set() };
    const add = (system: string, code: string): void => {
      let set = expanded.codes.get(system);
      if (!set) expanded.codes.set(system, (set = new Set()));
      set.add(code);
    };
    for (const part of include) {
      if (part.filter?.length) return undefined;
      for (const nested of part.valueSet ?? []) {
        const inner = expandInner(nested, visiting);
        if (!inner) return undefined;
        for (const [system, codes] of inner.codes) for (const code of codes) add(system, code);
        for (const system of inner.wholeSystems) expanded.wholeSystems.add(system);
      }
      if (!part.system) continue;
      const system = stripVersion(part.system);
      if (part.concept?.length) {
        for (const concept of part.concept) add(system, concept.code);
        continue;
      }
      const codeSystem = codeSystems.get(system);
      if (codeSystem?.content === 'complete' && codeSystem.concept?.length) {
        const all = new Set<string>();
        collectConcepts(codeSystem.concept, all);
        for (const code of all) add(system, code);
      } else {
        expanded.wholeSystems.add(system);
      }
    }
    for (const part of valueSet.compose?.exclude ?? []) {
      if (!part.system || !part.concept?.length) return undefined;
      const set = expanded.codes.get(stripVersion(part.system));
      for (const concept of part.concept) set?.delete(concept.code);
    }
    return expanded;
  }

  return { expand: (url) => expandInner(url, new Set()) };
}

/** A bare `code` value: the system is implied by the element, so only the code can be compared. */
export function codeMembership(valueSet: ExpandedValueSet, code: string): Membership {
  for (const codes of valueSet.codes.values()) if (codes.has(code)) return 'in';
  return valueSet.wholeSystems.size > 0 ? 'unknown' : 'out';
}

export function codingMembership(valueSet: ExpandedValueSet, system: string | undefined, code: string | undefined): Membership {
  if (system !== undefined && valueSet.wholeSystems.has(system)) return 'in';
  if (code === undefined) return 'out';
  if (system === undefined) return codeMembership(valueSet, code);
  return valueSet.codes.get(system)?.has(code) ? 'in' : 'out';
}
