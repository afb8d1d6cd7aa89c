/**
 * Starts the real server (startServer, as main.ts does) on 127.0.0.1 port 0 with a temp data folder,
 * and removes everything afterwards. Tests talk to it over HTTP with supertest or fhir-kit-client,
 * authenticated as payer staff with the bootstrap admin credential (client_credentials) unless a test
 * is about authentication itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { AdminCredentials } from '../../src/auth/bootstrap-admin.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** A bearer token of the bootstrap admin client (every member, system/*.cruds). */
  adminToken: string;
  stop(): Promise<void>;
}

/** A client_credentials token of the admin client whose credential file is in `dataDir`. */
export async function adminTokenFor(dataDir: string, serverUrl: string, scope = 'system/*.cruds'): Promise<string> {
  const creds = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
  // The file names the endpoint of the first start; a restarted test server has a new port.
  const res = await fetch(`${serverUrl}/auth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${creds.client_id}:${creds.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`admin token refused: ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fhir-test-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SEED_MEMBERS: '0', LOG_LEVEL: 'silent', ...env });
  const running = await startServer(config, pino({ level: 'silent' }));
  const adminToken = await adminTokenFor(dir, running.url);
  return {
    ...running,
    dataDir: dir,
    adminToken,
    async stop() {
      await running.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

/** supertest against the server with a bearer token on every request (the admin token by default). */
export function authed(srv: { url: string; adminToken: string }, token: string = srv.adminToken) {
  const agent = request(srv.url);
  const call = (m: Method) => (path: string) => agent[m](path).set('Authorization', `Bearer ${token}`);
  return { get: call('get'), post: call('post'), put: call('put'), patch: call('patch'), delete: call('delete'), head: call('head'), options: call('options') };
}
