/**
 * The demo's Provider Access backend client, as a provider developer meets it: the first start with
 * demo data registers a private_key_jwt client for the demo provider organization and writes its
 * private key into the data folder only (mode 0600); `npm run token` (a child process, as a developer
 * runs it) turns that file into an access token; with it the client sees its own organization's
 * attribution Group and nothing of another organization's, and can export it.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Bundle, Group } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { BACKEND_KEY_FILE, type BackendKeyFile, type DemoLogins } from '../../../src/demo-logins.js';

const ROOT = resolve(import.meta.dirname, '../../..');

let srv: TestServer;
let demo: DemoLogins;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function token(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/token.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: srv.dataDir, SERVER_URL: srv.url }, timeout: 30_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12' });
  demo = srv.demo as DemoLogins;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('the demo provider backend', () => {
  it('when the demo data is generated, then a provider backend of the demo organization is registered and only its private key file holds the private key', async () => {
    expect(demo.provider).toBeDefined();
    expect(demo.providerBackend?.keyFile).toBe(join(srv.dataDir, BACKEND_KEY_FILE));
    const file = JSON.parse(readFileSync(join(srv.dataDir, BACKEND_KEY_FILE), 'utf8')) as BackendKeyFile;
    expect(file.client_id).toBe(demo.providerBackend?.client_id);
    expect(typeof file.key.d).toBe('string');
    expect(statSync(join(srv.dataDir, BACKEND_KEY_FILE)).mode & 0o777).toBe(0o600);
    const clients = await authed(srv).get('/admin/clients');
    const registered = (clients.body as Array<{ _id: string; role: string; organization?: string; jwks?: { keys: Array<Record<string, unknown>> } }>).find((c) => c._id === file.client_id);
    expect(registered?.role).toBe('provider');
    expect(registered?.organization).toBe(demo.provider?.organization);
    // The server has the public key only.
    expect(registered?.jwks?.keys.every((k) => k.d === undefined)).toBe(true);
  });

  it('when the developer runs npm run token, then the token reads the demo organization\'s Group and no other organization\'s', async () => {
    const run = await token();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const access = run.stdout.trim();
    expect(access.split('.')).toHaveLength(3);
    const groups = await authed(srv, access).get('/fhir/Group');
    expect(groups.status).toBe(200);
    const mine = ((groups.body as Bundle).entry ?? []).map((e) => e.resource as Group);
    expect(mine.length).toBeGreaterThan(0);
    const orgOf = (g: Group) => g.characteristic?.find((c) => c.valueReference?.reference?.startsWith('Organization/'))?.valueReference?.reference;
    expect(mine.every((g) => orgOf(g) === demo.provider?.organization)).toBe(true);
    // Staff see more organizations' lists than the demo organization's.
    const all = await authed(srv).get('/fhir/Group?_count=200');
    const others = ((all.body as Bundle).entry ?? []).map((e) => e.resource as Group).filter((g) => orgOf(g) !== demo.provider?.organization);
    expect(others.length).toBeGreaterThan(0);
    expect((await authed(srv, access).get(`/fhir/Group/${others[0].id}`)).status).toBe(404);
    // And it can start a bulk export of its own Group.
    const kick = await authed(srv, access).get(`/fhir/Group/${mine[0].id}/$export`).set('Prefer', 'respond-async');
    expect(kick.status).toBe(202);
  }, 60_000);

  it('when the key file is missing or the server refuses, then npm run token says so and exits 1; a bad option exits 2', async () => {
    const missing = await token('--key', join(srv.dataDir, 'no-such-file.json'));
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    const file = JSON.parse(readFileSync(join(srv.dataDir, BACKEND_KEY_FILE), 'utf8')) as BackendKeyFile;
    const unknown = join(srv.dataDir, 'unknown-client.json');
    writeFileSync(unknown, JSON.stringify({ ...file, client_id: 'no-such-client' }), { mode: 0o600 });
    const refused = await token('--key', unknown);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/refused \(401\): invalid_client/);
    const usage = await token('--no-such-option');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: npm run -s token/);
  }, 60_000);
});
