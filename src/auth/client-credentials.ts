/**
 * SMART Backend Services (client_credentials with a signed client assertion). The granted scopes are
 * the requested `system/` scopes narrowed to what the client is registered for; asking for none that
 * can be granted is `invalid_scope`. No refresh token: a backend signs a new assertion instead.
 */
import type { AuthDeps } from './auth-deps.js';
import { ensure } from './oauth-error.js';
import type { ClientRecord } from './records.js';
import { reachOf } from './reach.js';
import { grantableScopes } from './scopes.js';
import { randomToken } from './secrets.js';
import { tokenResponse, type TokenResponse } from './token-issuer.js';

export async function clientCredentials(deps: AuthDeps, client: ClientRecord, body: Record<string, string | undefined>): Promise<TokenResponse> {
  ensure(client.role !== 'app', 'unauthorized_client', 'client_credentials is for backend clients');
  ensure(body.scope !== undefined && body.scope.trim() !== '', 'invalid_scope', 'scope is required');
  const { granted } = grantableScopes(body.scope, client.scopes);
  const systemScopes = granted.filter((s) => s.startsWith('system/'));
  ensure(systemScopes.length > 0, 'invalid_scope', 'none of the requested scopes may be granted to this client');
  const grant = {
    _id: randomToken(16),
    clientId: client._id,
    scopes: systemScopes,
    reach: reachOf({ clientRole: client.role }),
    createdAt: deps.clock().toISOString(),
    // Backend grants live only as long as their token; they are kept so the token can be revoked.
    exp: deps.clock().getTime() + deps.lifetimes.backendToken * 1000,
  };
  await deps.grants.create(grant);
  return tokenResponse(deps, grant, { refresh: false, backend: true });
}
