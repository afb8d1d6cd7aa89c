/**
 * A scripted SMART standalone (or EHR) launch without a browser: fetch with `redirect: 'manual'`
 * walks authorize → login → consent → redirect_uri exactly as a browser would post the forms, so
 * tests can reach every step, tamper with one, and exchange the code themselves. The consent page is
 * read with two small regexes (the `csrf` hidden field and the `scope` inputs), which is all a
 * browser submits.
 *
 * Also: PKCE pairs (RFC 7636 §4.2, S256), client registration straight into the server's registry,
 * form posts to the OAuth endpoints, and signed client assertions (RFC 7523) for backend clients.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type KeyObject } from 'jose';
import type { TokenResponse } from '../../src/auth/token-issuer.js';
import type { ClientRole } from '../../src/auth/records.js';
import type { TestServer } from './test-server.js';

export type SmartServer = Pick<TestServer, 'url' | 'baseUrl' | 'auth'>;

export interface PkcePair {
  verifier: string;
  challenge: string;
}

/** A fresh code_verifier (43 base64url characters from 32 random bytes) and its S256 challenge. */
export function pkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface RegisterAppOptions {
  scopes: string[];
  redirectUri?: string;
  authMethod?: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  role?: ClientRole;
  name?: string;
  /** Public keys for private_key_jwt. */
  jwks?: JSONWebKeySet;
  jwksUri?: string;
}

/** Registers a client through the server's own registry (the rules of /admin/clients apply). */
export async function registerApp(srv: SmartServer, o: RegisterAppOptions): Promise<{ clientId: string; secret?: string }> {
  const { client, secret } = await srv.auth.deps.clients.register({
    name: o.name ?? 'Test app',
    role: o.role ?? 'app',
    authMethod: o.authMethod ?? 'none',
    redirectUris: o.redirectUri ? [o.redirectUri] : [],
    scopes: o.scopes,
    ...(o.jwks ? { jwks: o.jwks as { keys: Array<{ kty: 'RSA' | 'EC' }> } } : {}),
    ...(o.jwksUri ? { jwksUri: o.jwksUri } : {}),
  });
  return { clientId: client._id, ...(secret ? { secret } : {}) };
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** POSTs an application/x-www-form-urlencoded body; fields whose value is undefined are left out. */
export async function postForm<T = Record<string, unknown>>(
  srv: SmartServer,
  path: string,
  form: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.append(k, v);
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: both parts form-urlencoded first). */
export function basicAuth(clientId: string, secret: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  challenge?: string;
  challengeMethod?: string;
  aud?: string;
  launch?: string;
  nonce?: string;
}

/** The authorization endpoint's query (SMART App Launch 2.x §Obtain authorization code); `aud` defaults to the FHIR base. */
export function authorizeQuery(srv: SmartServer, p: AuthorizeParams): URLSearchParams {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    scope: p.scope,
    state: p.state ?? randomBytes(12).toString('base64url'),
    aud: p.aud ?? srv.baseUrl,
    code_challenge_method: p.challengeMethod ?? 'S256',
  });
  if (p.challenge !== undefined) q.set('code_challenge', p.challenge);
  if (p.launch !== undefined) q.set('launch', p.launch);
  if (p.nonce !== undefined) q.set('nonce', p.nonce);
  return q;
}

/** GET /auth/authorize without following the redirect. */
export async function authorize(srv: SmartServer, query: URLSearchParams, cookie?: string): Promise<Response> {
  return fetch(`${srv.url}/auth/authorize?${query.toString()}`, { redirect: 'manual', ...(cookie ? { headers: { Cookie: cookie } } : {}) });
}

export type Credentials = { member: { memberId: string; birthDate: string; password: string } } | { user: { login: string; password: string } };

/** POST /auth/login as the sign-in form does. */
export async function submitLogin(srv: SmartServer, requestId: string | undefined, who: Credentials): Promise<Response> {
  const form = new URLSearchParams();
  if (requestId !== undefined) form.set('request', requestId);
  if ('member' in who) {
    form.set('kind', 'member');
    form.set('login', who.member.memberId);
    form.set('birth_date', who.member.birthDate);
    form.set('password', who.member.password);
  } else {
    form.set('kind', 'user');
    form.set('login', who.user.login);
    form.set('password', who.user.password);
  }
  return fetch(`${srv.url}/auth/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
}

/** `name=value` of the Set-Cookie headers, ready for a Cookie header. */
export function cookieOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

const unescapeHtml = (s: string): string =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A hidden field's value on a server-rendered page, or undefined. */
export function hiddenField(page: string, name: string): string | undefined {
  const m = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(page);
  return m ? unescapeHtml(m[1]) : undefined;
}

export interface ConsentForm {
  request: string;
  csrf: string;
  /** Scopes with a checkbox the user may clear. */
  optional: string[];
  /** Scopes the page marks as needed (disabled checkbox + hidden field: always submitted). */
  required: string[];
}

export function parseConsentPage(page: string): ConsentForm {
  const request = hiddenField(page, 'request');
  const csrf = hiddenField(page, 'csrf');
  if (request === undefined || csrf === undefined) throw new Error('the consent page has no request or csrf field');
  const values = (re: RegExp): string[] => [...page.matchAll(re)].map((m) => unescapeHtml(m[1]));
  return {
    request,
    csrf,
    optional: values(/<input type="checkbox"[^>]*\bname="scope" value="([^"]*)"/g),
    required: values(/<input type="hidden" name="scope" value="([^"]*)"/g),
  };
}

export interface SmartLoginOptions extends Partial<Pick<AuthorizeParams, 'state' | 'aud' | 'nonce' | 'launch'>> {
  clientId: string;
  redirectUri: string;
  scope: string;
  member?: { memberId: string; birthDate: string; password: string };
  user?: { login: string; password: string };
  /** Optional scopes left ticked on the consent page (default: all shown); needed ones are always sent, as a browser does. */
  approveScopes?: string[];
  /** Press "Don't allow". */
  deny?: boolean;
  /** The code_verifier to use (default: a fresh one). */
  verifier?: string;
  /** Client authentication headers for the token request (confidential apps). */
  clientHeaders?: Record<string, string>;
}

export interface SmartLogin {
  /** The app's redirect_uri as the server sent the browser there. */
  redirect: URL;
  code?: string;
  /** The `error` parameter of the redirect (deny, no scope left). */
  error?: string;
  /** `state` as returned on the redirect. */
  state: string | null;
  /** `state` as sent. */
  sentState: string;
  verifier: string;
  /** The smart_session cookie of the sign-in. */
  cookie: string;
  /** What the consent page showed. */
  consent: ConsentForm;
  /** POST /auth/token (authorization_code); an override of undefined removes that field. */
  exchange(overrides?: Record<string, string | undefined>): Promise<HttpResult>;
  /** exchange() that must succeed. */
  tokenResponse(): Promise<TokenResponse>;
}

function expectRedirect(res: Response, step: string): URL {
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`${step}: expected a 303 redirect, got ${res.status}`);
  return new URL(location);
}

/** The whole browser part of a launch, then the code (or error) the app received. */
export async function smartLogin(srv: SmartServer, o: SmartLoginOptions): Promise<SmartLogin> {
  const who: Credentials | undefined = o.member ? { member: o.member } : o.user ? { user: o.user } : undefined;
  if (!who) throw new Error('smartLogin needs member or user credentials');
  const verifier = o.verifier ?? pkcePair().verifier;
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = authorizeQuery(srv, { ...o, challenge });
  const sentState = query.get('state') as string;

  const toLogin = expectRedirect(await authorize(srv, query), 'authorize');
  if (!toLogin.href.startsWith(`${srv.url}/auth/login`)) throw new Error(`authorize: redirected to ${toLogin.href}`);
  const requestId = toLogin.searchParams.get('request') ?? undefined;

  const login = await submitLogin(srv, requestId, who);
  const toConsent = expectRedirect(login, 'login');
  const cookie = cookieOf(login);

  const consentRes = await fetch(toConsent, { redirect: 'manual', headers: { Cookie: cookie } });
  if (consentRes.status !== 200) throw new Error(`consent page: ${consentRes.status}`);
  const consent = parseConsentPage(await consentRes.text());

  const form = new URLSearchParams({ request: consent.request, csrf: consent.csrf });
  for (const s of consent.required) form.append('scope', s);
  for (const s of consent.optional) if (o.approveScopes === undefined || o.approveScopes.includes(s)) form.append('scope', s);
  form.set('decision', o.deny ? 'deny' : 'approve');
  const decided = await fetch(`${srv.url}/auth/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: form.toString(),
  });
  const redirect = expectRedirect(decided, 'consent');

  const code = redirect.searchParams.get('code') ?? undefined;
  const error = redirect.searchParams.get('error') ?? undefined;
  const exchange = (overrides: Record<string, string | undefined> = {}): Promise<HttpResult> =>
    postForm(
      srv,
      '/auth/token',
      { grant_type: 'authorization_code', code, redirect_uri: o.redirectUri, client_id: o.clientId, code_verifier: verifier, ...overrides },
      o.clientHeaders,
    );
  return {
    redirect,
    ...(code !== undefined ? { code } : {}),
    ...(error !== undefined ? { error } : {}),
    state: redirect.searchParams.get('state'),
    sentState,
    verifier,
    cookie,
    consent,
    exchange,
    async tokenResponse() {
      const res = await exchange();
      if (res.status !== 200) throw new Error(`token exchange refused: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as unknown as TokenResponse;
    },
  };
}

/** POST /auth/token with grant_type=refresh_token for a public client. */
export function refreshWith(srv: SmartServer, clientId: string, refreshToken: string, scope?: string): Promise<HttpResult> {
  return postForm(srv, '/auth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, scope });
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionOptions {
  clientId: string;
  /** Default: the server's token endpoint. */
  aud?: string;
  alg: string;
  kid?: string;
  key: CryptoKey | KeyObject | Uint8Array;
  /** Default: a random one. */
  jti?: string;
  /** Seconds from now (default 240). */
  expiresIn?: number;
}

/** A client assertion (SMART Backend Services §Authenticating to the token endpoint). */
export async function signClientAssertion(srv: SmartServer, o: AssertionOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: o.alg, typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) })
    .setIssuer(o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.aud ?? `${srv.url}/auth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 240))
    .setJti(o.jti ?? randomBytes(16).toString('base64url'))
    .sign(o.key);
}

/** client_credentials with a client assertion. */
export function backendTokenRequest(srv: SmartServer, assertion: string, scope: string): Promise<HttpResult> {
  return postForm(srv, '/auth/token', { grant_type: 'client_credentials', scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });
}

/**
 * A demo member's access token from a full standalone launch of the demo patient app (the Patient Access
 * tests all start this way). Checks that the token's patient is the member signed in.
 */
export async function demoMemberToken(
  srv: SmartServer,
  demo: { password: string; patientApp: { client_id: string; redirect_uri: string } },
  member: { memberId: string; birthDate: string; patient: string },
  scope = 'launch/patient openid fhirUser patient/*.rs',
): Promise<string> {
  const login = await smartLogin(srv, {
    clientId: demo.patientApp.client_id,
    redirectUri: demo.patientApp.redirect_uri,
    scope,
    member: { memberId: member.memberId, birthDate: member.birthDate, password: demo.password },
  });
  const tokens = await login.tokenResponse();
  if (tokens.patient !== member.patient) throw new Error(`launch for ${member.patient} returned patient ${String(tokens.patient)}`);
  return String(tokens.access_token);
}

/** A SMART Backend Services client of a provider organization or another payer, with its private key. */
export interface BackendClient {
  clientId: string;
  kid: string;
  key: CryptoKey;
  organization: string;
}

/**
 * Registers a provider's or another payer's backend client (private_key_jwt, ES384) through the admin
 * API, as staff do, so the API's rules apply.
 */
export async function registerBackendClient(srv: Pick<TestServer, 'url' | 'adminToken'>, o: { role: 'provider' | 'payer'; organization: string; name: string; scopes?: string[] }): Promise<BackendClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `${o.name.replace(/\W+/g, '-')}-key`;
  const res = await fetch(`${srv.url}/admin/clients`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${srv.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: o.name, role: o.role, authMethod: 'private_key_jwt', scopes: o.scopes ?? ['system/*.rs'], jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }] }, organization: o.organization }),
  });
  const body = (await res.json()) as { client_id?: string };
  if (res.status !== 201 || !body.client_id) throw new Error(`client registration refused: ${res.status} ${JSON.stringify(body)}`);
  return { clientId: body.client_id, kid, key: privateKey, organization: o.organization };
}

/** The backend client's access token for `scope` (client_credentials with a signed assertion). */
export async function backendClientToken(srv: SmartServer, c: BackendClient, scope = 'system/*.rs'): Promise<string> {
  const assertion = await signClientAssertion(srv, { clientId: c.clientId, alg: 'ES384', kid: c.kid, key: c.key });
  const res = await backendTokenRequest(srv, assertion, scope);
  if (res.status !== 200) throw new Error(`token refused: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.access_token);
}
