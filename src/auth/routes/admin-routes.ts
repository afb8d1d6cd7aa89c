/**
 * Payer staff endpoints for the client registry and users (JSON). Callable only with a token that
 * reaches every member — a staff user's or an admin backend's — so a member or provider token gets
 * 403. Secrets are returned once, at creation.
 */
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../auth-deps.js';
import { OAuthError } from '../oauth-error.js';
import type { ClientRecord, UserRecord } from '../records.js';
import type { TokenVerifier } from '../verify-token.js';
import { oauthJson } from './oauth-handler.js';

const publicClient = ({ secretHash: _s, ...rest }: ClientRecord) => ({ ...rest, client_id: rest._id });
const publicUser = ({ passwordHash: _p, ...rest }: UserRecord) => rest;

const userInput = z.object({
  kind: z.enum(['member', 'provider', 'staff']),
  login: z.string().trim().min(1).max(100),
  password: z.string().min(12).max(200),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  patientId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
  fhirUser: z.string().regex(/^(Patient|Practitioner|PractitionerRole|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/).optional(),
  organization: z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/).optional(),
  locations: z.array(z.string().regex(/^\d{9}[A-Z]$/)).max(500).optional(),
  primary: z.boolean().optional(),
  name: z.string().max(200).optional(),
});

export function adminRoutes(app: Express, auth: AuthDeps, verify: TokenVerifier): void {
  const json = express.json({ limit: '256kb' });
  const staffOnly = async (req: Request): Promise<void> => {
    const token = await verify(req.get('Authorization'));
    if (token.reach.kind !== 'all') throw new OAuthError('access_denied', 'payer staff only', 403);
  };
  const decl = (method: 'get' | 'post' | 'delete', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });

  route(app, decl('get', '/admin/clients', 'list registered clients'), oauthJson(async (req) => {
    await staffOnly(req);
    return (await auth.clients.list()).map(publicClient);
  }));
  route(app, decl('post', '/admin/clients', 'register a client (app, provider/payer backend, admin)'), json, oauthJson(async (req, res) => {
    await staffOnly(req);
    const { client, secret } = await auth.clients.register(req.body);
    res.status(201);
    return { ...publicClient(client), ...(secret ? { client_secret: secret } : {}) };
  }));
  route(app, decl('delete', '/admin/clients/:id', 'remove a client and revoke its grants'), oauthJson(async (req, res) => {
    await staffOnly(req);
    const id = String(req.params.id);
    const removed = await auth.clients.remove(id);
    if (!removed) throw new OAuthError('invalid_request', 'unknown client', 404);
    const revoked = await auth.grants.revokeForClient(id, 'client removed by payer staff');
    res.status(200);
    return { removed: id, grantsRevoked: revoked };
  }));
  route(app, decl('get', '/admin/users', 'list users (by kind or organization)'), oauthJson(async (req) => {
    await staffOnly(req);
    const kind = z.enum(['member', 'provider', 'staff']).optional().safeParse(req.query.kind);
    return (await auth.users.list({ ...(kind.success && kind.data ? { kind: kind.data } : {}) })).map(publicUser);
  }));
  route(app, decl('post', '/admin/users', 'create a user (member, provider user, payer staff)'), json, oauthJson(async (req, res) => {
    await staffOnly(req);
    const parsed = userInput.safeParse(req.body);
    if (!parsed.success) throw new OAuthError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (await auth.users.byLogin(parsed.data.kind, parsed.data.login)) throw new OAuthError('invalid_request', 'that login exists', 409);
    res.status(201);
    return publicUser(await auth.users.create(parsed.data));
  }));
  route(app, decl('delete', '/admin/users/:id', 'remove a user'), oauthJson(async (req) => {
    await staffOnly(req);
    const id = String(req.params.id);
    if (!(await auth.users.remove(id))) throw new OAuthError('invalid_request', 'unknown user', 404);
    return { removed: id };
  }));
}
