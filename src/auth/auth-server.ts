/**
 * Assembles the embedded SMART authorization server and the resource server's token check from
 * their parts; the composition root (server.ts) calls this once and hands the result to createApp.
 */
import type { Express, Request } from 'express';
import type { DocumentStore } from '../store/document-port.js';
import type { ResourceStore } from '../store/port.js';
import type { SearchRegistry } from '../fhir/search/registry.js';
import type { Caller } from '../http/fhir-router.js';
import { unauthorized } from '../fhir/outcome.js';
import { accessFor, policyDeps } from './access-policy.js';
import { auditTrail } from './audit-trail.js';
import { DEFAULT_LIFETIMES, issuerFor, type AuthDeps, type Lifetimes } from './auth-deps.js';
import { clientRegistry } from './client-registry.js';
import { grantStore } from './grants.js';
import { loginGuard } from './login-guard.js';
import { OAuthError } from './oauth-error.js';
import { parseScope } from './scopes.js';
import type { SigningKeys } from './signing-keys.js';
import { userDirectory } from './users.js';
import { tokenVerifier, type ExternalIssuer, type TokenVerifier, type VerifiedToken } from './verify-token.js';
import type { ClientRole } from './records.js';
import type { Access } from '../fhir/access.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { authorizeRoutes } from './routes/authorize-routes.js';
import { providerRoutes } from './routes/provider-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { patientName, type ProviderScope } from './member-lookups.js';

export interface AuthServerOptions {
  fhirBase: string;
  keys: SigningKeys;
  docs: DocumentStore;
  store: ResourceStore;
  registry: SearchRegistry;
  clock: () => Date;
  newId: () => string;
  external?: ExternalIssuer;
  lifetimes?: Partial<Lifetimes>;
  /**
   * An API's per-request Access for some tokens (Provider Access: provider backends, decided by the
   * member a request names); undefined = the token's scopes and reach as usual. May throw a FhirError.
   */
  callerAccess?: (token: VerifiedToken, req: Request) => Promise<Access | undefined>;
  /** Whether a member is attributed to a provider organization today (EHR launches by provider users). */
  isAttributed?: (patientId: string, who: ProviderScope) => Promise<boolean>;
}

export interface AuthServer {
  deps: AuthDeps;
  verify: TokenVerifier;
  /** Mounts discovery, authorize/login/consent, token, introspection, revocation, registration, account, admin and provider routes. */
  mount(app: Express): void;
  /** The FHIR router's caller check: bearer token → Access + audit recorder (401 when missing or invalid). */
  authenticate(req: Request): Promise<Caller>;
}

export function createAuthServer(o: AuthServerOptions): AuthServer {
  const issuer = issuerFor(o.fhirBase);
  const deps: AuthDeps = {
    issuer,
    fhirBase: o.fhirBase,
    keys: o.keys,
    docs: o.docs,
    clients: clientRegistry(o.docs, o.clock),
    users: userDirectory(o.docs, o.clock),
    grants: grantStore(o.docs, o.clock),
    clock: o.clock,
    lifetimes: { ...DEFAULT_LIFETIMES, ...o.lifetimes },
  };
  const verify = tokenVerifier(deps, o.external);
  const policy = policyDeps(o.registry, o.clock, o.fhirBase);
  // Client name and role per AuditEvent, cached briefly: the role decides the Patient Access release tag,
  // so an admin's change must show within a minute, and the map must not grow without bound.
  const clients = new Map<string, { at: number; value: { name?: string; role?: ClientRole } | undefined }>();
  const CLIENT_TTL_MS = 60_000;
  const record = auditTrail({
    issuer,
    store: o.store,
    registry: o.registry,
    baseUrl: o.fhirBase,
    clock: o.clock,
    newId: o.newId,
    async client(id) {
      const now = o.clock().getTime();
      const cached = clients.get(id);
      if (cached && now - cached.at < CLIENT_TTL_MS) return cached.value;
      const found = await deps.clients.get(id);
      if (clients.size >= 10_000) clients.clear();
      const value = found ? { name: found.name, role: found.role } : undefined;
      clients.set(id, { at: now, value });
      return value;
    },
  });
  const lookups = { store: o.store };
  const accessByToken = new WeakMap<VerifiedToken, Access>();

  return {
    deps,
    verify,
    mount(app) {
      tokenRoutes(app, deps, verify);
      authorizeRoutes(app, { auth: deps, loginGuard: loginGuard(o.docs, o.clock), patientName: (id) => patientName(lookups, id) });
      accountRoutes(app, deps);
      adminRoutes(app, deps, verify);
      providerRoutes(app, { auth: deps, verify, isAttributed: o.isAttributed ?? (async () => false) });
    },
    async authenticate(req) {
      let token;
      try {
        token = await verify(req.get('Authorization'));
      } catch (err) {
        if (err instanceof OAuthError) {
          const challenge = req.get('Authorization') ? `Bearer realm="fhir", error="invalid_token", error_description="${err.description.replace(/["\\]/g, '')}"` : 'Bearer realm="fhir"';
          throw unauthorized(err.description, challenge);
        }
        throw err;
      }
      const special = await o.callerAccess?.(token, req);
      if (special) return { access: special, record: (entry) => record(token as VerifiedToken, entry) };
      // One Access per verified token (the verifier hands back the same object while the token lives),
      // so scope-query filters compile once per token, not once per request.
      let access = accessByToken.get(token);
      if (!access) {
        const scopes = token.scopes.map(parseScope).filter((s) => s !== undefined);
        const principal = `${token.subject === token.clientId ? 'client' : 'user'}:${token.subject}@${token.clientId}`;
        access = accessFor({ principal, client: token.clientId, scopes, members: token.reach }, policy);
        accessByToken.set(token, access);
      }
      return { access, record: (entry) => record(token as VerifiedToken, entry) };
    },
  };
}

