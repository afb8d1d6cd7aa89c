/**
 * Write-time extraction: every search parameter's FHIRPath expression is evaluated once when a
 * resource version is written, and the results are stored with it as typed index values
 * (StoredRecord.sp) and scalar sort keys (StoredRecord.so). Search then never evaluates FHIRPath.
 *
 * Value shapes (see IndexValue in store/port.ts), by FHIR search type (R4 search.html §3.1.1.4):
 *   string    { n: normalised (lower-case, diacritics removed), e: exact }
 *   token     { s: system, c: code, d: display/text lower-cased }
 *   reference "Type/id" (references to this server's base are made relative) or the absolute URL
 *   date      { lo, hi } inclusive epoch-ms range implied by the value's precision
 *   number    { v }   quantity { v, s, c, u }   uri  the string
 */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexValue } from '../../store/port.js';
import type { SearchParamDef, SearchRegistry } from './registry.js';
import { dateRange } from './date-range.js';
import { normaliseString } from './normalise.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringLeaves(node: unknown, out: string[]): void {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => stringLeaves(n, out));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      // HumanName.use / Address.use / period are not searchable text.
      if (k === 'use' || k === 'period' || k === 'extension' || k === 'id') continue;
      stringLeaves(v, out);
    }
  }
}

function stringValues(node: unknown): IndexValue[] {
  const leaves: string[] = [];
  stringLeaves(node, leaves);
  return leaves.map((e) => ({ n: normaliseString(e), e }));
}

function tokenValues(node: unknown): IndexValue[] {
  if (typeof node === 'string') return [{ c: node }];
  if (typeof node === 'boolean') return [{ c: String(node) }];
  if (typeof node === 'number') return [{ c: String(node) }];
  if (!isObject(node)) return [];
  const lower = (v: unknown): string | undefined => (typeof v === 'string' ? normaliseString(v) : undefined);
  const token = (s: unknown, c: unknown, d: unknown): IndexValue => {
    const t: { s?: string; c?: string; d?: string } = {};
    if (typeof s === 'string') t.s = s;
    if (typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean') t.c = String(c);
    const text = lower(d);
    if (text) t.d = text;
    return t;
  };
  if (Array.isArray(node.coding) || typeof node.text === 'string') {
    // CodeableConcept
    const codings = (Array.isArray(node.coding) ? node.coding : []) as Json[];
    const out = codings.map((c) => token(c.system, c.code, c.display ?? node.text));
    if (out.length === 0 && typeof node.text === 'string') out.push(token(undefined, undefined, node.text));
    return out;
  }
  if ('value' in node && ('system' in node || 'type' in node || 'use' in node || 'assigner' in node || 'period' in node)) {
    // Identifier or ContactPoint
    const typeText = isObject(node.type) ? (node.type.text ?? (node.type.coding as Json[] | undefined)?.[0]?.display) : undefined;
    return [token(node.system, node.value, typeText)];
  }
  if ('code' in node || 'system' in node) return [token(node.system, node.code, node.display ?? node.unit)];
  if ('value' in node) return [token(undefined, node.value, undefined)];
  return [];
}

function referenceValues(node: unknown, baseUrl: string): IndexValue[] {
  let ref: unknown = node;
  if (isObject(node)) ref = node.reference;
  if (typeof ref !== 'string' || ref.startsWith('#')) return [];
  const prefix = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  let value = ref.startsWith(prefix) ? ref.slice(prefix.length) : ref;
  // Strip a version suffix: a search by reference matches any version (R4 search.html §3.1.1.4.10).
  value = value.replace(/^([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})\/_history\/.*$/, '$1');
  return [value];
}

function dateValues(node: unknown): IndexValue[] {
  if (typeof node === 'string') {
    const r = dateRange(node);
    return r ? [r] : [];
  }
  if (isObject(node)) {
    if ('start' in node || 'end' in node) {
      // Period: an absent end means "ongoing" (R4 datatypes.html#Period).
      const lo = typeof node.start === 'string' ? dateRange(node.start)?.lo : undefined;
      const hi = typeof node.end === 'string' ? dateRange(node.end)?.hi : undefined;
      if (lo === undefined && hi === undefined) return [];
      return [{ lo: lo ?? Number.MIN_SAFE_INTEGER, hi: hi ?? Number.MAX_SAFE_INTEGER }];
    }
    if (Array.isArray(node.event)) return node.event.flatMap((e) => dateValues(e));
  }
  return [];
}

function numberValues(node: unknown): IndexValue[] {
  if (typeof node === 'number') return [{ v: node }];
  if (isObject(node) && typeof node.value === 'number') {
    const q: { v: number; s?: string; c?: string; u?: string } = { v: node.value };
    if (typeof node.system === 'string') q.s = node.system;
    if (typeof node.code === 'string') q.c = node.code;
    if (typeof node.unit === 'string') q.u = node.unit;
    return [q];
  }
  return [];
}

function uriValues(node: unknown): IndexValue[] {
  return typeof node === 'string' ? [node] : [];
}

export function valuesFor(def: SearchParamDef, nodes: unknown[], baseUrl: string): IndexValue[] {
  const out: IndexValue[] = [];
  for (const node of nodes) {
    switch (def.type) {
      case 'string':
        out.push(...stringValues(node));
        break;
      case 'token':
        out.push(...tokenValues(node));
        break;
      case 'reference':
        out.push(...referenceValues(node, baseUrl));
        break;
      case 'date':
        out.push(...dateValues(node));
        break;
      case 'number':
      case 'quantity':
        out.push(...numberValues(node));
        break;
      case 'uri':
        out.push(...uriValues(node));
        break;
      default:
        break;
    }
  }
  return out;
}

/** The scalar used to sort by this parameter: the first value's most natural key. */
export function sortKey(value: IndexValue | undefined): string | number | null {
  if (value === undefined) return null;
  if (typeof value === 'string') return value;
  if ('n' in value) return value.n;
  if ('lo' in value) return value.lo;
  if ('v' in value) return value.v;
  return value.c ?? value.d ?? null;
}

export interface Extracted {
  sp: Record<string, IndexValue[]>;
  so: Record<string, string | number | null>;
  cmp: string[];
}

/**
 * Extract every search parameter's values. A parameter whose expression throws on this resource
 * (rare; e.g. a type check on malformed content already rejected by validation) is skipped.
 */
export function extractIndex(resource: Resource, registry: SearchRegistry, baseUrl: string): Extracted {
  const sp: Record<string, IndexValue[]> = {};
  const so: Record<string, string | number | null> = {};
  for (const [code, def] of registry.forType(resource.resourceType)) {
    if (!def.evaluate || code === '_id') continue;
    let nodes: unknown[];
    try {
      nodes = def.evaluate(resource);
    } catch {
      continue;
    }
    if (nodes.length === 0) continue;
    const values = valuesFor(def, nodes, baseUrl);
    if (values.length === 0) continue;
    sp[code] = values;
    so[code] = sortKey(values[0]);
  }
  const cmp = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) cmp.add(`Patient/${resource.id}`);
  for (const param of registry.patientCompartmentParams(resource.resourceType)) {
    for (const v of sp[param] ?? []) if (typeof v === 'string' && v.startsWith('Patient/')) cmp.add(v);
  }
  return { sp, so, cmp: [...cmp] };
}
