/**
 * Express glue for the FHIR REST API under /fhir: builds a FhirRequest, calls the engine's dispatch,
 * renders the FhirResponse with FHIR headers. No FHIR logic lives here.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { dispatch } from '../fhir/rest/dispatch.js';
import type { FhirContext, FhirRequest, FhirResponse } from '../fhir/rest/types.js';
import { notAcceptable } from '../fhir/outcome.js';
import type { Access } from '../fhir/access.js';
import { fhirBody } from './fhir-body.js';
import { assertAllRoutesDeclared, route } from './audience.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const FORMATS = new Set(['json', 'application/json', 'application/fhir+json']);

/** `_format` (R4 http.html#mime) and Accept: only JSON is served; asking for something else only is 406. */
function checkFormat(req: Request): void {
  // A literal `+` in the query string decodes to a space; many clients send `_format=application/fhir+json` so.
  const format = typeof req.query._format === 'string' ? req.query._format.split(';')[0].trim().replace(/ json$/, '+json') : undefined;
  if (format !== undefined && !FORMATS.has(format)) throw notAcceptable(`_format '${format}' is not supported; use json`);
  const accept = req.get('Accept');
  if (accept && !/(\*\/\*|application\/(\*|json|fhir\+json))/.test(accept)) throw notAcceptable('This server returns application/fhir+json');
}

function queryPairs(req: Request): Array<[string, string]> {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? [] : [...new URLSearchParams(req.originalUrl.slice(i + 1))];
}

export function send(res: Response, out: FhirResponse): void {
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.status(out.status);
  const body = out.json ?? (out.body !== undefined ? JSON.stringify(out.body) : undefined);
  if (body === undefined || out.status === 204) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', FHIR_JSON);
  // Encode once: ending with a string makes Node measure it (Content-Length) and then encode it again.
  const bytes = Buffer.from(body, 'utf8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

export interface FhirRouterDeps {
  context: Omit<FhirContext, 'access'>;
  capabilityStatement: () => CapabilityStatement;
  /** The caller's Access; the auth issue replaces the open default with token-based access. */
  accessFor: (req: Request) => Access;
  maxBodyBytes: number;
}

export function fhirRouter(deps: FhirRouterDeps): Router {
  const router = express.Router();
  // Bodies are read only for the methods that carry one (GET/DELETE skip the parser entirely).
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  router.use((req, res, next) => (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? readBody(req, res, next) : next()));

  route(router, { method: 'get', path: '/metadata', audiences: ['public'], description: 'CapabilityStatement' }, (req, res) => {
    checkFormat(req);
    send(res, { status: 200, body: deps.capabilityStatement(), headers: {} });
  });

  const handle = async (req: Request, res: Response): Promise<void> => {
    checkFormat(req);
    const path = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const isSearch = req.method === 'POST' && path[1] === '_search';
    const method = req.method as FhirRequest['method'];
    const fhirReq: FhirRequest = {
      method,
      path,
      query: queryPairs(req),
      body: method === 'POST' || method === 'PUT' || method === 'PATCH' ? fhirBody(req, isSearch) : undefined,
      headers: {
        ifMatch: req.get('If-Match'),
        ifNoneExist: req.get('If-None-Exist'),
        ifNoneMatch: req.get('If-None-Match'),
        prefer: req.get('Prefer'),
        contentType: req.get('Content-Type'),
      },
    };
    const ctx: FhirContext = { ...deps.context, access: deps.accessFor(req) };
    send(res, await dispatch(ctx, fhirReq));
  };
  route(
    router,
    { method: 'all', path: '/{*rest}', audiences: ['member', 'provider', 'payer', 'admin'], description: 'FHIR REST interactions (read, search, history, writes, batch/transaction)' },
    handle,
  );
  route(router, { method: 'all', path: '/', audiences: ['provider', 'payer', 'admin'], description: 'batch/transaction' }, handle);
  assertAllRoutesDeclared(router);
  return router;
}
