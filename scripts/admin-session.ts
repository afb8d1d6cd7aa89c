/**
 * A payer-staff session with a RUNNING server, for the command-line tools (`npm run clients`,
 * `npm run report`): the bootstrap admin credential (`<DATA_DIR>/admin-credentials.json` or
 * `--credentials`) exchanged for a token with client_credentials (client_secret_basic), then JSON calls.
 * The tools speak HTTP because the embedded store belongs to the server process (see scripts/clients.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export class UsageError extends Error {}

export class CliError extends Error {}

export interface Connection {
  server: string;
  credentialsPath: string;
}

export function connectionOf(values: { server?: string; credentials?: string }, env: NodeJS.ProcessEnv): Connection {
  const raw = values.server ?? env.SERVER_URL ?? `http://localhost:${env.PORT ?? 8080}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server / SERVER_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the server URL must be http(s): "${raw}"`);
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    process.stderr.write(`warning: sending the admin credential over plain http to ${url.host}\n`);
  }
  return { server: raw.replace(/\/+$/, ''), credentialsPath: values.credentials ?? join(env.DATA_DIR ?? './data', 'admin-credentials.json') };
}

const credentialFile = z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) });
const oauthErrorBody = z.object({ error: z.string(), error_description: z.string().optional() });

/** Text from the server goes to a terminal: control characters (escape sequences) are neutralised. */
export const safe = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

export async function send(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach ${new URL(url).origin} (${cause}). Is the server running? Set --server or SERVER_URL.`);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported below with the status
  }
  if (res.ok) return { status: res.status, body };
  const problem = oauthErrorBody.safeParse(body);
  const detail = problem.success ? `${problem.data.error}${problem.data.error_description ? `: ${problem.data.error_description}` : ''}` : text.slice(0, 200);
  throw new CliError(`the server refused (${res.status} ${safe(detail)})`);
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding. */
const formEncode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

export async function adminSession(conn: Connection): Promise<{ clientId: string; call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }> }> {
  let creds: z.infer<typeof credentialFile>;
  try {
    creds = credentialFile.parse(JSON.parse(readFileSync(conn.credentialsPath, 'utf8')));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(
      missing
        ? `no admin credential at ${conn.credentialsPath}: the server writes it into its DATA_DIR on first start; set DATA_DIR or pass --credentials`
        : `${conn.credentialsPath} is not an admin credential file (client_id, client_secret)`,
    );
  }
  const basic = Buffer.from(`${formEncode(creds.client_id)}:${formEncode(creds.client_secret)}`).toString('base64');
  let token: string;
  try {
    const { body } = await send(`${conn.server}/auth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.cruds' }).toString(),
    });
    token = z.object({ access_token: z.string() }).parse(body).access_token;
  } catch (err) {
    throw new CliError(`the admin credential ${conn.credentialsPath} was not accepted by ${conn.server}: ${(err as Error).message}`);
  }
  return {
    clientId: creds.client_id,
    call: (method, path, body) =>
      send(`${conn.server}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
  };
}

