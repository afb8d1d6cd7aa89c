/**
 * Request bodies for the FHIR API: the content type is checked per interaction (415 otherwise) and
 * JSON is parsed here, so that malformed JSON is a 400 OperationOutcome and a body over the limit a
 * 413 — never an exception escaping into the engine.
 */
import type { Request } from 'express';
import { badRequest, unsupportedMediaType } from '../fhir/outcome.js';
import { assertJsonDepth } from '../fhir/rest/json-depth.js';

const FHIR_JSON = /^application\/(fhir\+)?json$/;
const JSON_PATCH = /^application\/json-patch\+json$/;
const FORM = /^application\/x-www-form-urlencoded$/;

export function mediaType(req: Request): string | undefined {
  const ct = req.get('Content-Type');
  if (!ct) return undefined;
  return ct.split(';')[0].trim().toLowerCase();
}

function parseJson(buf: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON');
  }
  assertJsonDepth(value);
  return value;
}

/** The parsed body for a FHIR interaction, given the raw bytes express.raw collected. */
export function fhirBody(req: Request, isSearch: boolean): unknown {
  const raw: unknown = req.body;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
  const type = mediaType(req);
  if (isSearch) {
    if (buf.length === 0) return undefined;
    if (!type || !FORM.test(type)) throw unsupportedMediaType('POST _search takes application/x-www-form-urlencoded');
    return buf.toString('utf8');
  }
  if (req.method === 'PATCH') {
    if (!type || !JSON_PATCH.test(type)) throw unsupportedMediaType('PATCH takes application/json-patch+json');
    return parseJson(buf);
  }
  if (!type || !FHIR_JSON.test(type)) throw unsupportedMediaType(`${req.method} takes application/fhir+json`);
  if (buf.length === 0) throw badRequest('The request has no body');
  return parseJson(buf);
}
