/**
 * createApp(deps): the express application — middleware order, one router per API, error middleware
 * last. Everything it needs is passed in (no module singletons), so a test builds its own app.
 */
import { priorAuthViewDerivation } from './apis/prior-auth/pa-view-derivation.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import type { Config } from './config.js';
import type { ResourceStore } from './store/port.js';
import type { SearchRegistry } from './fhir/search/registry.js';
import type { FhirContext, OperationHandler, ResourceValidator } from './fhir/rest/types.js';
import type { AuthServer } from './auth/auth-server.js';
import { notFound } from './fhir/outcome.js';
import { publicPages } from './web/routes/public-pages.js';
import { requestId } from './http/request-id.js';
import { accessLog } from './http/access-log.js';
import { errorMiddleware } from './http/error-middleware.js';
import { fhirRouter } from './http/fhir-router.js';
import type { BulkExport } from './fhir/bulk/bulk-export.js';
import { route } from './http/audience.js';

export interface AppDeps {
  config: Pick<Config, 'maxBodyBytes' | 'defaultCount' | 'maxCount' | 'maxBundleEntries'> & { baseUrl: string };
  store: ResourceStore;
  registry: SearchRegistry;
  validate: ResourceValidator;
  capabilityStatement: () => CapabilityStatement;
  /** The SMART authorization server and the resource server's token check. */
  auth: AuthServer;
  smartConfiguration: () => unknown;
  logger: Logger;
  clock?: () => Date;
  newId?: () => string;
  /** Bulk Data export (kick-off, status, files); absent = no $export. */
  bulk?: BulkExport;
  /** What the CMS APIs add to the FHIR engine (operations, Group rendering) and their own routes. */
  apis?: ApiParts;
}

/** The parts an API (apis/<name>/) plugs into the app. */
export interface ApiParts {
  operations?: readonly OperationHandler[];
  typeHandlers?: FhirContext['typeHandlers'];
  renderers?: FhirContext['renderers'];
  /** Mounts the API's own (non-FHIR) routes: pages, admin and provider endpoints. */
  mount?(app: Express): void;
}

/** Several APIs' parts as one: operations in order (the first that answers wins), renderers by type, every mount. */
export function mergeApis(...parts: ApiParts[]): ApiParts {
  const operations = parts.flatMap((p) => p.operations ?? []);
  const typeHandlers = parts.flatMap((p) => p.typeHandlers ?? []);
  const renderers = Object.assign({}, ...parts.map((p) => p.renderers ?? {})) as NonNullable<ApiParts['renderers']>;
  const mounts = parts.map((p) => p.mount).filter((m): m is NonNullable<ApiParts['mount']> => m !== undefined);
  return {
    ...(operations.length > 0 ? { operations } : {}),
    ...(typeHandlers.length > 0 ? { typeHandlers } : {}),
    ...(Object.keys(renderers).length > 0 ? { renderers } : {}),
    ...(mounts.length > 0 ? { mount: (app: Express) => mounts.forEach((m) => m(app)) } : {}),
  };
}

/** The FHIR engine's context for the app's requests (an Access is added per request). */
export function engineContext(deps: Pick<AppDeps, 'config' | 'store' | 'registry' | 'validate' | 'clock' | 'newId' | 'bulk' | 'apis'>): Omit<FhirContext, 'access'> {
  return {
    store: deps.store,
    registry: deps.registry,
    validate: deps.validate,
    baseUrl: deps.config.baseUrl,
    clock: deps.clock ?? (() => new Date()),
    newId: deps.newId ?? (() => crypto.randomUUID()),
    limits: { defaultCount: deps.config.defaultCount, maxCount: deps.config.maxCount, maxBundleEntries: deps.config.maxBundleEntries },
    derivation: priorAuthViewDerivation,
    ...(deps.bulk ? { bulk: deps.bulk } : {}),
    ...(deps.apis?.operations ? { operations: deps.apis.operations } : {}),
    ...(deps.apis?.typeHandlers ? { typeHandlers: deps.apis.typeHandlers } : {}),
    ...(deps.apis?.renderers ? { renderers: deps.apis.renderers } : {}),
  };
}

const siteCss = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'web', 'assets', 'site.css'), 'utf8');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // FHIR ETags are version ids, set by the engine
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(accessLog(deps.logger));
  // Pages set their own strict CSP; JSON APIs need none. HSTS is left to the TLS-terminating proxy.
  app.use(helmet({ contentSecurityPolicy: false }));

  // The FHIR API first: its requests are the bulk of the traffic and should not walk past every
  // sign-in, admin and page route before they match (express tries layers in order).
  app.use(
    '/fhir',
    fhirRouter({
      context: engineContext(deps),
      ...(deps.bulk ? { bulk: deps.bulk } : {}),
      capabilityStatement: deps.capabilityStatement,
      authenticate: (req) => deps.auth.authenticate(req),
      smartConfiguration: deps.smartConfiguration,
      maxBodyBytes: deps.config.maxBodyBytes,
    }),
  );

  route(app, { method: 'get', path: '/assets/site.css', audiences: ['public'], description: 'stylesheet of the sign-in, consent and account pages' }, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(siteCss);
  });
  deps.auth.mount(app);
  deps.apis?.mount?.(app);
  publicPages(app, { fhirBase: deps.config.baseUrl, issuer: deps.auth.deps.issuer });

  route(app, { method: 'get', path: '/healthz', audiences: ['public'], description: 'liveness and store readiness' }, async (_req, res) => {
    const resources = await deps.store.size();
    res.json({ status: 'ok', resources });
  });

  app.use((req, _res, next) => next(notFound(`No route for ${req.method} ${req.path}`)));
  app.use(errorMiddleware(deps.logger));
  return app;
}
