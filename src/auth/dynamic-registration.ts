/**
 * RFC 7591 dynamic client registration, open to patient-facing apps: the CMS rule lets members use
 * the app of their choice, so an app must be able to register without the payer's involvement. What a
 * dynamically registered app may ever be granted is capped at patient-context read access; everything
 * else (user/ and system/ scopes, backends) is registered by payer staff.
 */
import { z } from 'zod';
import type { ClientRegistry } from './client-registry.js';
import { OAuthError } from './oauth-error.js';
import { grantableScopes } from './scopes.js';

export const PATIENT_APP_CEILING = ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access', 'patient/*.rs'];

const metadataSchema = z.object({
  client_name: z.string().trim().min(1).max(200),
  redirect_uris: z.array(z.string()).min(1).max(20),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'private_key_jwt']).default('none'),
  grant_types: z.array(z.string()).default(['authorization_code']),
  response_types: z.array(z.string()).default(['code']),
  scope: z.string().max(4000).optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  jwks_uri: z.string().optional(),
});

export async function registerDynamicClient(clients: ClientRegistry, body: unknown, now: Date): Promise<Record<string, unknown>> {
  const parsed = metadataSchema.safeParse(body);
  if (!parsed.success) throw new OAuthError('invalid_client_metadata', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const m = parsed.data;
  if (m.grant_types.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) throw new OAuthError('invalid_client_metadata', 'grant_types may be authorization_code and refresh_token');
  if (m.response_types.some((r) => r !== 'code')) throw new OAuthError('invalid_client_metadata', 'response_types must be code');
  const scopes = m.scope ? grantableScopes(m.scope, PATIENT_APP_CEILING).granted : PATIENT_APP_CEILING;
  if (scopes.length === 0) throw new OAuthError('invalid_client_metadata', `scope must be within: ${PATIENT_APP_CEILING.join(' ')}`);
  const { client, secret } = await clients.register({
    name: m.client_name,
    role: 'app',
    authMethod: m.token_endpoint_auth_method,
    redirectUris: m.redirect_uris,
    scopes,
    dynamic: true,
    ...(m.jwks ? { jwks: m.jwks as { keys: Array<{ kty: 'RSA' | 'EC' }> } } : {}),
    ...(m.jwks_uri ? { jwksUri: m.jwks_uri } : {}),
  });
  return {
    client_id: client._id,
    client_id_issued_at: Math.floor(now.getTime() / 1000),
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.authMethod,
    grant_types: m.grant_types,
    response_types: ['code'],
    scope: client.scopes.join(' '),
  };
}
