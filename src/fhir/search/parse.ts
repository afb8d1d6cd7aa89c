/**
 * Parse a FHIR search request (R4 search.html) into the typed IR. Every value is validated here,
 * so nothing from the request can become a MongoDB operator downstream.
 *
 * Handling (R4 search.html §3.1.1.2 and http.html Prefer: handling):
 *  - unknown parameters and unknown modifiers: 400 under `Prefer: handling=strict`; ignored under
 *    lenient (the default) and left out of the self link, so the client sees what was applied;
 *  - malformed values of known parameters (a date that is not a date, …): always 400, because
 *    ignoring them would silently widen the result.
 */
import { badRequest } from '../outcome.js';
import { dateRange } from './date-range.js';
import type { Clause, Cursor, IncludeSpec, ParsedValue, Prefix, SearchIR, SortKey, TotalMode } from './ir.js';
import type { SearchParamDef, SearchRegistry } from './registry.js';
import { decodeCursor } from './cursor.js';

export interface ParseOptions {
  registry: SearchRegistry;
  baseUrl: string;
  strict: boolean;
  defaultCount: number;
  maxCount: number;
}

const PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const ELEMENT = /^[a-z][A-Za-z0-9]{0,63}$/;
/** Parameters that control the result rather than filter it, or that the HTTP layer consumes. */
const IGNORED_CONTROL = new Set(['_format', '_pretty']);

const MODIFIERS: Record<string, readonly string[]> = {
  string: ['exact', 'contains', 'missing'],
  token: ['not', 'missing'],
  reference: ['missing'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  uri: ['missing', 'below'],
};

/** Split a parameter value on unescaped commas (R4 search.html §3.1.1.5 escaping). */
export function splitOr(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      // Only the comma escape is resolved here; `\|` and `\$` are resolved by the type's parser.
      cur += value[i + 1] === ',' ? ',' : ch + value[i + 1];
      i++;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Split on the first unescaped `|` (token and quantity values). */
function splitPipe(raw: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) {
      cur += raw[i + 1];
      i++;
    } else if (raw[i] === '|') {
      parts.push(cur);
      cur = '';
    } else cur += raw[i];
  }
  parts.push(cur);
  return parts;
}

const unescape = (raw: string): string => raw.replace(/\\(.)/g, '$1');

function prefixOf(raw: string): [Prefix, string] {
  const p = raw.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && raw.length > 2 && !/^\d/.test(p)) return [p, raw.slice(2)];
  return ['eq', raw];
}

function parseNumberRange(text: string, name: string): { value: number; lo: number; hi: number } {
  if (!/^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw badRequest(`Invalid number '${text}' for ${name}`, [name]);
  const value = Number(text);
  if (!Number.isFinite(value)) throw badRequest(`Invalid number '${text}' for ${name}`, [name]);
  // Precision: "100" means [99.5, 100.5) (R4 search.html §3.1.1.4.3).
  const decimals = /\.(\d+)/.exec(text)?.[1]?.length ?? 0;
  const half = 0.5 * 10 ** -decimals;
  return { value, lo: value - half, hi: value + half };
}

function parseValue(def: SearchParamDef, modifier: string | undefined, raw: string, name: string, opts: ParseOptions): ParsedValue {
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`:missing takes true or false (${name})`, [name]);
    return { kind: 'missing', missing: raw === 'true' };
  }
  if (raw.length > 1024) throw badRequest(`Search value too long for ${name}`, [name]);
  switch (def.type) {
    case 'string':
      if (raw === '') throw badRequest(`Empty value for ${name}`, [name]);
      return { kind: 'string', text: unescape(raw) };
    case 'token': {
      const parts = splitPipe(raw);
      if (parts.length > 2 || raw === '') throw badRequest(`Invalid token '${raw}' for ${name}`, [name]);
      if (parts.length === 1) return { kind: 'token', code: parts[0] };
      const [system, code] = parts;
      if (system === '' && code === '') throw badRequest(`Invalid token '${raw}' for ${name}`, [name]);
      if (system === '') return { kind: 'token', code, noSystem: true };
      return { kind: 'token', system, code: code === '' ? undefined : code };
    }
    case 'reference':
      return { kind: 'reference', refs: parseReference(def, modifier, raw, name, opts.baseUrl) };
    case 'date': {
      const [prefix, text] = prefixOf(raw);
      const range = dateRange(text);
      if (!range) throw badRequest(`Invalid date '${raw}' for ${name}`, [name]);
      return { kind: 'date', prefix, ...range };
    }
    case 'number': {
      const [prefix, text] = prefixOf(raw);
      return { kind: 'number', prefix, ...parseNumberRange(text, name) };
    }
    case 'quantity': {
      const [prefix, text] = prefixOf(raw);
      const [num, system, code] = splitPipe(text);
      const parsed = parseNumberRange(num, name);
      return {
        kind: 'number',
        prefix,
        ...parsed,
        ...(system ? { system } : {}),
        ...(code ? { code } : {}),
      };
    }
    case 'uri':
      if (raw === '') throw badRequest(`Empty value for ${name}`, [name]);
      return { kind: 'uri', uri: unescape(raw) };
    default:
      throw badRequest(`Parameter ${name} of type ${def.type} is not supported`, [name]);
  }
}

function parseReference(def: SearchParamDef, modifier: string | undefined, raw: string, name: string, baseUrl: string): string[] {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  let value = raw.startsWith(base) ? raw.slice(base.length) : raw;
  value = value.replace(/\/_history\/[^/]+$/, '');
  if (/^https?:\/\//.test(value) || value.startsWith('urn:')) return [value]; // an external reference, matched exactly
  const parts = value.split('/');
  if (parts.length === 2) {
    const [type, id] = parts;
    if (!TYPE.test(type) || !ID.test(id)) throw badRequest(`Invalid reference '${raw}' for ${name}`, [name]);
    if (modifier && modifier !== type) throw badRequest(`Reference '${raw}' does not match :${modifier}`, [name]);
    return [`${type}/${id}`];
  }
  if (parts.length !== 1 || !ID.test(value)) throw badRequest(`Invalid reference '${raw}' for ${name}`, [name]);
  const targets = modifier ? [modifier] : def.target;
  if (targets.length === 0) throw badRequest(`A bare id needs a type for ${name}: use ${name}:Type=id`, [name]);
  return targets.map((t) => `${t}/${value}`);
}

function parseCount(raw: string, opts: ParseOptions): number {
  if (!/^\d{1,7}$/.test(raw)) throw badRequest(`_count must be a non-negative integer`, ['_count']);
  return Math.min(Number(raw), opts.maxCount);
}

function parseSort(type: string, raw: string, opts: ParseOptions): SortKey[] {
  return raw.split(',').map((part) => {
    const direction: 1 | -1 = part.startsWith('-') ? -1 : 1;
    const code = part.replace(/^-/, '');
    if (code === '_id') return { code, field: 'id', direction };
    if (code === '_lastUpdated') return { code, field: 'lu', direction };
    const def = opts.registry.get(type, code);
    if (!def || def.type === 'composite' || def.type === 'special' || !def.evaluate) {
      throw badRequest(`Cannot sort ${type} by '${code}'`, ['_sort']);
    }
    return { code, field: `so.${code}`, direction };
  });
}

function parseInclude(raw: string, iterate: boolean, rev: boolean, type: string, opts: ParseOptions): IncludeSpec {
  if (raw === '*') return { sourceType: type, param: '*', iterate };
  const [sourceType, param, targetType] = raw.split(':');
  const name = rev ? '_revinclude' : '_include';
  if (!sourceType || !param || !opts.registry.resourceTypes.has(sourceType)) throw badRequest(`Invalid ${name} '${raw}'`, [name]);
  if (!rev && !iterate && sourceType !== type) throw badRequest(`${name} '${raw}' must start with ${type}`, [name]);
  if (targetType !== undefined && !opts.registry.resourceTypes.has(targetType)) throw badRequest(`Invalid ${name} target '${raw}'`, [name]);
  if (param !== '*') {
    const def = opts.registry.get(sourceType, param);
    if (!def || def.type !== 'reference') throw badRequest(`${name} '${raw}': ${sourceType}.${param} is not a reference parameter`, [name]);
  }
  return { sourceType, param, targetType, iterate };
}

export function parseSearch(type: string, params: Array<[string, string]>, opts: ParseOptions): SearchIR {
  const ir: SearchIR = {
    type,
    clauses: [],
    sort: [],
    count: opts.defaultCount,
    total: 'accurate',
    include: [],
    revinclude: [],
    used: [],
    ignored: [],
  };
  const ignore = (name: string, value: string, reason: string): void => {
    if (opts.strict) throw badRequest(reason, [name]);
    ir.ignored.push([name, value, reason]);
  };
  let cursor: Cursor | undefined;

  for (const [name, value] of params) {
    if (IGNORED_CONTROL.has(name)) continue;
    const [code, modifier, ...rest] = name.split(':');
    switch (code) {
      case '_count':
        ir.count = parseCount(value, opts);
        ir.used.push([name, String(ir.count)]);
        continue;
      case '_sort':
        ir.sort = parseSort(type, value, opts);
        ir.used.push([name, value]);
        continue;
      case '_total':
        if (!['none', 'estimate', 'accurate'].includes(value)) throw badRequest(`Invalid _total '${value}'`, ['_total']);
        ir.total = value as TotalMode;
        ir.used.push([name, value]);
        continue;
      case '_summary':
        if (!['count', 'data', 'text', 'true', 'false'].includes(value)) throw badRequest(`Invalid _summary '${value}'`, ['_summary']);
        if (value === 'text' || value === 'true') {
          ignore(name, value, `_summary=${value} is not supported`);
          continue;
        }
        ir.summary = value as SearchIR['summary'];
        ir.used.push([name, value]);
        continue;
      case '_elements': {
        const els = value.split(',').map((e) => e.trim()).filter(Boolean);
        if (els.length === 0 || !els.every((e) => ELEMENT.test(e))) throw badRequest(`Invalid _elements '${value}'`, ['_elements']);
        ir.elements = els;
        ir.used.push([name, value]);
        continue;
      }
      case '_include':
      case '_revinclude': {
        if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
          ignore(name, value, `Unknown modifier :${modifier} on ${code}`);
          continue;
        }
        const spec = parseInclude(value, modifier !== undefined, code === '_revinclude', type, opts);
        (code === '_include' ? ir.include : ir.revinclude).push(spec);
        ir.used.push([name, value]);
        continue;
      }
      case '_cursor':
        cursor = decodeCursor(value);
        continue;
      default:
        break;
    }
    const def = opts.registry.get(type, code);
    if (!def || (!def.evaluate && code !== '_id')) {
      ignore(name, value, `Unknown or unsupported search parameter '${code}' for ${type}`);
      continue;
    }
    if (rest.length > 0) {
      ignore(name, value, `Chained or malformed parameter name '${name}' is not supported`);
      continue;
    }
    const isTypeModifier = def.type === 'reference' && modifier !== undefined && opts.registry.resourceTypes.has(modifier);
    if (modifier !== undefined && !isTypeModifier && !(MODIFIERS[def.type] ?? []).includes(modifier)) {
      ignore(name, value, `Unknown modifier ':${modifier}' for ${type}.${code}`);
      continue;
    }
    const values = splitOr(value).map((v) => parseValue(def, modifier, v, name, opts));
    const clause: Clause = { param: def, modifier, values };
    ir.clauses.push(clause);
    ir.used.push([name, value]);
  }
  if (cursor) ir.cursor = cursor;
  return ir;
}
