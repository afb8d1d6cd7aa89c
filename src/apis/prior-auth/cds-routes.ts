/**
 * CDS Hooks 2.0 endpoints of the CRD service (outside the FHIR base, at `{server}/cds-services`):
 *  - `GET  /cds-services`: discovery (public: it describes services, no member data);
 *  - `POST /cds-services/{id}`: a hook call from a registered EHR (provider backend client), authenticated
 *    by its signed JWT (auth/checks/check-cds-client-jwt.ts; `aud` = this URL);
 *  - `POST /cds-services/{id}/feedback`: card outcomes, kept for the payer's review.
 * Errors: 400 unparsable JSON, 422 a request that is not a CDS Hooks call of this service, 401 a missing
 * or bad JWT, 404 an unknown service; always an OperationOutcome.
 */
import express, { type Express, type Request, type Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { isErrorIssue, validationErrors } from '../../fhir/rest/resource-input.js';
import type { ResourceValidator } from '../../fhir/rest/types.js';
import { route } from '../../http/audience.js';
import { FhirError, notFound, unauthorized, unprocessable } from '../../fhir/outcome.js';
import { CdsAuthError, checkCdsClientJwt, type CdsJwtDeps } from '../../auth/checks/check-cds-client-jwt.js';
import { outboundUrlAllowed } from '../../http/outbound-url.js';
import type { DocumentStore } from '../../store/document-port.js';
import { answerCrd, carriedResources, CRD_SERVICES, cdsRequestSchema, type CdsRequest, type CrdDeps, type FhirFetch } from './crd.js';

const FETCH_TIMEOUT_MS = 3_000;
const MAX_FETCH_BYTES = 5 * 1024 * 1024;

/**
 * Reads from the EHR's FHIR server with the hook's fhirAuthorization token: https on another host; loopback
 * (http or https) only with OUTBOUND_LOOPBACK, so a caller cannot make the server call its own host.
 */
export function ehrFetch(req: CdsRequest, allowLoopback: boolean): FhirFetch | undefined {
  const auth = req.fhirAuthorization;
  if (!req.fhirServer || !auth || !outboundUrlAllowed(req.fhirServer, allowLoopback)) return undefined;
  const base = req.fhirServer.replace(/\/$/, '');
  return async (url) => {
    if (!url.startsWith(`${base}/`)) return undefined;
    try {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${auth.access_token}`, Accept: 'application/fhir+json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!res.ok) return undefined;
      const text = await res.text();
      if (text.length > MAX_FETCH_BYTES) return undefined;
      const body = JSON.parse(text) as Resource;
      return typeof body?.resourceType === 'string' ? body : undefined;
    } catch {
      return undefined;
    }
  };
}

export function cdsRoutes(deps: { crd: CrdDeps; auth: CdsJwtDeps; docs: DocumentStore; baseUrl: string; validate: ResourceValidator; allowLoopback: boolean }): (app: Express) => void {
  const cdsBase = `${deps.baseUrl.replace(/\/fhir\/?$/, '')}/cds-services`;
  const body = express.json({ limit: '5mb', type: ['application/json', 'application/fhir+json'] });
  const feedback = deps.docs.collection<{ _id: string; exp: number; service: string; client: string; at: number; feedback: unknown }>('crd-feedback');
  const serviceOf = (id: string) => {
    const s = CRD_SERVICES.find((x) => x.id === id);
    if (!s) throw notFound(`No CDS service ${id.slice(0, 100)}: see GET /cds-services`);
    return s;
  };
  const authenticate = async (req: Request, audience: string) => {
    try {
      return await checkCdsClientJwt(deps.auth, req.get('Authorization'), audience);
    } catch (err) {
      if (err instanceof CdsAuthError) throw unauthorized(err.message, 'Bearer realm="cds-services"');
      throw err;
    }
  };
  const handle = (fn: (req: Request, res: Response) => Promise<unknown>) => async (req: Request, res: Response, next: (err?: unknown) => void) => {
    try {
      const out = await fn(req, res);
      res.setHeader('Cache-Control', 'no-store');
      res.json(out);
    } catch (err) {
      next(err);
    }
  };
  return (app) => {
    route(app, { method: 'get', path: '/cds-services', audiences: ['public'], description: 'CDS Hooks discovery of the CRD services' }, handle(async () => ({
      services: CRD_SERVICES.map((s) => ({ hook: s.hook, id: s.id, title: s.title, description: s.description, prefetch: s.prefetch, usageRequirements: s.usageRequirements })),
    })));
    route(app, { method: 'post', path: '/cds-services/:id', audiences: ['provider'], description: 'a CRD hook call from a registered EHR (signed JWT)' }, body, handle(async (req) => {
      const service = serviceOf(String(req.params.id));
      const client = await authenticate(req, `${cdsBase}/${service.id}`);
      const parsed = cdsRequestSchema.safeParse(req.body);
      if (!parsed.success) throw unprocessable(parsed.error.issues.slice(0, 20).map((i) => ({ code: 'invalid', diagnostics: `${i.path.join('.') || 'request'}: ${i.message}` })));
      if (parsed.data.hook !== service.hook) throw unprocessable([{ code: 'invalid', diagnostics: `The service ${service.id} answers the ${service.hook} hook, not ${parsed.data.hook.slice(0, 100)}` }]);
      // CRD: 422 for valid JSON that is not conformant; every resource carried must be valid R4.
      const issues = validationErrors(deps.validate, carriedResources(parsed.data).slice(0, 200), (r, n) => `${r.resourceType} #${n}`);
      if (issues.length > 0) throw unprocessable(issues.slice(0, 50));
      const fetchFhir = ehrFetch(parsed.data, deps.allowLoopback);
      // What the EHR's server sends is checked the same way; an invalid resource is treated as not found.
      const checkedFetch: FhirFetch | undefined = fetchFhir
        ? async (url) => {
            const r = await fetchFhir(url);
            if (!r) return undefined;
            // Validating a Bundle validates its entries' resources too.
            return deps.validate(r).some(isErrorIssue) ? undefined : r;
          }
        : undefined;
      return answerCrd(deps.crd, service, parsed.data, { id: client._id }, checkedFetch);
    }));
    route(app, { method: 'post', path: '/cds-services/:id/feedback', audiences: ['provider'], description: 'CDS Hooks feedback on CRD cards (kept for review)' }, body, handle(async (req, res) => {
      const service = serviceOf(String(req.params.id));
      const client = await authenticate(req, `${cdsBase}/${service.id}/feedback`);
      const list = (req.body as { feedback?: unknown } | undefined)?.feedback;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100) throw new FhirError(422, { code: 'invalid', diagnostics: 'feedback must be a list of 1 to 100 items' });
      const now = deps.crd.clock().getTime();
      await feedback.put({ _id: deps.crd.newId(), exp: now + 366 * 86_400_000, service: service.id, client: client._id, at: now, feedback: list });
      res.status(200);
      return {};
    }));
  };
}
