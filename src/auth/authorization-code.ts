/**
 * Authorization codes: issued when the user approves, exchanged once at the token endpoint
 * (RFC 6749 §4.1.3, RFC 7636 §4.6). A code is stored by its hash; the first exchange marks it used,
 * and a second exchange of the same code revokes the grant the first one produced (RFC 6749 §4.1.2:
 * "SHOULD revoke … all tokens previously issued based on that authorization code").
 */
import type { AuthDeps } from './auth-deps.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { checkPkceVerifier } from './checks/check-pkce.js';
import type { GrantRecord } from './grants.js';
import { ensure, OAuthError } from './oauth-error.js';
import type { ClientRecord, UserRecord } from './records.js';
import { randomToken, tokenKey } from './secrets.js';
import { tokenResponse, type TokenResponse } from './token-issuer.js';
import { reachOf } from './reach.js';

interface CodeRecord {
  _id: string;
  exp: number;
  used: boolean;
  grantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce?: string;
  authTime: number;
  grant: GrantRecord;
}

const codes = (deps: AuthDeps) => deps.docs.collection<CodeRecord>('authorization-codes');

/** The user approved `scopes` (a subset of what the request allows): make the code and its pending grant. */
export async function issueCode(deps: AuthDeps, request: AuthorizationRequest, user: UserRecord, approved: string[], authTime: number): Promise<string> {
  const scopes = request.scopes.filter((s) => approved.includes(s));
  const patient = request.launch?.patient ?? (user.kind === 'member' ? user.patientId : undefined);
  const grant: GrantRecord = {
    _id: randomToken(16),
    clientId: request.clientId,
    userId: user._id,
    scopes,
    reach: reachOf({ user, patient }),
    createdAt: deps.clock().toISOString(),
    ...(patient ? { patient } : {}),
    ...(request.launch?.encounter ? { encounter: request.launch.encounter } : {}),
    ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}),
  };
  const code = randomToken(32);
  await codes(deps).insert({
    _id: tokenKey(code),
    exp: deps.clock().getTime() + deps.lifetimes.code * 1000,
    used: false,
    grantId: grant._id,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    authTime,
    grant,
    ...(request.nonce ? { nonce: request.nonce } : {}),
  });
  return code;
}

export async function exchangeCode(deps: AuthDeps, client: ClientRecord, body: Record<string, string | undefined>): Promise<TokenResponse> {
  ensure(body.code !== undefined && body.code !== '', 'invalid_request', 'code is required');
  const key = tokenKey(body.code);
  const record = await codes(deps).update(key, { used: false }, { used: true });
  if (!record) {
    const spent = await codes(deps).get(key);
    if (spent?.used) {
      await deps.grants.revoke(spent.grantId, 'authorization code reused');
      throw new OAuthError('invalid_grant', 'authorization code was already used; the tokens issued with it are revoked');
    }
    throw new OAuthError('invalid_grant', 'authorization code is unknown or expired');
  }
  ensure(record.clientId === client._id, 'invalid_grant', 'authorization code was issued to another client');
  ensure(body.redirect_uri === record.redirectUri, 'invalid_grant', 'redirect_uri does not match the authorization request');
  checkPkceVerifier(body.code_verifier, record.codeChallenge);
  await deps.grants.create(record.grant);
  return tokenResponse(deps, record.grant, { refresh: true, nonce: record.nonce, authTime: record.authTime });
}
