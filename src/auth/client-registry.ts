/**
 * The registry of OAuth clients (SMART apps and backend services). Admin endpoints, the
 * `npm run clients` command and RFC 7591 dynamic registration all register through `register`, so
 * one set of rules decides what a valid client is. Secrets are returned once and stored hashed.
 */
import { z } from 'zod';
import type { DocumentStore } from '../store/document-port.js';
import { OAuthError } from './oauth-error.js';
import type { ClientAuthMethod, ClientRecord, ClientRole } from './records.js';
import { hashSecret, randomIdentifier, randomToken, verifySecret } from './secrets.js';
import { NON_RESOURCE_SCOPES, parseScope } from './scopes.js';

/** Loopback http is allowed for native apps and development (RFC 8252 §7.3); everything else must be https. */
export function isAcceptableUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash !== '' || value.includes('#')) return false;
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

const url = z.string().max(2000).refine(isAcceptableUrl, 'must be an https URL (or http on localhost), without a fragment');

const jwk = z.object({ kty: z.enum(['RSA', 'EC']), kid: z.string().max(200).optional() }).passthrough();

export const clientInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(['app', 'provider', 'payer', 'admin']),
    authMethod: z.enum(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    redirectUris: z.array(url).max(20).default([]),
    scopes: z
      .array(z.string().max(500))
      .min(1)
      .max(200)
      .refine((list) => list.every((s) => NON_RESOURCE_SCOPES.has(s) || parseScope(s) !== undefined), 'contains a scope that is not a SMART scope'),
    jwks: z.object({ keys: z.array(jwk).min(1).max(20) }).optional(),
    jwksUri: url.optional(),
    organization: z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/).optional(),
    dynamic: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const problem = (message: string): void => void ctx.addIssue({ code: 'custom', message });
    if (c.role === 'app' && c.redirectUris.length === 0) problem('an app needs at least one redirect URI');
    if (c.role !== 'app' && c.authMethod === 'none') problem('a backend client must authenticate (private_key_jwt)');
    if ((c.role === 'provider' || c.role === 'payer') && c.authMethod !== 'private_key_jwt') problem('provider and payer backends use private_key_jwt (SMART Backend Services)');
    if (c.authMethod === 'private_key_jwt' && !c.jwks && !c.jwksUri) problem('private_key_jwt needs jwks or jwksUri');
    if (c.authMethod !== 'private_key_jwt' && (c.jwks || c.jwksUri)) problem('keys are only used with private_key_jwt');
    if (c.role === 'app' && c.scopes.some((s) => s.startsWith('system/'))) problem('apps cannot hold system/ scopes');
    if (c.role !== 'app' && c.scopes.some((s) => s.startsWith('patient/') || s.startsWith('launch'))) problem('backend clients hold system/ scopes only');
    if (c.role === 'provider' && !c.organization) problem('a provider backend is registered to its organization (organization: Organization/<id>)');
    if (c.role === 'payer' && !c.organization) problem("another payer's backend is registered to its Organization (organization: Organization/<id>, with the identifiers its Consents name it by)");
  });

export type ClientInput = z.input<typeof clientInputSchema>;

export interface ClientRegistry {
  /** Validates and stores a client; `secret` is returned once for client_secret_* methods. */
  register(input: ClientInput, id?: string): Promise<{ client: ClientRecord; secret?: string }>;
  get(id: string): Promise<ClientRecord | undefined>;
  list(): Promise<ClientRecord[]>;
  remove(id: string): Promise<boolean>;
  /** Limit a provider backend to some PID/SLs of its organization (undefined: the whole organization). */
  setLocations(id: string, locations: string[] | undefined): Promise<ClientRecord | undefined>;
  checkSecret(client: ClientRecord, secret: string): Promise<boolean>;
}

export function clientRegistry(docs: DocumentStore, clock: () => Date): ClientRegistry {
  const clients = docs.collection<ClientRecord>('clients');
  return {
    async register(input, id) {
      const parsed = clientInputSchema.safeParse(input);
      if (!parsed.success) {
        throw new OAuthError('invalid_client_metadata', parsed.error.issues.map((i) => `${i.path.join('.') || 'client'}: ${i.message}`).join('; '));
      }
      const c = parsed.data;
      const needsSecret = c.authMethod === 'client_secret_basic' || c.authMethod === 'client_secret_post';
      const secret = needsSecret ? randomToken(32) : undefined;
      const client: ClientRecord = {
        _id: id ?? randomIdentifier(16),
        name: c.name,
        role: c.role as ClientRole,
        authMethod: c.authMethod as ClientAuthMethod,
        redirectUris: c.redirectUris,
        scopes: [...new Set(c.scopes)],
        createdAt: clock().toISOString(),
        ...(secret ? { secretHash: await hashSecret(secret) } : {}),
        ...(c.jwks ? { jwks: c.jwks as ClientRecord['jwks'] } : {}),
        ...(c.jwksUri ? { jwksUri: c.jwksUri } : {}),
        ...(c.organization ? { organization: c.organization } : {}),
        ...(c.dynamic ? { dynamic: true } : {}),
      };
      if (!(await clients.insert(client))) throw new OAuthError('invalid_client_metadata', `client ${client._id} already exists`);
      return { client, secret };
    },
    get: (id) => clients.get(id),
    list: () => clients.find({}, { sort: [['createdAt', 1]], limit: 10_000 }),
    remove: (id) => clients.delete(id),
    async setLocations(id, locations) {
      const client = await clients.get(id);
      if (!client) return undefined;
      const { locations: _old, ...rest } = client;
      const next: ClientRecord = locations === undefined ? rest : { ...rest, locations: [...new Set(locations)] };
      await clients.put(next);
      return next;
    },
    checkSecret: (client, secret) => verifySecret(secret, client.secretHash),
  };
}
