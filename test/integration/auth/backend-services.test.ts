/**
 * SMART Backend Services (backend-services.html) with real key pairs made in the test: clients are
 * registered by payer staff through /admin/clients, with an inline JWKS or a JWKS URL (served by a
 * small HTTP server on 127.0.0.1), sign RS384 / ES384 client assertions, and get short-lived
 * `system/` tokens. What a token reaches depends on the client's role: an admin backend reaches every
 * member, a provider backend only the shared reference data through the REST API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet } from 'jose';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { backendTokenRequest, signClientAssertion } from '../../helpers/smart-login.js';

let srv: TestServer;
let jwksServer: Server;
let jwksUrl: string;
let jwksHits = 0;
/** What the JWKS URL serves; set before the provider client first authenticates. */
let servedJwks: JSONWebKeySet = { keys: [] };

interface Backend {
  clientId: string;
  key: CryptoKey;
  alg: 'RS384' | 'ES384';
  kid: string;
}

let adminBackend: Backend;
let providerBackend: Backend;

async function keyPair(alg: Backend['alg'], kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

async function registerBackend(body: Record<string, unknown>): Promise<string> {
  const res = await authed(srv).post('/admin/clients').send(body);
  if (res.status !== 201) throw new Error(`client registration refused: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.client_id);
}

async function tokenFor(b: Backend, scope: string) {
  return backendTokenRequest(srv, await signClientAssertion(srv, { clientId: b.clientId, alg: b.alg, kid: b.kid, key: b.key }), scope);
}

const total = async (path: string, token: string): Promise<{ status: number; total?: number }> => {
  const res = await authed(srv, token).get(path);
  return { status: res.status, total: res.body.total as number | undefined };
};

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '2' });

  jwksServer = createServer((req, res) => {
    jwksHits++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(servedJwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const rs = await keyPair('RS384', 'admin-rs384');
  adminBackend = {
    clientId: await registerBackend({ name: 'Payer ingest', role: 'admin', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwks: { keys: [rs.jwk] } }),
    key: rs.privateKey,
    alg: 'RS384',
    kid: 'admin-rs384',
  };
  const es = await keyPair('ES384', 'provider-es384');
  servedJwks = { keys: [es.jwk] };
  providerBackend = {
    clientId: await registerBackend({ name: 'Clinic backend', role: 'provider', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwksUri: jwksUrl, organization: 'Organization/org-without-attribution' }),
    key: es.privateKey,
    alg: 'ES384',
    kid: 'provider-es384',
  };
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (jwksServer ? jwksServer.close(() => resolve()) : resolve()));
  await srv?.stop();
});

describe('client_credentials with a signed assertion', () => {
  it('when an admin backend signs RS384 with its inline key and asks system/*.rs, then it gets a bearer token of at most 300 s and no refresh token', async () => {
    const res = await tokenFor(adminBackend, 'system/*.rs');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.rs' });
    expect(res.body.expires_in).toBeGreaterThan(0);
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.id_token).toBeUndefined();
    const claims = decodeJwt(String(res.body.access_token));
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
    expect(claims.client_id).toBe(adminBackend.clientId);
    expect(claims.aud).toBe(srv.baseUrl);
  });

  it('when the admin backend reads with its system/*.rs token, then it sees every member\'s data', async () => {
    const token = String((await tokenFor(adminBackend, 'system/*.rs')).body.access_token);
    for (const path of ['/fhir/Patient?_summary=count', '/fhir/ExplanationOfBenefit?_summary=count', '/fhir/Coverage?_summary=count']) {
      const mine = await total(path, token);
      const staff = await total(path, srv.adminToken);
      expect(mine.status, path).toBe(200);
      expect(staff.total, path).toBeGreaterThan(0);
      expect(mine.total, path).toBe(staff.total);
    }
    expect((await total('/fhir/Patient?_summary=count', token)).total).toBe(2);
  });

  it('when a client registered for system/*.rs asks for system/*.cruds, then only system/*.rs is granted', async () => {
    const res = await tokenFor(adminBackend, 'system/*.cruds');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('system/*.rs');
    expect(decodeJwt(String(res.body.access_token)).scope).toBe('system/*.rs');
  });

  it('when a backend asks only for patient/ or user/ scopes, then invalid_scope', async () => {
    for (const scope of ['patient/*.rs', 'user/*.rs launch']) {
      const res = await tokenFor(adminBackend, scope);
      expect(res.status, scope).toBe(400);
      expect(res.body.error, scope).toBe('invalid_scope');
      expect(res.body.access_token).toBeUndefined();
    }
  });

  it('when a system/*.rs token writes, then 403 and nothing is stored', async () => {
    const token = String((await tokenFor(adminBackend, 'system/*.rs')).body.access_token);
    const before = await total('/fhir/Organization?_summary=count', srv.adminToken);
    const created = await authed(srv, token)
      .post('/fhir/Organization')
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Organization', name: 'Written by a read-only token' }));
    expect(created.status).toBe(403);
    expect(created.body.resourceType).toBe('OperationOutcome');

    const patients = await authed(srv, token).get('/fhir/Patient?_count=1');
    const patient = patients.body.entry[0].resource as { id: string; meta: { versionId: string } };
    const updated = await authed(srv, token)
      .put(`/fhir/Patient/${patient.id}`)
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ ...patient, gender: 'unknown' }));
    expect(updated.status).toBe(403);
    expect((await authed(srv, token).delete(`/fhir/Patient/${patient.id}`)).status).toBe(403);

    expect(await total('/fhir/Organization?_summary=count', srv.adminToken)).toEqual(before);
    const after = await authed(srv).get(`/fhir/Patient/${patient.id}`);
    expect(after.body.meta.versionId).toBe(patient.meta.versionId);
  });

  it('when a provider backend signs ES384 with the key at its JWKS URL, then the server fetches the set and issues a token of at most 300 s', async () => {
    const hitsBefore = jwksHits;
    const res = await tokenFor(providerBackend, 'system/*.rs');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('system/*.rs');
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    expect(jwksHits).toBeGreaterThan(hitsBefore);
  });

  it('when a provider backend with no attributed members reads with its token, then it reaches the shared reference data and no member data', async () => {
    const token = String((await tokenFor(providerBackend, 'system/*.rs')).body.access_token);
    for (const path of ['/fhir/Organization?_summary=count', '/fhir/Practitioner?_summary=count', '/fhir/Location?_summary=count']) {
      const mine = await total(path, token);
      expect(mine.status, path).toBe(200);
      expect(mine.total, path).toBeGreaterThan(0);
      expect(mine.total, path).toBe((await total(path, srv.adminToken)).total);
    }
    for (const path of ['/fhir/Patient', '/fhir/ExplanationOfBenefit', '/fhir/Coverage', '/fhir/Observation', '/fhir/Group', '/fhir/AuditEvent']) {
      const res = await authed(srv, token).get(path);
      expect(res.status, path).toBe(403);
      expect(res.body.entry, path).toBeUndefined();
    }
    const patientId = (await authed(srv).get('/fhir/Patient?_count=1')).body.entry[0].resource.id as string;
    expect([403, 404]).toContain((await authed(srv, token).get(`/fhir/Patient/${patientId}`)).status);
    const everything = await authed(srv, token).get('/fhir/_history?_count=1000');
    expect(everything.status).toBe(200);
    const types = new Set((everything.body.entry ?? []).map((e: { resource: { resourceType: string } }) => e.resource.resourceType));
    for (const t of ['Patient', 'ExplanationOfBenefit', 'Coverage', 'Observation', 'Group']) expect(types.has(t), t).toBe(false);
  });

  it("when the client's JWKS URL does not serve the key that signed the assertion, then invalid_client", async () => {
    const rotated = await keyPair('ES384', 'rotated');
    const other: Backend = {
      clientId: await registerBackend({ name: 'Rotating backend', role: 'provider', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwksUri: `${jwksUrl}?client=rotating`, organization: 'Organization/org-without-attribution' }),
      key: rotated.privateKey,
      alg: 'ES384',
      kid: 'rotated',
    };
    const res = await tokenFor(other, 'system/*.rs');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});
