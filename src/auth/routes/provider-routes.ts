/**
 * Delegated access for provider organizations (MISSION.md "Delegated access"): an organization's
 * Primary User grants subordinate users and business partners access to specific PID/SLs of that
 * organization — never more than the Primary User holds, never another organization's. And the EHR
 * launch: a provider user (or payer staff) opens an app for one patient; a provider user only for a
 * member attributed to their organization, and a subordinate user or business partner only through one
 * of the PID/SLs it was granted.
 */
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../auth-deps.js';
import type { ProviderScope } from '../member-lookups.js';
import { launchContexts } from '../launch-contexts.js';
import { ensure, OAuthError } from '../oauth-error.js';
import type { UserRecord } from '../records.js';
import type { TokenVerifier } from '../verify-token.js';
import { oauthJson } from './oauth-handler.js';

export interface ProviderRouteDeps {
  auth: AuthDeps;
  verify: TokenVerifier;
  /** True when the patient is attributed today to the organization, through one of the granted PID/SLs if any are named. */
  isAttributed(patientId: string, who: ProviderScope): Promise<boolean>;
}

const pidSl = z.string().regex(/^\d{9}[A-Z]$/, 'a PID/SL is 9 digits and a service-location letter');
const delegateInput = z.object({
  login: z.string().trim().min(1).max(100),
  password: z.string().min(12).max(200),
  name: z.string().max(200).optional(),
  locations: z.array(pidSl).min(1).max(500),
  businessPartner: z.boolean().default(false),
});
const launchInput = z.object({
  patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/),
  encounter: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
  client_id: z.string().max(100).optional(),
  /** Payer staff may open a launch for a named provider or staff user (e.g. a portal acting for them). */
  user: z.string().max(100).optional(),
});

const shown = ({ passwordHash: _p, ...rest }: UserRecord) => rest;

function invalid(error: z.ZodError): OAuthError {
  return new OAuthError('invalid_request', error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
}

export function providerRoutes(app: Express, deps: ProviderRouteDeps): void {
  const { auth, verify } = deps;
  const json = express.json({ limit: '64kb' });

  const caller = async (req: Request): Promise<{ user?: UserRecord; staff: boolean }> => {
    const token = await verify(req.get('Authorization'));
    const user = await auth.users.get(token.subject);
    return { ...(user ? { user } : {}), staff: token.reach.kind === 'all' };
  };
  const primaryUser = async (req: Request): Promise<UserRecord> => {
    const { user } = await caller(req);
    if (!user || user.kind !== 'provider' || !user.primary || !user.organization) throw new OAuthError('access_denied', "only an organization's Primary User manages its users", 403);
    return user;
  };
  const decl = (method: 'get' | 'post' | 'delete', path: string, description: string) => ({ method, path, audiences: ['provider'] as const, description });

  route(app, decl('get', '/provider/users', "the Primary User lists the organization's users"), oauthJson(async (req) => {
    const primary = await primaryUser(req);
    return (await auth.users.list({ kind: 'provider', organization: primary.organization })).map(shown);
  }));

  route(app, decl('post', '/provider/users', 'the Primary User grants a subordinate user or business partner access to some of its PID/SLs'), json, oauthJson(async (req, res) => {
    const primary = await primaryUser(req);
    const parsed = delegateInput.safeParse(req.body);
    if (!parsed.success) throw invalid(parsed.error);
    const outside = parsed.data.locations.filter((l) => !(primary.locations ?? []).includes(l));
    ensure(outside.length === 0, 'invalid_request', `not PID/SLs of your organization: ${outside.join(', ')}`);
    if (await auth.users.byLogin('provider', parsed.data.login)) throw new OAuthError('invalid_request', 'that user name is taken', 409);
    const created = await auth.users.create({ kind: 'provider', ...parsed.data, organization: primary.organization, grantedBy: primary._id, primary: false });
    res.status(201);
    return shown(created);
  }));

  route(app, decl('delete', '/provider/users/:id', 'the Primary User removes a user it granted'), oauthJson(async (req) => {
    const primary = await primaryUser(req);
    const target = await auth.users.get(String(req.params.id));
    if (!target || target.organization !== primary.organization || target._id === primary._id) throw new OAuthError('invalid_request', 'unknown user', 404);
    await auth.users.remove(target._id);
    return { removed: target._id };
  }));

  route(
    app,
    { method: 'post', path: '/auth/launch', audiences: ['provider', 'admin'], description: 'open an EHR launch context for one patient (SMART EHR launch)' },
    json,
    oauthJson(async (req, res) => {
      const who = await caller(req);
      const parsed = launchInput.safeParse(req.body);
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      let userId: string;
      if (who.staff && input.user) {
        const target = (await auth.users.byLogin('provider', input.user)) ?? (await auth.users.byLogin('staff', input.user));
        ensure(target !== undefined, 'invalid_request', 'unknown user');
        userId = target._id;
      } else {
        const user = who.user;
        if (!user || user.kind === 'member') throw new OAuthError('access_denied', 'EHR launches are opened by provider users and payer staff', 403);
        if (user.kind === 'provider') {
          // The Primary User reaches every member attributed to the organization; a subordinate user or
          // business partner only those attributed through a PID/SL it was granted.
          const scope: ProviderScope | undefined = user.organization === undefined ? undefined : user.primary ? { organization: user.organization } : { organization: user.organization, locations: user.locations ?? [] };
          const attributed = scope !== undefined && (await deps.isAttributed(input.patient, scope));
          if (!attributed) throw new OAuthError('access_denied', user.primary ? 'this member is not attributed to your organization' : 'this member is not attributed to your organization through a service location (PID/SL) you were granted', 403);
        }
        userId = user._id;
      }
      const launch = await launchContexts(auth).create({ patient: input.patient, userId, ...(input.encounter ? { encounter: input.encounter } : {}), ...(input.client_id ? { clientId: input.client_id } : {}) });
      res.status(201);
      return { launch: launch._id, iss: auth.fhirBase, expires_in: auth.lifetimes.launch };
    }),
  );
}
