/**
 * `npm run clients` against a running server: the CLI is run as a child process (as staff run it),
 * authenticated with the server's bootstrap credential file, and each effect is checked through the
 * server itself (its client registry, its token endpoint, its FHIR API).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI_TIMEOUT = 30_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let srv: TestServer;
let tmp: string;

/** Runs the CLI asynchronously: the server lives in this process, so a blocking spawn would starve it. */
function cli(...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/clients.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: srv.dataDir, SERVER_URL: srv.url }, timeout: CLI_TIMEOUT },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const clientIdIn = (stdout: string): string => {
  const match = /client_id\s+(\S+)/.exec(stdout);
  if (!match) throw new Error(`no client_id in: ${stdout}`);
  return match[1];
};

async function keyPairFile(name: string, withPrivate = false): Promise<{ path: string; privateKey: CryptoKey; kid: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(withPrivate ? privateKey : publicKey)), kid, alg: 'ES384', use: 'sig' };
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify({ keys: [jwk] }));
  return { path, privateKey, kid };
}

async function backendToken(clientId: string, privateKey: CryptoKey, kid: string, scope: string): Promise<request.Response> {
  const tokenEndpoint = `${srv.url}/auth/token`;
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpoint)
    .setExpirationTime('4m')
    .setJti(randomUUID())
    .sign(privateKey);
  return request(srv.url)
    .post('/auth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
}

beforeAll(async () => {
  srv = await startTestServer();
  tmp = mkdtempSync(join(tmpdir(), 'clients-cli-'));
});

afterAll(async () => {
  await srv?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run clients — adding clients', () => {
  it('when a public app is added, then the server holds it as an app without a secret, with the default patient scopes, and the CLI shows the authorize URL', async () => {
    const run = await cli('add', 'public', '--name', 'Member app', '--redirect-uri', 'https://app.example.org/cb', '--redirect-uri', 'http://localhost:3000/cb');
    expect(run.code, run.stderr).toBe(0);
    const id = clientIdIn(run.stdout);
    const stored = await srv.auth.deps.clients.get(id);
    expect(stored).toMatchObject({
      name: 'Member app',
      role: 'app',
      authMethod: 'none',
      redirectUris: ['https://app.example.org/cb', 'http://localhost:3000/cb'],
      scopes: ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs'],
    });
    expect(stored?.secretHash).toBeUndefined();
    expect(run.stdout).not.toMatch(/client_secret\s/);
    expect(run.stdout).toContain(`${srv.url}/auth/authorize?response_type=code&client_id=${id}`);
    expect((await srv.auth.deps.clients.list()).map((c) => c._id)).toContain(id);
  }, CLI_TIMEOUT);

  it('when a confidential app is added with client_secret_post, then the secret printed once is the one the server accepts', async () => {
    const run = await cli('add', 'confidential', '--name', 'Portal', '--redirect-uri', 'https://portal.example.org/cb', '--auth', 'client_secret_post', '--scope', 'launch/patient openid patient/Coverage.rs');
    expect(run.code, run.stderr).toBe(0);
    const id = clientIdIn(run.stdout);
    const secret = /client_secret\s+(\S+)/.exec(run.stdout)?.[1];
    expect(secret).toBeDefined();
    const stored = await srv.auth.deps.clients.get(id);
    expect(stored).toMatchObject({ role: 'app', authMethod: 'client_secret_post', scopes: ['launch/patient', 'openid', 'patient/Coverage.rs'] });
    expect(await srv.auth.deps.clients.checkSecret(stored!, secret!)).toBe(true);
    expect(await srv.auth.deps.clients.checkSecret(stored!, `${secret}x`)).toBe(false);
  }, CLI_TIMEOUT);

  it('when a backend is added from a public JWKS file, then it can get a system token with its private key', async () => {
    const keys = await keyPairFile('provider-public.json');
    const run = await cli('add', 'backend', '--name', 'Clinic EHR', '--role', 'provider', '--jwks-file', keys.path, '--organization', 'Organization/clinic-1');
    expect(run.code, run.stderr).toBe(0);
    const id = clientIdIn(run.stdout);
    expect(run.stdout).toContain(keys.kid);
    const stored = await srv.auth.deps.clients.get(id);
    expect(stored).toMatchObject({ role: 'provider', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], organization: 'Organization/clinic-1', redirectUris: [] });
    expect(stored?.jwks?.keys.map((k) => k.kid)).toEqual([keys.kid]);
    expect(stored?.jwks?.keys[0]).not.toHaveProperty('d');

    const token = await backendToken(id, keys.privateKey, keys.kid, 'system/*.rs');
    expect(token.status, token.text).toBe(200);
    expect(token.body.scope).toBe('system/*.rs');
  }, CLI_TIMEOUT);

  it('when a backend is added with a jwks URL, then the server stores the URL and no inline keys', async () => {
    const run = await cli('add', 'backend', '--name', 'Other payer', '--role', 'payer', '--organization', 'Organization/other-payer', '--jwks-url', 'https://payer.example.org/.well-known/jwks.json');
    expect(run.code, run.stderr).toBe(0);
    const stored = await srv.auth.deps.clients.get(clientIdIn(run.stdout));
    expect(stored).toMatchObject({ role: 'payer', authMethod: 'private_key_jwt', jwksUri: 'https://payer.example.org/.well-known/jwks.json' });
    expect(stored?.jwks).toBeUndefined();
  }, CLI_TIMEOUT);
});

describe('npm run clients — refusals', () => {
  it('when a redirect URI is plain http off localhost, then the CLI exits non-zero with the server\'s reason and nothing is registered', async () => {
    const before = (await srv.auth.deps.clients.list()).length;
    const run = await cli('add', 'public', '--name', 'Insecure app', '--redirect-uri', 'http://app.example.org/cb');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid_client_metadata');
    expect(run.stderr).toContain('must be an https URL (or http on localhost)');
    expect((await srv.auth.deps.clients.list()).length).toBe(before);
  }, CLI_TIMEOUT);

  it('when the JWKS file holds a private key, then the CLI refuses it without printing the key and nothing is registered', async () => {
    const keys = await keyPairFile('provider-private.json', true);
    const privateD = (await exportJWK(keys.privateKey)).d as string;
    const before = (await srv.auth.deps.clients.list()).length;
    const run = await cli('add', 'backend', '--name', 'Leaky EHR', '--role', 'provider', '--jwks-file', keys.path);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/private key material \("d"\)/);
    expect(run.stdout + run.stderr).not.toContain(privateD);
    expect((await srv.auth.deps.clients.list()).length).toBe(before);
  }, CLI_TIMEOUT);

  it('when the JWKS file has no keys array, then the CLI refuses it', async () => {
    const path = join(tmp, 'not-a-set.json');
    writeFileSync(path, JSON.stringify({ kty: 'EC' }));
    const run = await cli('add', 'backend', '--name', 'EHR', '--role', 'provider', '--jwks-file', path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"keys" array');
  }, CLI_TIMEOUT);

  it('when the command is unknown or an option does not fit the command, then the CLI exits 2 with a usage hint', async () => {
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const misplaced = await cli('add', 'public', '--name', 'A', '--redirect-uri', 'https://a.example.org/cb', '--role', 'admin');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--role does not apply to "add public"');
    const noKeys = await cli('add', 'backend', '--name', 'B', '--role', 'payer');
    expect(noKeys.code).toBe(2);
  }, CLI_TIMEOUT);

  it('when no command is given, then the usage text is printed and the exit code is 0', async () => {
    const run = await cli();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run clients -- <command>');
  }, CLI_TIMEOUT);
});

describe('npm run clients — listing and removing', () => {
  it('when clients are listed, then the table and the JSON show each client without secret hashes', async () => {
    const added = await cli('add', 'public', '--name', 'Listed app', '--redirect-uri', 'https://listed.example.org/cb');
    const id = clientIdIn(added.stdout);

    const text = await cli('list');
    expect(text.code, text.stderr).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.startsWith(id));
    expect(row).toMatch(/Listed app\s+app\s+none\s+https:\/\/listed\.example\.org\/cb\s+launch\/patient/);
    expect(text.stdout).toMatch(/^bootstrap-admin\s+Bootstrap admin\s+admin\s+client_secret_basic\s+-\s+system\/\*\.cruds$/m);

    const json = await cli('list', '--json');
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { client_id: string; secretHash?: string }[];
    const registry = await srv.auth.deps.clients.list();
    expect(listed.map((c) => c.client_id).sort()).toEqual(registry.map((c) => c._id).sort());
    expect(listed.every((c) => c.secretHash === undefined)).toBe(true);
  }, CLI_TIMEOUT);

  it('when a backend client is removed, then it is gone and its token no longer opens the FHIR API', async () => {
    const keys = await keyPairFile('removed-public.json');
    const id = clientIdIn((await cli('add', 'backend', '--name', 'To remove', '--role', 'admin', '--jwks-file', keys.path)).stdout);
    const token = await backendToken(id, keys.privateKey, keys.kid, 'system/*.rs');
    expect(token.status, token.text).toBe(200);
    expect((await authed(srv, token.body.access_token).get('/fhir/Patient?_count=1')).status).toBe(200);

    const run = await cli('remove', id);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Removed client ${id}; 1 grant revoked`);
    expect(await srv.auth.deps.clients.get(id)).toBeUndefined();
    expect((await authed(srv, token.body.access_token).get('/fhir/Patient?_count=1')).status).toBe(401);
  }, CLI_TIMEOUT * 2);

  it('when an unknown client is removed, then the CLI exits 1 with the server\'s answer', async () => {
    const run = await cli('remove', 'no-such-client');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('404 invalid_request: unknown client');
  }, CLI_TIMEOUT);

  it('when the admin credential in use is to be removed without --force, then the CLI refuses and the client stays', async () => {
    const run = await cli('remove', 'bootstrap-admin');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--force');
    expect(await srv.auth.deps.clients.get('bootstrap-admin')).toBeDefined();
  }, CLI_TIMEOUT);

  it('when the credential file is missing, then the CLI says where it looked and exits 1', async () => {
    const run = await cli('list', '--credentials', join(tmp, 'missing.json'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no admin credential at ${join(tmp, 'missing.json')}`);
  }, CLI_TIMEOUT);
});
