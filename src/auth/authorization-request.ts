/**
 * The authorization endpoint's request (RFC 6749 §4.1.1 + SMART App Launch 2.x §Obtain authorization
 * code), checked in order. Until the client and its redirect URI are verified, a problem is shown on
 * our own error page; afterwards it goes back to the app as `?error=…&state=…` (RFC 6749 §4.1.2.1).
 * A valid request is stored (single-use, expiring) while the user logs in and consents.
 */
import type { AuthDeps } from './auth-deps.js';
import { checkAudience } from './checks/check-audience.js';
import { checkPkceChallenge } from './checks/check-pkce.js';
import { checkRedirectUri } from './checks/check-redirect-uri.js';
import { ensure, OAuthError } from './oauth-error.js';
import type { ClientRecord } from './records.js';
import { grantableScopes, parseScopes } from './scopes.js';
import { randomToken } from './secrets.js';
import { launchContexts, type LaunchRecord } from './launch-contexts.js';

export interface AuthorizationRequest {
  _id: string;
  exp: number;
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  /** What may be granted: the requested scopes narrowed to the client's registered ceiling. */
  scopes: string[];
  nonce?: string;
  launch?: LaunchRecord;
  /** Who must sign in: a member (standalone patient launch) or a provider/staff user (EHR launch). */
  userKind: 'member' | 'user';
  /** Binds the consent form to this request (CSRF). */
  csrf: string;
}

/** An error to send back to the app's verified redirect URI. */
export class RedirectableError extends Error {
  constructor(
    readonly redirectUri: string,
    readonly state: string | undefined,
    readonly error: OAuthError,
  ) {
    super(error.message);
  }

  location(): string {
    const url = new URL(this.redirectUri);
    url.searchParams.set('error', this.error.code === 'invalid_redirect_uri' ? 'invalid_request' : this.error.code);
    url.searchParams.set('error_description', this.error.description);
    if (this.state !== undefined) url.searchParams.set('state', this.state);
    return url.toString();
  }
}

export type Query = Record<string, string | undefined>;

function checkClient(client: ClientRecord | undefined): ClientRecord {
  ensure(client !== undefined, 'invalid_request', 'unknown client_id');
  return client;
}

export async function startAuthorization(deps: AuthDeps, q: Query): Promise<AuthorizationRequest> {
  const client = checkClient(q.client_id ? await deps.clients.get(q.client_id) : undefined);
  const redirectUri = checkRedirectUri(client, q.redirect_uri);
  try {
    ensure(client.role === 'app', 'unauthorized_client', 'backend clients cannot use the authorization code flow');
    ensure(q.response_type === 'code', 'unsupported_response_type', 'response_type must be code');
    ensure(q.state !== undefined && q.state !== '' && q.state.length <= 1024, 'invalid_request', 'state is required');
    const codeChallenge = checkPkceChallenge(q.code_challenge, q.code_challenge_method);
    checkAudience(q.aud, deps.fhirBase);
    const { granted } = grantableScopes(q.scope ?? '', client.scopes);
    const parsed = parseScopes(granted.join(' '));
    ensure(parsed.resource.length > 0 || parsed.openid, 'invalid_scope', 'none of the requested scopes may be granted to this client');
    let launch: LaunchRecord | undefined;
    if (q.launch !== undefined) {
      ensure(parsed.launch, 'invalid_scope', 'an EHR launch needs the launch scope');
      launch = await launchContexts(deps).get(q.launch);
      ensure(launch !== undefined, 'invalid_request', 'launch is unknown or expired');
      ensure(launch.clientId === undefined || launch.clientId === client._id, 'invalid_request', 'launch was issued for another app');
    } else {
      ensure(!parsed.launch, 'invalid_request', 'the launch scope needs a launch parameter (EHR launch)');
    }
    ensure(!(launch && parsed.launchPatient), 'invalid_scope', 'launch/patient is for standalone launch; an EHR launch already carries the patient');
    const request: AuthorizationRequest = {
      _id: randomToken(24),
      exp: deps.clock().getTime() + deps.lifetimes.authorizationRequest * 1000,
      clientId: client._id,
      redirectUri,
      state: q.state,
      codeChallenge,
      scopes: granted,
      ...(q.nonce ? { nonce: q.nonce.slice(0, 512) } : {}),
      ...(launch ? { launch } : {}),
      userKind: launch ? 'user' : parsed.launchPatient || parsed.resource.some((s) => s.context === 'patient') ? 'member' : 'user',
      csrf: randomToken(24),
    };
    await deps.docs.collection<AuthorizationRequest>('authorization-requests').insert(request);
    return request;
  } catch (err) {
    if (err instanceof OAuthError) throw new RedirectableError(redirectUri, q.state, err);
    throw err;
  }
}

export function authorizationRequests(deps: AuthDeps) {
  return deps.docs.collection<AuthorizationRequest>('authorization-requests');
}
