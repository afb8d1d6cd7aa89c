/**
 * Express glue for the FHIR REST API under /fhir: builds a FhirRequest, calls the engine's dispatch,
 * renders the FhirResponse with FHIR headers. No FHIR logic lives here.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { dispatch } from '../fhir/rest/dispatch.js';
import type { FhirContext, FhirRequest, FhirResponse } from '../fhir/rest/types.js';
import { FhirError, notAcceptable } from '../fhir/outcome.js';
import type { Access } from '../fhir/access.js';
import { fhirBody } from './fhir-body.js';
import { assertAllRoutesDeclared, route, type Audience } from './audience.js';
import { assertJobId, type BulkExport } from '../fhir/bulk/bulk-export.js';
import { pipeline } from 'node:stream/promises';

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

/** What a FHIR request was and how it ended, for the audit trail. */
export interface AccessRecord {
  request: FhirRequest;
  status: number;
  /** Patient compartments whose data the response disclosed or changed (or, on failure, was asked for). */
  compartments: string[];
  requestId: string;
}

/** The authenticated caller: what they may do, and how their accesses are recorded. */
export interface Caller {
  access: Access;
  record(entry: AccessRecord): Promise<void>;
}

export interface FhirRouterDeps {
  context: Omit<FhirContext, 'access'>;
  capabilityStatement: () => CapabilityStatement;
  /** Verifies the request's token; throws a 401 FhirError when there is no valid one. */
  authenticate: (req: Request) => Promise<Caller>;
  /** SMART App Launch 2.x §Conformance: the discovery document is also served under the FHIR base. */
  smartConfiguration: () => unknown;
  maxBodyBytes: number;
  /** Bulk export status, manifest and files (the kick-off goes through dispatch). */
  bulk?: BulkExport;
}

const BULK_AUDIENCES: Audience[] = ['member', 'provider', 'payer', 'admin'];

/** Bulk Data status polling, cancellation and file download (export.html), for the job's own client only. */
function mountBulkRoutes(router: Router, bulk: BulkExport, baseUrl: string, authenticate: FhirRouterDeps['authenticate']): void {
  const jobParam = (req: Request): string => {
    const id = String(req.params.job);
    assertJobId(id);
    return id;
  };
  route(router, { method: 'get', path: '/bulk-status/:job', audiences: BULK_AUDIENCES, description: 'Bulk export status: 202 + X-Progress while running, 200 + manifest when done' }, async (req, res) => {
    const caller = await authenticate(req);
    const out = await bulk.status(jobParam(req), caller.access, baseUrl);
    if (out.manifest === undefined) return send(res, out);
    for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
    res.status(200).json(out.manifest);
  });
  route(router, { method: 'delete', path: '/bulk-status/:job', audiences: BULK_AUDIENCES, description: 'Cancel a bulk export (its files are removed)' }, async (req, res) => {
    const caller = await authenticate(req);
    send(res, await bulk.cancel(jobParam(req), caller.access));
  });
  route(router, { method: 'get', path: '/bulk-files/:job/:file', audiences: BULK_AUDIENCES, description: 'Download one NDJSON file of a completed bulk export' }, async (req, res) => {
    const caller = await authenticate(req);
    const file = await bulk.file(jobParam(req), String(req.params.file), caller.access);
    res.status(200);
    res.setHeader('Content-Type', 'application/fhir+ndjson');
    if (file.size !== undefined) res.setHeader('Content-Length', String(file.size));
    await pipeline(file.stream, res);
  });
}

/**
 * CORS for browser apps (SMART apps run in the member's browser). Safe to open to every origin: the API
 * authenticates with bearer tokens only, never cookies, so a foreign page gains nothing it lacks.
 */
function cors(req: Request, res: Response, next: () => void): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Location, ETag, Last-Modified, Content-Location, X-Request-Id');
  if (req.method !== 'OPTIONS') return next();
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, If-Match, If-None-Exist, If-None-Match, Prefer');
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
}

export function fhirRouter(deps: FhirRouterDeps): Router {
  const router = express.Router();
  // Bodies are read only for the methods that carry one (GET/DELETE skip the parser entirely).
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  router.use((req, res, next) => (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? readBody(req, res, next) : next()));

  router.use(cors);
  route(router, { method: 'get', path: '/.well-known/smart-configuration', audiences: ['public'], description: 'SMART discovery under the FHIR base' }, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(deps.smartConfiguration());
  });

  route(router, { method: 'get', path: '/metadata', audiences: ['public'], description: 'CapabilityStatement' }, (req, res) => {
    checkFormat(req);
    send(res, { status: 200, body: deps.capabilityStatement(), headers: {} });
  });

  if (deps.bulk) mountBulkRoutes(router, deps.bulk, deps.context.baseUrl, deps.authenticate);

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
    const caller = await deps.authenticate(req);
    const ctx: FhirContext = { ...deps.context, access: caller.access };
    const requestId = String(res.locals.requestId ?? '');
    let out: FhirResponse;
    try {
      out = await dispatch(ctx, fhirReq);
    } catch (err) {
      // Refusals are recorded too: who tried to reach what, and that it was refused.
      if (err instanceof FhirError && (err.status === 403 || err.status === 404)) await caller.record({ request: fhirReq, status: err.status, compartments: [], requestId });
      throw err;
    }
    await caller.record({ request: fhirReq, status: out.status, compartments: out.compartments ?? [], requestId });
    send(res, out);
  };
  route(
    router,
    { method: 'all', path: '/{*rest}', audiences: ['member', 'provider', 'payer', 'admin'], description: 'FHIR REST interactions (read, search, history, writes, batch/transaction)' },
    handle,
  );
  route(router, { method: 'all', path: '/', audiences: ['member', 'provider', 'payer', 'admin'], description: 'batch/transaction (each entry checked as if sent alone)' }, handle);
  assertAllRoutesDeclared(router);
  return router;
}
