/**
 * Trusting an external OpenID Connect authorization server by configuration (AUTH_EXTERNAL_ISSUER +
 * AUTH_EXTERNAL_JWKS_URL): its tokens are verified against its JWKS, issuer and audience, and mapped
 * onto the same access rules as the embedded server's — a patient claim confines the token to that
 * member's compartment; only configured staff clients reach every member.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, FHIR_JSON } from '../../helpers/fhir-json.js';

const ISSUER = 'https://idp.example.org/realms/medicaid';
let idp: Server;
let signingKey: CryptoKey;
let srv: TestServer;
let patientA: string;
let patientB: string;

async function externalToken(claims: Record<string, unknown>, opts: { key?: CryptoKey; iss?: string; aud?: string; expiresIn?: number | string; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'idp-1' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? srv.baseUrl)
    .setIssuedAt(now - 10)
    .setExpirationTime(opts.expiresIn ?? now + 300)
    .sign(opts.key ?? signingKey);
}

async function createFor(patientId: string, code: string): Promise<string> {
  const obs: Observation = { resourceType: 'Observation', status: 'final', code: { text: code }, subject: { reference: `Patient/${patientId}` } };
  const res = await authed(srv).post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(JSON.stringify(obs));
  expect(res.status).toBe(201);
  return (res.body as Observation).id as string;
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  idp = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  const { port } = idp.address() as AddressInfo;
  srv = await startTestServer({
    AUTH_EXTERNAL_ISSUER: ISSUER,
    AUTH_EXTERNAL_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
    AUTH_EXTERNAL_STAFF_CLIENTS: 'staff-console',
  });
  for (const [family, set] of [['Alpha', (id: string) => (patientA = id)], ['Bravo', (id: string) => (patientB = id)]] as const) {
    const res = await authed(srv).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient(family, 'Ext')));
    expect(res.status).toBe(201);
    set((res.body as Patient).id as string);
  }
  await createFor(patientA, 'a-obs');
  await createFor(patientB, 'b-obs');
});

afterAll(async () => {
  await srv?.stop();
  await new Promise<void>((resolve) => idp?.close(() => resolve()));
});

describe('an external OpenID Connect issuer trusted by configuration', () => {
  it('when its token carries a patient claim and patient scopes, then it reads that member and nobody else', async () => {
    const token = await externalToken({ scope: 'patient/*.rs', patient: patientA, azp: 'member-app' });
    const own = await authed(srv, token).get(`/fhir/Patient/${patientA}`);
    expect(own.status).toBe(200);
    const other = await authed(srv, token).get(`/fhir/Patient/${patientB}`);
    expect(other.status).toBe(404);
    const search = await authed(srv, token).get(`/fhir/Observation?subject=Patient/${patientB}`);
    expect(search.status).toBe(200);
    expect((search.body as Bundle).entry ?? []).toHaveLength(0);
    const mine = await authed(srv, token).get('/fhir/Observation');
    expect(((mine.body as Bundle).entry ?? []).map((e) => (e.resource as Observation).subject?.reference)).toEqual([`Patient/${patientA}`]);
  });

  it('when scopes come as an `scp` array (as some servers send them), then they are honoured the same way', async () => {
    const token = await externalToken({ scp: ['patient/Patient.rs'], patient: patientA, client_id: 'member-app' });
    expect((await authed(srv, token).get(`/fhir/Patient/${patientA}`)).status).toBe(200);
    expect((await authed(srv, token).get('/fhir/Observation')).status).toBe(403);
  });

  it('when a configured staff client calls without a patient, then it reaches every member', async () => {
    const token = await externalToken({ scope: 'system/*.rs', client_id: 'staff-console' });
    expect((await authed(srv, token).get(`/fhir/Patient/${patientB}`)).status).toBe(200);
  });

  it('when any other client calls without a patient, then member data is refused (403)', async () => {
    const token = await externalToken({ scope: 'system/*.rs', client_id: 'some-backend' });
    const res = await authed(srv, token).get(`/fhir/Patient/${patientB}`);
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it.each([
    ['signed by a key the issuer does not publish', async () => externalToken({ scope: 'system/*.rs', client_id: 'staff-console' }, { key: (await generateKeyPair('RS256')).privateKey })],
    ['from another issuer', () => externalToken({ scope: 'system/*.rs', client_id: 'staff-console' }, { iss: 'https://evil.example.org' })],
    ['for another audience', () => externalToken({ scope: 'system/*.rs', client_id: 'staff-console' }, { aud: 'https://other-payer.example.org/fhir' })],
    ['expired', () => externalToken({ scope: 'system/*.rs', client_id: 'staff-console' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 })],
  ])('when the token is %s, then 401 with a Bearer challenge', async (_what, make) => {
    const res = await authed(srv, await make()).get(`/fhir/Patient/${patientB}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
