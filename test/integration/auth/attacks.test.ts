/**
 * A negative test for every MUST of the authorization server and the resource server's token check
 * (issue 3, "Proven by tests: attacks"), each named after the rule and asserting what an attacker
 * observes: the status, the OAuth error code or the FHIR 401/403, and that nothing was granted.
 * Where a test could pass for the wrong reason (a token refused for another defect), a control request
 * shows the same token without the defect is accepted.
 *
 * Specs: SMART App Launch 2.x (app-launch.html, backend-services.html), RFC 6749, RFC 6750 §3,
 * RFC 7636 (PKCE), RFC 7009 (revocation), RFC 7662 (introspection), RFC 7523 (client assertions),
 * RFC 9068 (JWT access tokens), OAuth 2.0 Security BCP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import {
  authorize,
  authorizeQuery,
  backendTokenRequest,
  basicAuth,
  cookieOf,
  hiddenField,
  pkcePair,
  postForm,
  refreshWith,
  registerApp,
  signClientAssertion,
  smartLogin,
  submitLogin,
  type SmartLogin,
  type SmartLoginOptions,
} from '../../helpers/smart-login.js';
import type { AdminCredentials } from '../../../src/auth/bootstrap-admin.js';
import type { AuthDeps } from '../../../src/auth/auth-deps.js';
import type { DemoLogins } from '../../../src/demo-logins.js';
import { signAccessToken } from '../../../src/auth/token-issuer.js';
import { exchangeCode, issueCode } from '../../../src/auth/authorization-code.js';
import type { AuthorizationRequest } from '../../../src/auth/authorization-request.js';
import { clientRegistry } from '../../../src/auth/client-registry.js';
import { grantStore, type GrantRecord } from '../../../src/auth/grants.js';
import { userDirectory } from '../../../src/auth/users.js';
import { OAuthError } from '../../../src/auth/oauth-error.js';
import type { UserRecord } from '../../../src/auth/records.js';
import { openEmbeddedDocuments } from '../../../src/store/embedded/embedded-documents.js';

let srv: TestServer;
let demo: DemoLogins;
let memberA: DemoLogins['members'][number];
let admin: AdminCredentials;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '2' });
  if (!srv.demo || srv.demo.members.length < 2) throw new Error('demo logins were not created');
  demo = srv.demo;
  memberA = demo.members[0];
  admin = JSON.parse(readFileSync(join(srv.dataDir, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

const STANDALONE_SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs';

/** A standalone launch of the demo patient app by member A (overridable). */
function launch(o: Partial<SmartLoginOptions> = {}): Promise<SmartLogin> {
  const { password } = demo;
  return smartLogin(srv, {
    clientId: demo.patientApp.client_id,
    redirectUri: demo.patientApp.redirect_uri,
    scope: STANDALONE_SCOPE,
    member: { memberId: memberA.memberId, birthDate: memberA.birthDate, password },
    ...o,
  });
}

async function fhirGet(path: string, token?: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${srv.baseUrl}${path}`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const ownPatient = (): string => `/Patient/${memberA.patient}`;

/** The FHIR 401 of RFC 6750 §3: a Bearer challenge naming invalid_token, and an OperationOutcome. */
function expectInvalidToken(res: { status: number; headers: Headers; body: Record<string, unknown> }): void {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect(res.body.resourceType).toBe('OperationOutcome');
}

/** The live grant behind a token the server issued. */
async function grantOf(accessToken: string): Promise<GrantRecord> {
  const grant = await srv.auth.deps.grants.live(String(decodeJwt(accessToken).gid));
  if (!grant) throw new Error('the token has no live grant');
  return grant;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens at the FHIR API', () => {
  let token: string;
  let claims: JWTPayload;
  beforeAll(async () => {
    token = (await (await launch()).tokenResponse()).access_token;
    claims = decodeJwt(token);
    expect((await fhirGet(ownPatient(), token)).status).toBe(200);
  });

  it('when no token is sent, then the FHIR API answers 401 with a bare Bearer challenge and the admin API 401', async () => {
    const res = await fhirGet('/Patient');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const adminApi = await fetch(`${srv.url}/admin/clients`);
    expect(adminApi.status).toBe(401);
  });

  it('when the token is unsigned (alg none), then 401 invalid_token', async () => {
    const header = { ...decodeProtectedHeader(token), alg: 'none' };
    const forged = `${b64url(header)}.${b64url(claims)}.`;
    expectInvalidToken(await fhirGet(ownPatient(), forged));
  });

  it('when the token is signed by another RSA key under our kid, then 401 invalid_token', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: srv.auth.deps.keys.kid, typ: 'at+jwt' }).sign(privateKey);
    expectInvalidToken(await fhirGet(ownPatient(), forged));
  });

  it('when the token has expired, then 401 invalid_token (and the same grant signed now is accepted)', async () => {
    const grant = await grantOf(token);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    const expired = await signAccessToken({ ...srv.auth.deps, clock: () => twoHoursAgo }, grant, 3600);
    expect(decodeJwt(expired).exp).toBeLessThan(Date.now() / 1000);
    expectInvalidToken(await fhirGet(ownPatient(), expired));
    expect((await fhirGet(ownPatient(), await signAccessToken(srv.auth.deps, grant, 3600))).status).toBe(200);
  });

  it('when the token is for another audience, then 401 invalid_token', async () => {
    const grant = await grantOf(token);
    const elsewhere = await signAccessToken({ ...srv.auth.deps, fhirBase: 'https://other-payer.example.org/fhir' }, grant, 3600);
    expectInvalidToken(await fhirGet(ownPatient(), elsewhere));
  });

  it('when the token names another issuer (signed with our own key), then 401 invalid_token', async () => {
    const grant = await grantOf(token);
    const foreign = await signAccessToken({ ...srv.auth.deps, issuer: 'https://evil.example.org' }, grant, 3600);
    expectInvalidToken(await fhirGet(ownPatient(), foreign));
  });

  it('when an id_token is presented as an access token, then 401 invalid_token', async () => {
    const tokens = await (await launch()).tokenResponse();
    expect(tokens.id_token).toBeDefined();
    expect((await fhirGet(ownPatient(), tokens.access_token)).status).toBe(200);
    expectInvalidToken(await fhirGet(ownPatient(), tokens.id_token));
  });

  it('when a member token calls the admin API, then 403 access_denied', async () => {
    const res = await fetch(`${srv.url}/admin/clients`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('access_denied');
  });

  it('when the member removes the app on the account page, then its tokens get 401', async () => {
    const login = await launch();
    const tokens = await login.tokenResponse();
    expect((await fhirGet(ownPatient(), tokens.access_token)).status).toBe(200);
    const page = await (await fetch(`${srv.url}/account`, { headers: { Cookie: login.cookie } })).text();
    const gid = String(decodeJwt(tokens.access_token).gid);
    expect(page).toContain(`name="grant_id" value="${gid}"`);
    const revoked = await fetch(`${srv.url}/account/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: login.cookie },
      body: new URLSearchParams({ csrf: hiddenField(page, 'csrf') ?? '', grant_id: gid }).toString(),
    });
    expect(revoked.status).toBe(200);
    expectInvalidToken(await fhirGet(ownPatient(), tokens.access_token));
    expect((await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string)).body.error).toBe('invalid_grant');
  });
});

describe('the authorization endpoint', () => {
  const appQuery = (extra: Record<string, string | undefined>): URLSearchParams => {
    const q = authorizeQuery(srv, { clientId: demo.patientApp.client_id, redirectUri: demo.patientApp.redirect_uri, scope: STANDALONE_SCOPE, state: 'st-123', challenge: pkcePair().challenge });
    for (const [k, v] of Object.entries(extra)) if (v === undefined) q.delete(k);
    else q.set(k, v);
    return q;
  };

  /** The app's redirect_uri with error and state, and no code. */
  function expectErrorRedirect(res: Response, error: string): void {
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location') as string);
    expect(`${to.origin}${to.pathname}`).toBe(demo.patientApp.redirect_uri);
    expect(to.searchParams.get('error')).toBe(error);
    expect(to.searchParams.get('state')).toBe('st-123');
    expect(to.searchParams.get('code')).toBeNull();
  }

  it('when code_challenge_method is plain, then the app is sent back error=invalid_request', async () => {
    const { verifier } = pkcePair();
    expectErrorRedirect(await authorize(srv, appQuery({ code_challenge_method: 'plain', code_challenge: verifier })), 'invalid_request');
  });

  it('when no code_challenge is sent, then the app is sent back error=invalid_request', async () => {
    expectErrorRedirect(await authorize(srv, appQuery({ code_challenge: undefined })), 'invalid_request');
    expectErrorRedirect(await authorize(srv, appQuery({ code_challenge: undefined, code_challenge_method: undefined })), 'invalid_request');
  });

  it('when aud is not this server\'s FHIR base, then the app is sent back error=invalid_request', async () => {
    expectErrorRedirect(await authorize(srv, appQuery({ aud: 'https://other-payer.example.org/fhir' })), 'invalid_request');
    expectErrorRedirect(await authorize(srv, appQuery({ aud: undefined })), 'invalid_request');
  });

  it('when the redirect_uri is not registered exactly, then our error page answers 400 and nothing is redirected', async () => {
    for (const redirectUri of ['https://evil.example.org/callback', `${demo.patientApp.redirect_uri}/x`, `${demo.patientApp.redirect_uri}?next=https://evil.example.org`]) {
      const res = await authorize(srv, appQuery({ redirect_uri: redirectUri }));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('redirect_uri is not registered');
    }
  });

  it('when the client is unknown, then our error page answers 400 and nothing is redirected', async () => {
    const res = await authorize(srv, appQuery({ client_id: 'no-such-client' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('sign-in and consent', () => {
  it('when the member denies at consent, then the app gets error=access_denied with its state and no code', async () => {
    const login = await launch({ deny: true });
    expect(login.error).toBe('access_denied');
    expect(login.state).toBe(login.sentState);
    expect(login.code).toBeUndefined();
    expect(`${login.redirect.origin}${login.redirect.pathname}`).toBe(demo.patientApp.redirect_uri);
  });

  it('when the member unticks scopes, then the granted scope is narrower and the token enforces it', async () => {
    const scope = 'launch/patient offline_access patient/Patient.rs patient/ExplanationOfBenefit.rs patient/Observation.rs';
    const login = await launch({ scope, approveScopes: ['patient/Patient.rs', 'patient/Observation.rs'] });
    expect(login.consent.optional.sort()).toEqual(['offline_access', 'patient/ExplanationOfBenefit.rs', 'patient/Observation.rs', 'patient/Patient.rs']);
    const tokens = await login.tokenResponse();
    expect(tokens.scope.split(' ').sort()).toEqual(['launch/patient', 'patient/Observation.rs', 'patient/Patient.rs']);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.patient).toBe(memberA.patient);
    expect((await fhirGet('/Observation', tokens.access_token)).status).toBe(200);
    expect((await fhirGet('/ExplanationOfBenefit', tokens.access_token)).status).toBe(403);
  });

  it('when a member signs in with a wrong date of birth, then 401, and after five failures even the right one gets 429', async () => {
    const other = demo.members[1];
    const q = authorizeQuery(srv, { clientId: demo.patientApp.client_id, redirectUri: demo.patientApp.redirect_uri, scope: STANDALONE_SCOPE, challenge: pkcePair().challenge });
    const requestId = new URL((await authorize(srv, q)).headers.get('location') as string).searchParams.get('request') ?? undefined;
    const wrong = { member: { memberId: other.memberId, birthDate: '1901-01-01', password: demo.password } };
    for (let i = 0; i < 5; i++) {
      const res = await submitLogin(srv, requestId, wrong);
      expect(res.status).toBe(401);
      expect(cookieOf(res)).toBe('');
      expect(await res.text()).toContain('We could not sign you in');
    }
    const locked = await submitLogin(srv, requestId, { member: { memberId: other.memberId, birthDate: other.birthDate, password: demo.password } });
    expect(locked.status).toBe(429);
    expect(cookieOf(locked)).toBe('');
  });
});

describe('the token endpoint: authorization codes', () => {
  it('when a code is exchanged twice, then the second is invalid_grant and the first tokens stop working', async () => {
    const login = await launch();
    const first = await login.exchange();
    expect(first.status).toBe(200);
    const access = String(first.body.access_token);
    expect((await fhirGet(ownPatient(), access)).status).toBe(200);

    const second = await login.exchange();
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.access_token).toBeUndefined();
    expectInvalidToken(await fhirGet(ownPatient(), access));
    expect((await refreshWith(srv, demo.patientApp.client_id, String(first.body.refresh_token))).body.error).toBe('invalid_grant');
  });

  it('when the code_verifier does not match the challenge, then invalid_grant', async () => {
    const login = await launch();
    const res = await login.exchange({ code_verifier: pkcePair().verifier });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.access_token).toBeUndefined();
  });

  it('when the code_verifier is missing, then invalid_grant', async () => {
    const login = await launch();
    const res = await login.exchange({ code_verifier: undefined });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.access_token).toBeUndefined();
  });

  it('when the redirect_uri differs from the authorization request, then invalid_grant', async () => {
    const login = await launch();
    const res = await login.exchange({ redirect_uri: 'http://localhost:9090/other' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('when another client presents the code, then invalid_grant', async () => {
    const thief = await registerApp(srv, { scopes: ['launch/patient', 'patient/*.rs'], redirectUri: demo.patientApp.redirect_uri });
    const login = await launch();
    const res = await login.exchange({ client_id: thief.clientId });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('when a code is older than its lifetime, then exchanging it is invalid_grant (and a younger one works)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-codes-'));
    let now = Date.now();
    const docs = await openEmbeddedDocuments({ dataDir: dir, clock: () => now });
    try {
      const clock = (): Date => new Date(now);
      const deps: AuthDeps = { ...srv.auth.deps, docs, clock, clients: clientRegistry(docs, clock), users: userDirectory(docs, clock), grants: grantStore(docs, clock) };
      expect(deps.lifetimes.code).toBeLessThanOrEqual(600);
      const { client } = await deps.clients.register({ name: 'Clocked app', role: 'app', authMethod: 'none', redirectUris: ['http://localhost:9090/cb'], scopes: ['launch/patient', 'patient/*.rs'] });
      const user: UserRecord = { _id: 'u1', kind: 'member', login: 'm1', passwordHash: 'unused', patientId: memberA.patient, createdAt: clock().toISOString() };
      const codeAt = async (): Promise<{ code: string; verifier: string }> => {
        const { verifier, challenge } = pkcePair();
        const request: AuthorizationRequest = { _id: 'r', exp: now + 60_000, clientId: client._id, redirectUri: 'http://localhost:9090/cb', state: 's', codeChallenge: challenge, scopes: ['launch/patient', 'patient/*.rs'], userKind: 'member', csrf: 'c' };
        return { code: await issueCode(deps, request, user, request.scopes, Math.floor(now / 1000)), verifier };
      };
      const body = (c: { code: string; verifier: string }) => ({ grant_type: 'authorization_code', code: c.code, redirect_uri: 'http://localhost:9090/cb', code_verifier: c.verifier });

      const young = await codeAt();
      now += (deps.lifetimes.code - 1) * 1000;
      expect((await exchangeCode(deps, client, body(young))).patient).toBe(memberA.patient);

      const old = await codeAt();
      now += (deps.lifetimes.code + 1) * 1000;
      const refused = await exchangeCode(deps, client, body(old)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OAuthError);
      expect((refused as OAuthError).code).toBe('invalid_grant');
    } finally {
      await docs.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the token endpoint: refresh tokens', () => {
  it('when a refresh asks for a scope beyond the grant, then invalid_scope; a narrower one is granted and enforced', async () => {
    const scope = 'launch/patient offline_access patient/Patient.rs patient/ExplanationOfBenefit.rs';
    const tokens = await (await launch({ scope })).tokenResponse();

    const narrowed = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string, 'offline_access patient/Patient.rs');
    expect(narrowed.status).toBe(200);
    expect(String(narrowed.body.scope).split(' ').sort()).toEqual(['offline_access', 'patient/Patient.rs']);
    expect(narrowed.body.refresh_token).toEqual(expect.any(String));
    const narrowToken = String(narrowed.body.access_token);
    expect((await fhirGet(ownPatient(), narrowToken)).status).toBe(200);
    expect((await fhirGet('/ExplanationOfBenefit', narrowToken)).status).toBe(403);

    const wider = await refreshWith(srv, demo.patientApp.client_id, String(narrowed.body.refresh_token), 'offline_access patient/Patient.rs patient/Observation.rs');
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    expect(wider.body.access_token).toBeUndefined();
  });

  it('when a refresh asks for more letters of a granted type (patient/Patient.cruds), then invalid_scope', async () => {
    const tokens = await (await launch({ scope: 'launch/patient offline_access patient/Patient.rs' })).tokenResponse();
    const res = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string, 'patient/Patient.cruds');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  it('when a refresh narrows to a scope without offline_access, then a new refresh token still carries the whole grant (RFC 6749 §6)', async () => {
    const scope = 'launch/patient offline_access patient/Patient.rs patient/ExplanationOfBenefit.rs';
    const tokens = await (await launch({ scope })).tokenResponse();
    const narrowed = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string, 'patient/Patient.rs');
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('patient/Patient.rs');
    expect((await fhirGet('/ExplanationOfBenefit', String(narrowed.body.access_token))).status).toBe(403);
    const full = await refreshWith(srv, demo.patientApp.client_id, String(narrowed.body.refresh_token));
    expect(full.status).toBe(200);
    expect(String(full.body.scope).split(' ').sort()).toEqual(scope.split(' ').sort());
    expect((await fhirGet('/ExplanationOfBenefit', String(full.body.access_token))).status).toBe(200);
  });

  it('when a refresh is refused for its scope, then the refresh token is not spent and still works', async () => {
    const tokens = await (await launch({ scope: 'launch/patient offline_access patient/Patient.rs' })).tokenResponse();
    const refused = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string, 'patient/Observation.rs');
    expect(refused.body.error).toBe('invalid_scope');
    const retry = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string);
    expect(retry.status).toBe(200);
    expect((await fhirGet(ownPatient(), String(retry.body.access_token))).status).toBe(200);
  });

  it('when a rotated refresh token is used again, then invalid_grant and the whole grant is revoked', async () => {
    const tokens = await (await launch()).tokenResponse();
    const rotated = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
    const newAccess = String(rotated.body.access_token);
    expect((await fhirGet(ownPatient(), newAccess)).status).toBe(200);

    const replay = await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expectInvalidToken(await fhirGet(ownPatient(), newAccess));
    expectInvalidToken(await fhirGet(ownPatient(), tokens.access_token));
    const next = await refreshWith(srv, demo.patientApp.client_id, String(rotated.body.refresh_token));
    expect(next.body.error).toBe('invalid_grant');
  });

  it('when another client presents the refresh token, then invalid_grant', async () => {
    const other = await registerApp(srv, { scopes: ['launch/patient', 'offline_access', 'patient/*.rs'], redirectUri: demo.patientApp.redirect_uri });
    const tokens = await (await launch()).tokenResponse();
    const res = await refreshWith(srv, other.clientId, tokens.refresh_token as string);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.access_token).toBeUndefined();
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  const revoke = (token: string, clientId = demo.patientApp.client_id) => postForm(srv, '/auth/revoke', { token, client_id: clientId });
  const introspect = (token: string) => postForm(srv, '/auth/introspect', { token }, basicAuth(admin.client_id, admin.client_secret));

  it('when the refresh token is revoked, then the access token of its grant gets 401', async () => {
    const tokens = await (await launch()).tokenResponse();
    expect((await fhirGet(ownPatient(), tokens.access_token)).status).toBe(200);
    expect((await revoke(tokens.refresh_token as string)).status).toBe(200);
    expectInvalidToken(await fhirGet(ownPatient(), tokens.access_token));
    expect((await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('when the access token is revoked, then it gets 401 and so does its refresh', async () => {
    const tokens = await (await launch()).tokenResponse();
    expect((await revoke(tokens.access_token)).status).toBe(200);
    expectInvalidToken(await fhirGet(ownPatient(), tokens.access_token));
    expect((await refreshWith(srv, demo.patientApp.client_id, tokens.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('when another client revokes a token, then 200 but the token keeps working; an unknown token is 200 too', async () => {
    const other = await registerApp(srv, { scopes: ['launch/patient', 'patient/*.rs'], redirectUri: demo.patientApp.redirect_uri });
    const tokens = await (await launch()).tokenResponse();
    expect((await revoke(tokens.access_token, other.clientId)).status).toBe(200);
    expect((await revoke(tokens.refresh_token as string, other.clientId)).status).toBe(200);
    expect((await fhirGet(ownPatient(), tokens.access_token)).status).toBe(200);
    expect((await revoke('not-a-token')).status).toBe(200);
  });

  it('when a live token is introspected, then active with its client, scope and patient; revoked or garbage, then only active false', async () => {
    const tokens = await (await launch()).tokenResponse();
    const live = await introspect(tokens.access_token);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ active: true, client_id: demo.patientApp.client_id, patient: memberA.patient, aud: srv.baseUrl });
    expect(String(live.body.scope).split(' ').sort()).toEqual(tokens.scope.split(' ').sort());
    const refresh = await introspect(tokens.refresh_token as string);
    expect(refresh.body).toMatchObject({ active: true, token_type: 'refresh_token' });

    await revoke(tokens.access_token);
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
    expect((await introspect(tokens.refresh_token as string)).body).toEqual({ active: false });
    expect((await introspect('garbage')).body).toEqual({ active: false });
  });

  it('when a public client calls introspection, then 401 invalid_client', async () => {
    const tokens = await (await launch()).tokenResponse();
    const res = await postForm(srv, '/auth/introspect', { token: tokens.access_token, client_id: demo.patientApp.client_id });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.body.active).toBeUndefined();
  });
});

describe('client assertions (private_key_jwt)', () => {
  let clientId: string;
  let key: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('RS384', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS384' };
    clientId = (await registerApp(srv, { role: 'admin', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwks: { keys: [jwk] } })).clientId;
  });

  it('when the same assertion (same jti) is presented twice, then the second is invalid_client', async () => {
    const assertion = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key });
    const first = await backendTokenRequest(srv, assertion, 'system/*.rs');
    expect(first.status).toBe(200);
    const again = await backendTokenRequest(srv, assertion, 'system/*.rs');
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
    expect(again.body.access_token).toBeUndefined();
    const sameJti = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key, jti: String(decodeJwt(assertion).jti) });
    expect((await backendTokenRequest(srv, sameJti, 'system/*.rs')).body.error).toBe('invalid_client');
  });

  it('when the assertion expires more than five minutes ahead, then invalid_client', async () => {
    const assertion = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key, expiresIn: 600 });
    const res = await backendTokenRequest(srv, assertion, 'system/*.rs');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('when the assertion has expired, then invalid_client', async () => {
    const assertion = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key, expiresIn: -120 });
    expect((await backendTokenRequest(srv, assertion, 'system/*.rs')).body.error).toBe('invalid_client');
  });

  it('when the assertion is for another audience, then invalid_client', async () => {
    const assertion = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key, aud: 'https://other-payer.example.org/auth/token' });
    expect((await backendTokenRequest(srv, assertion, 'system/*.rs')).body.error).toBe('invalid_client');
  });

  it('when the assertion is signed with HS256, then invalid_client', async () => {
    const assertion = await signClientAssertion(srv, { clientId, alg: 'HS256', kid: 'k1', key: new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!') });
    const res = await backendTokenRequest(srv, assertion, 'system/*.rs');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('when the assertion is unsigned (alg none), then invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: clientId, sub: clientId, aud: `${srv.url}/auth/token`, iat: now, exp: now + 240, jti: `none-${now}` };
    const assertion = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    const res = await backendTokenRequest(srv, assertion, 'system/*.rs');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('when the assertion is signed by a key the client did not register, then invalid_client', async () => {
    const { privateKey } = await generateKeyPair('RS384');
    const assertion = await signClientAssertion(srv, { clientId, alg: 'RS384', kid: 'k1', key: privateKey });
    expect((await backendTokenRequest(srv, assertion, 'system/*.rs')).body.error).toBe('invalid_client');
  });
});

describe('discovery without a token', () => {
  it('when the metadata and well-known documents are fetched without a token, then each is 200', async () => {
    for (const path of ['/fhir/metadata', '/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration', '/.well-known/openid-configuration', '/.well-known/jwks.json']) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status, path).toBe(200);
    }
    const jwks = (await (await fetch(`${srv.url}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toContain(srv.auth.deps.keys.kid);
    expect(jwks.keys.every((k) => k.d === undefined && k.p === undefined)).toBe(true);
  });

  it('when the CapabilityStatement is read, then rest.security names the SMART service and the oauth-uris of this server', async () => {
    const cs = (await (await fetch(`${srv.baseUrl}/metadata`)).json()) as {
      rest: Array<{ security?: { service?: Array<{ coding?: Array<{ system?: string; code?: string }> }>; extension?: Array<{ url: string; extension?: Array<{ url: string; valueUri?: string }> }> } }>;
    };
    const security = cs.rest[0].security;
    expect(security?.service?.[0].coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
    const uris = security?.extension?.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    const uri = (name: string) => uris?.extension?.find((e) => e.url === name)?.valueUri;
    expect(uri('authorize')).toBe(`${srv.url}/auth/authorize`);
    expect(uri('token')).toBe(`${srv.url}/auth/token`);
    expect(uri('revoke')).toBe(`${srv.url}/auth/revoke`);
    expect(uri('introspect')).toBe(`${srv.url}/auth/introspect`);
  });

  it('when smart-configuration is read (at the root and under /fhir), then it lists S256 only, private_key_jwt and the issue\'s capabilities', async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
      const conf = (await (await fetch(`${srv.url}${path}`)).json()) as Record<string, unknown>;
      expect(conf.issuer).toBe(srv.url);
      expect(conf.authorization_endpoint).toBe(`${srv.url}/auth/authorize`);
      expect(conf.token_endpoint).toBe(`${srv.url}/auth/token`);
      expect(conf.introspection_endpoint).toBe(`${srv.url}/auth/introspect`);
      expect(conf.revocation_endpoint).toBe(`${srv.url}/auth/revoke`);
      expect(conf.registration_endpoint).toBe(`${srv.url}/auth/register`);
      expect(conf.jwks_uri).toBe(`${srv.url}/.well-known/jwks.json`);
      expect(conf.code_challenge_methods_supported).toEqual(['S256']);
      expect(conf.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
      expect(conf.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt']));
      expect(conf.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
      expect(conf.scopes_supported).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'launch/patient', 'offline_access', 'online_access', 'system/*.rs']));
      expect(conf.capabilities).toEqual(
        expect.arrayContaining([
          'launch-standalone',
          'launch-ehr',
          'client-public',
          'client-confidential-symmetric',
          'client-confidential-asymmetric',
          'context-standalone-patient',
          'permission-patient',
          'permission-user',
          'permission-v1',
          'permission-v2',
          'permission-offline',
          'sso-openid-connect',
        ]),
      );
    }
  });
});
