/**
 * The one member a request is about, from its path or its search parameters, for callers whose access
 * is decided per member at each request (Provider Access provider backends, Payer-to-Payer payers):
 * `Patient/[id]`, `Patient/[id]/$everything`, or a single `patient` / `subject` / `beneficiary` /
 * (Patient) `_id` search value. Two different members in one request are refused: such callers get
 * one member's data per request.
 */
import { forbidden } from '../fhir/outcome.js';

const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const SEARCH_PATIENT_PARAMS = new Set(['patient', 'subject', 'beneficiary']);

/** The member named, or undefined when none is; throws 403 for two or for a value that cannot be an id. */
export function memberNamed(path: readonly string[], query: ReadonlyArray<[string, string]>, who = 'This API'): string | undefined {
  const named = new Set<string>();
  if (path[0] === 'Patient' && path[1] !== undefined && !path[1].startsWith('$') && !path[1].startsWith('_')) named.add(path[1]);
  for (const [key, raw] of query) {
    const name = key.split(':')[0];
    if (!SEARCH_PATIENT_PARAMS.has(name) && !(path[0] === 'Patient' && name === '_id')) continue;
    for (const v of raw.split(',')) {
      const id = /^(?:.*\/)?(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(v.trim())?.[1];
      named.add(id ?? '\u0000invalid');
    }
  }
  if (named.size > 1) throw forbidden(`${who} answers about one member per request: name a single patient`);
  const [id] = named;
  if (id !== undefined && !PATIENT_ID.test(id)) throw forbidden(`${who}: not a member id`);
  return id;
}

/** The request's path segments (decoded) and query pairs, as `memberNamed` takes them. */
export function pathAndQuery(req: { path: string; originalUrl: string }): { path: string[]; query: Array<[string, string]> } {
  const path = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const q = req.originalUrl.indexOf('?');
  return { path, query: q === -1 ? [] : [...new URLSearchParams(req.originalUrl.slice(q + 1))] };
}
