/**
 * The refresh_token grant (RFC 6749 §6; SMART App Launch 2.x §Refresh access token). Refresh tokens
 * rotate: each is single-use, and presenting a used one again is treated as theft — the whole grant
 * is revoked (OAuth 2.0 Security BCP §4.14.2). A narrower `scope` may be asked for; never a wider one.
 */
import type { AuthDeps } from './auth-deps.js';
import { ensure, OAuthError } from './oauth-error.js';
import type { ClientRecord } from './records.js';
import { NON_RESOURCE_SCOPES, parseScope, scopeCovers } from './scopes.js';
import { tokenKey } from './secrets.js';
import { newRefreshToken, tokenResponse, type TokenResponse } from './token-issuer.js';

/** Every requested scope must be one the grant holds (non-resource) or be covered by one (resource). */
export function checkNoEscalation(requested: string[], granted: string[]): void {
  for (const s of requested) {
    if (NON_RESOURCE_SCOPES.has(s)) {
      ensure(granted.includes(s), 'invalid_scope', `scope ${s} was not granted`);
      continue;
    }
    const want = parseScope(s);
    ensure(want !== undefined, 'invalid_scope', `scope ${s} is not a SMART scope`);
    const covered = granted.some((g) => {
      const have = parseScope(g);
      return have !== undefined && scopeCovers(have, want);
    });
    ensure(covered, 'invalid_scope', `scope ${s} exceeds what was granted`);
  }
}

/**
 * SMART App Launch 2.x §Refresh access token: a public app's refresh request need not name the client
 * (client authentication "is not possible (and thus not required)"), so the client is the one the refresh
 * token was issued to — accepted only when that client is public. Confidential clients always authenticate.
 */
export async function publicClientOfRefreshToken(deps: AuthDeps, token: string | undefined): Promise<ClientRecord> {
  const record = token ? await deps.grants.refreshTokens.get(tokenKey(token)) : undefined;
  const grant = record ? await deps.grants.live(record.grantId) : undefined;
  const client = grant ? await deps.clients.get(grant.clientId) : undefined;
  ensure(client !== undefined, 'invalid_grant', 'refresh token is unknown or expired');
  ensure(client.authMethod === 'none', 'invalid_client', 'this client must authenticate');
  return client;
}

export async function refresh(deps: AuthDeps, client: ClientRecord, body: Record<string, string | undefined>): Promise<TokenResponse> {
  ensure(body.refresh_token !== undefined && body.refresh_token !== '', 'invalid_request', 'refresh_token is required');
  const key = tokenKey(body.refresh_token);
  const reused = async (grantId: string): Promise<never> => {
    await deps.grants.revoke(grantId, 'refresh token reused');
    throw new OAuthError('invalid_grant', 'refresh token was already used; the grant is revoked');
  };
  const record = await deps.grants.refreshTokens.get(key);
  ensure(record !== undefined, 'invalid_grant', 'refresh token is unknown or expired');
  if (record.used) return reused(record.grantId);
  const grant = await deps.grants.live(record.grantId);
  ensure(grant !== undefined, 'invalid_grant', 'the grant was revoked');
  ensure(grant.clientId === client._id, 'invalid_grant', 'refresh token was issued to another client');
  let scopes = grant.scopes;
  if (body.scope !== undefined && body.scope.trim() !== '') {
    const requested = body.scope.trim().split(/\s+/);
    checkNoEscalation(requested, grant.scopes);
    scopes = requested;
  }
  // Only a request that passed every check spends the token; of two racing uses, one wins and the
  // other is treated as reuse.
  if (!(await deps.grants.refreshTokens.update(key, { used: false }, { used: true }))) return reused(record.grantId);
  // RFC 6749 §6: a narrower `scope` narrows this access token only; the new refresh token keeps the
  // grant's scope, so narrowing once does not lose offline access.
  const response = await tokenResponse(deps, { ...grant, scopes }, { refresh: false });
  const refreshToken = await newRefreshToken(deps, grant);
  return refreshToken ? { ...response, refresh_token: refreshToken } : response;
}
