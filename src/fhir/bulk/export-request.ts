/**
 * Bulk Data Access 2.0 kick-off (export.html#bulk-data-kick-off-request): the parameters of
 * `[base]/Patient/$export`, `[base]/Group/[id]/$export` (GET query or POST Parameters), validated into
 * an ExportSpec. Anything the server would silently mis-serve is refused with 400: an unknown
 * parameter, an output format other than NDJSON, `_elements`, `includeAssociatedData`, a `_typeFilter`
 * that does not compile against its type, a `patient` parameter on GET.
 *
 * `_typeFilter` (Type?search): resources of that type must match one of its filters (several for
 * one type are ORed); a type named in `_type` without a filter is exported whole.
 */
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirRequest } from '../rest/types.js';
import { badRequest } from '../outcome.js';
import { dateRange } from '../search/date-range.js';
import { parseSearch } from '../search/parse.js';
import type { SearchRegistry } from '../search/registry.js';
import { translateSearch } from '../search/translate/index.js';
import type { FilterDocument } from '../../store/port.js';

export const NDJSON = 'application/fhir+ndjson';
const OUTPUT_FORMATS = new Set([NDJSON, 'application/ndjson', 'ndjson']);

export interface ExportSpec {
  /** Resource types to export; undefined = every type the export level covers. */
  types?: string[];
  /** Only resources changed at or after this time (epoch ms). */
  since?: number;
  /** Only resources changed at or before this time (epoch ms): `_until` (Da Vinci ATR davinci-data-export). */
  until?: number;
  /** Per type, filters of which a resource must match one. */
  typeFilters: Record<string, FilterDocument[]>;
  /** POST `patient`: only these members of the group / population (ids, no duplicates). */
  patients?: string[];
}

const KNOWN = new Set(['_outputFormat', '_since', '_until', '_type', '_typeFilter', 'patient']);
const UNSUPPORTED = new Set(['_elements', 'includeAssociatedData']);

/** GET query pairs, or the POST Parameters body flattened to the same pairs (`patient` as references). */
export function kickoffParams(method: 'GET' | 'POST', query: Array<[string, string]>, body: unknown): Array<[string, string]> {
  if (method === 'GET') {
    const patient = query.find(([k]) => k === 'patient');
    if (patient) throw badRequest('The patient parameter is sent with POST (a Parameters resource)', ['patient']);
    return query;
  }
  if (body === undefined || body === null) return query;
  const params = body as Parameters;
  if (typeof body !== 'object' || params.resourceType !== 'Parameters') throw badRequest('A POST kick-off carries a Parameters resource');
  const pairs: Array<[string, string]> = [...query];
  for (const p of params.parameter ?? []) {
    if (typeof p.name !== 'string') throw badRequest('Every parameter needs a name');
    if (p.name === 'patient') {
      const ref = p.valueReference?.reference;
      if (typeof ref !== 'string') throw badRequest('patient is given as valueReference (Patient/[id])', ['patient']);
      pairs.push(['patient', ref]);
      continue;
    }
    const v = p.valueString ?? p.valueInstant ?? p.valueCode ?? p.valueDateTime ?? p.valueUri;
    if (typeof v !== 'string') throw badRequest(`Parameter '${p.name}' needs a string, code, uri or instant value`, [p.name]);
    pairs.push([p.name, v]);
  }
  return pairs;
}

export interface ExportParseContext {
  registry: SearchRegistry;
  baseUrl: string;
  /** The resource types this export level can produce (e.g. the patient compartment). */
  exportable: ReadonlySet<string>;
  now: number;
}

export function parseExportSpec(pairs: Array<[string, string]>, ctx: ExportParseContext): ExportSpec {
  const spec: ExportSpec = { typeFilters: {} };
  const types: string[] = [];
  const patients = new Set<string>();
  let sinceSeen = false;
  for (const [name, value] of pairs) {
    if (UNSUPPORTED.has(name)) throw badRequest(`This server does not support the export parameter '${name}'`, [name]);
    if (!KNOWN.has(name)) throw badRequest(`Unknown export parameter '${name}' (this server takes _outputFormat, _since, _until, _type, _typeFilter, patient)`, [name]);
    switch (name) {
      case '_outputFormat':
        if (!OUTPUT_FORMATS.has(value.trim())) throw badRequest(`_outputFormat '${value}' is not supported; use ${NDJSON}`, ['_outputFormat']);
        break;
      case '_since': {
        if (sinceSeen) throw badRequest('_since may be given once', ['_since']);
        sinceSeen = true;
        const r = dateRange(value);
        if (!r || !/T/.test(value)) throw badRequest('_since must be an instant, e.g. 2024-01-01T00:00:00Z', ['_since']);
        spec.since = r.lo;
        break;
      }
      case '_until': {
        if (spec.until !== undefined) throw badRequest('_until may be given once', ['_until']);
        const r = dateRange(value);
        if (!r || !/T/.test(value)) throw badRequest('_until must be an instant, e.g. 2024-01-01T00:00:00Z', ['_until']);
        spec.until = r.hi;
        break;
      }
      case '_type':
        for (const t of value.split(',').map((s) => s.trim()).filter(Boolean)) {
          if (!ctx.exportable.has(t)) throw badRequest(`_type names '${t}', which this export does not cover`, ['_type']);
          if (!types.includes(t)) types.push(t);
        }
        break;
      case '_typeFilter': {
        const q = value.indexOf('?');
        const type = q === -1 ? '' : value.slice(0, q);
        if (!ctx.exportable.has(type)) throw badRequest(`_typeFilter '${value}' must be Type?search for a type this export covers`, ['_typeFilter']);
        const query = [...new URLSearchParams(value.slice(q + 1))];
        if (query.length === 0) throw badRequest(`_typeFilter '${value}' has no search parameters`, ['_typeFilter']);
        let filter: FilterDocument;
        try {
          const ir = parseSearch(type, query, { registry: ctx.registry, baseUrl: ctx.baseUrl, strict: true, defaultCount: 1, maxCount: 1 });
          if (ir.clauses.length !== query.length || ir.include.length > 0 || ir.revinclude.length > 0) throw new Error('only search parameters of the type');
          filter = translateSearch(ir, ctx.now);
        } catch (err) {
          throw badRequest(`_typeFilter '${value}' is not a search this server can run: ${(err as Error).message}`, ['_typeFilter']);
        }
        (spec.typeFilters[type] ??= []).push(filter);
        break;
      }
      case 'patient': {
        const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(value);
        if (!m) throw badRequest(`patient '${value}' is not a Patient reference`, ['patient']);
        patients.add(m[1]);
        break;
      }
    }
  }
  if (types.length > 0) {
    spec.types = types;
    for (const t of Object.keys(spec.typeFilters)) {
      if (!types.includes(t)) throw badRequest(`_typeFilter names ${t}, which _type leaves out`, ['_typeFilter']);
    }
  }
  if (patients.size > 0) spec.patients = [...patients];
  if (spec.since !== undefined && spec.until !== undefined && spec.until < spec.since) throw badRequest('_until is before _since', ['_until']);
  return spec;
}

/** `Prefer: respond-async` is required (export.html#headers). */
export function assertRespondAsync(prefer: string | undefined): void {
  const ok = (prefer ?? '').split(/[;,]/).some((p) => p.trim().toLowerCase() === 'respond-async');
  if (!ok) throw badRequest('A bulk export is asynchronous: send the header Prefer: respond-async');
}

/**
 * Da Vinci ATR `$davinci-data-export`: the request without its `exportType` parameter (query or
 * Parameters body), and that parameter's value, so the rest can go to the Bulk Data kick-off.
 */
export function withoutExportType(req: FhirRequest): { exportType?: string; rest: FhirRequest } {
  let exportType: string | undefined;
  const query = req.query.filter(([k, v]) => {
    if (k !== 'exportType') return true;
    exportType = v;
    return false;
  });
  let body = req.body;
  const params = body as { resourceType?: string; parameter?: Array<Record<string, unknown>> } | undefined;
  if (params && typeof params === 'object' && params.resourceType === 'Parameters' && Array.isArray(params.parameter)) {
    const kept = params.parameter.filter((p) => {
      if (p.name !== 'exportType') return true;
      const v = p.valueCanonical ?? p.valueString ?? p.valueUri ?? p.valueCode;
      if (typeof v === 'string') exportType = v;
      return false;
    });
    body = { ...params, parameter: kept };
  }
  return { ...(exportType !== undefined ? { exportType } : {}), rest: { ...req, query, body } };
}
