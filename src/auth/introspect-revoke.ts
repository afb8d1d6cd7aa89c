/**
 * Token introspection (RFC 7662) and revocation (RFC 7009). Introspection answers only authenticated
 * confidential clients (the resource servers and tools that need it); anything not valid and live is
 * `{ active: false }`, with no reason given. Revocation of an access or refresh token revokes the grant
 * behind it, and answers 200 whether or not the token was known (RFC 7009 §2.2).
 */
import type { AuthDeps } from './auth-deps.js';
import { ensure } from './oauth-error.js';
import type { ClientRecord } from './records.js';
import { tokenKey } from './secrets.js';
import type { TokenVerifier } from './verify-token.js';

export async function introspect(deps: AuthDeps, verify: TokenVerifier, caller: ClientRecord, token: string | undefined): Promise<Record<string, unknown>> {
  ensure(caller.authMethod !== 'none', 'invalid_client', 'introspection is for authenticated clients');
  if (!token) return { active: false };
  const refresh = await deps.grants.refreshTokens.get(tokenKey(token));
  if (refresh) {
    const grant = refresh.used ? undefined : await deps.grants.live(refresh.grantId);
    if (!grant) return { active: false };
    return { active: true, token_type: 'refresh_token', client_id: grant.clientId, scope: grant.scopes.join(' '), exp: Math.floor(refresh.exp / 1000), sub: grant.userId ?? grant.clientId, ...(grant.patient ? { patient: grant.patient } : {}) };
  }
  try {
    const t = await verify(`Bearer ${token}`);
    return {
      active: true,
      token_type: 'Bearer',
      client_id: t.clientId,
      scope: t.scopes.join(' '),
      sub: t.subject,
      iss: t.issuer,
      aud: deps.fhirBase,
      exp: t.exp,
      ...(t.reach.kind === 'patient' ? { patient: t.reach.id } : {}),
      ...(t.fhirUser ? { fhirUser: t.fhirUser } : {}),
    };
  } catch {
    return { active: false };
  }
}

export async function revoke(deps: AuthDeps, verify: TokenVerifier, caller: ClientRecord, token: string | undefined): Promise<void> {
  if (!token) return;
  const refresh = await deps.grants.refreshTokens.get(tokenKey(token));
  if (refresh) {
    const grant = await deps.grants.live(refresh.grantId);
    if (grant && grant.clientId === caller._id) await deps.grants.revoke(grant._id, 'revoked by the client');
    return;
  }
  try {
    const t = await verify(`Bearer ${token}`);
    if (t.grantId && t.clientId === caller._id) await deps.grants.revoke(t.grantId, 'revoked by the client');
  } catch {
    // RFC 7009 §2.2: an invalid token is not an error.
  }
}
