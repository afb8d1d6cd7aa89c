/**
 * First start: a bootstrap admin credential — an admin backend client with a random secret — written
 * to `<DATA_DIR>/admin-credentials.json` (mode 0600), never a fixed default. Payer staff use it to get a
 * token (client_credentials, client_secret_basic) and register the real clients and users; it can be
 * removed afterwards like any client. Nothing is created when the client already exists.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthDeps } from './auth-deps.js';
import { endpoints } from './auth-deps.js';

export const BOOTSTRAP_CLIENT_ID = 'bootstrap-admin';

export interface AdminCredentials {
  client_id: string;
  client_secret: string;
  token_endpoint: string;
  scope: string;
}

export async function ensureBootstrapAdmin(deps: AuthDeps, dataDir: string): Promise<{ path: string; created: boolean }> {
  const path = join(dataDir, 'admin-credentials.json');
  if (await deps.clients.get(BOOTSTRAP_CLIENT_ID)) return { path, created: false };
  const { secret } = await deps.clients.register(
    { name: 'Bootstrap admin', role: 'admin', authMethod: 'client_secret_basic', scopes: ['system/*.cruds'] },
    BOOTSTRAP_CLIENT_ID,
  );
  const credentials: AdminCredentials = { client_id: BOOTSTRAP_CLIENT_ID, client_secret: secret as string, token_endpoint: endpoints(deps.issuer).token, scope: 'system/*.cruds' };
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(path)) writeFileSync(path, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  else writeFileSync(path, JSON.stringify(credentials, null, 2), { mode: 0o600, flag: 'wx' });
  return { path, created: true };
}
