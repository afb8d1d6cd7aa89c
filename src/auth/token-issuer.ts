/**
 * Signing what the token endpoint returns. Access tokens are JWTs in the RFC 9068 profile
 * (`typ: at+jwt`, so an id_token can never be replayed as an access token) naming their grant (`gid`),
 * which the resource server checks on every request so revocation is immediate.
 */
import { SignJWT } from 'jose';
import type { AuthDeps } from './auth-deps.js';
import type { GrantRecord } from './grants.js';
import { TOKEN_ALG } from './signing-keys.js';
import { randomToken, tokenKey } from './secrets.js';
import { parseScopes } from './scopes.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  patient?: string;
  encounter?: string;
  need_patient_banner?: boolean;
  smart_style_url?: string;
}

export async function signAccessToken(deps: AuthDeps, grant: GrantRecord, lifetime: number): Promise<string> {
  const now = Math.floor(deps.clock().getTime() / 1000);
  return new SignJWT({
    client_id: grant.clientId,
    scope: grant.scopes.join(' '),
    gid: grant._id,
    reach: grant.reach,
    ...(grant.patient ? { patient: grant.patient } : {}),
    ...(grant.fhirUser ? { fhirUser: grant.fhirUser } : {}),
  })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: deps.keys.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(deps.issuer)
    .setAudience(deps.fhirBase)
    .setSubject(grant.userId ?? grant.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .setJti(randomToken(16))
    .sign(deps.keys.privateKey);
}

/** OpenID Connect Core §2 id_token; SMART's fhirUser claim names the user's FHIR resource. */
async function signIdToken(deps: AuthDeps, grant: GrantRecord, nonce: string | undefined, authTime: number | undefined): Promise<string> {
  const now = Math.floor(deps.clock().getTime() / 1000);
  const wantsFhirUser = grant.scopes.includes('fhirUser');
  return new SignJWT({
    ...(wantsFhirUser && grant.fhirUser ? { fhirUser: `${deps.fhirBase}/${grant.fhirUser}` } : {}),
    ...(nonce ? { nonce } : {}),
    ...(authTime ? { auth_time: authTime } : {}),
  })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: deps.keys.kid, typ: 'JWT' })
    .setIssuer(deps.issuer)
    .setAudience(grant.clientId)
    .setSubject(grant.userId ?? grant.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + deps.lifetimes.accessToken)
    .sign(deps.keys.privateKey);
}

/** A new single-use refresh token for the grant, or undefined when neither offline nor online access was granted. */
export async function newRefreshToken(deps: AuthDeps, grant: GrantRecord): Promise<string | undefined> {
  const scopes = parseScopes(grant.scopes.join(' '));
  if (!scopes.offlineAccess && !scopes.onlineAccess) return undefined;
  const token = randomToken(32);
  const lifetime = scopes.offlineAccess ? deps.lifetimes.offlineRefresh : deps.lifetimes.onlineRefresh;
  await deps.grants.refreshTokens.insert({ _id: tokenKey(token), grantId: grant._id, used: false, exp: deps.clock().getTime() + lifetime * 1000 });
  return token;
}

export async function tokenResponse(
  deps: AuthDeps,
  grant: GrantRecord,
  options: { refresh: boolean; nonce?: string; authTime?: number; backend?: boolean },
): Promise<TokenResponse> {
  const lifetime = options.backend ? deps.lifetimes.backendToken : deps.lifetimes.accessToken;
  const scopes = parseScopes(grant.scopes.join(' '));
  const refresh = options.refresh ? await newRefreshToken(deps, grant) : undefined;
  return {
    access_token: await signAccessToken(deps, grant, lifetime),
    token_type: 'Bearer',
    expires_in: lifetime,
    scope: grant.scopes.join(' '),
    ...(refresh ? { refresh_token: refresh } : {}),
    ...(scopes.openid && grant.userId ? { id_token: await signIdToken(deps, grant, options.nonce, options.authTime) } : {}),
    ...(grant.patient ? { patient: grant.patient, need_patient_banner: scopes.launch } : {}),
    ...(grant.encounter ? { encounter: grant.encounter } : {}),
  };
}
