/**
 * `npm run clients -- <command>`: payer staff register, list and remove the SMART clients (apps and
 * backend services) of a RUNNING server, through its admin API (`/admin/clients`).
 *
 * Why the API and not the store: the embedded store is owned by the server process — it holds the
 * documents in memory and appends to its log, so a second process writing the same folder would be
 * invisible to the server until restart and could interleave writes in the log. With MongoDB the
 * store is reachable, but the API is still the one place that validates a client
 * (src/auth/client-registry.ts: https redirect URIs except loopback, SMART scopes only, keys for
 * private_key_jwt) and that revokes a removed client's grants. So this command only speaks HTTP.
 *
 * It authenticates as the bootstrap admin (src/auth/bootstrap-admin.ts): client_credentials with
 * client_secret_basic at `<server>/auth/token`, scope `system/*.cruds`, from
 * `<DATA_DIR>/admin-credentials.json` or `--credentials <file>`. Secrets are printed once, at
 * creation (the server stores only their hash); private key material is never read into a request.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { adminSession, CliError, connectionOf, safe, send, UsageError, type Connection } from './admin-session.js';

const PUBLIC_APP_SCOPES = 'launch/patient openid fhirUser offline_access patient/*.rs';
const BACKEND_SCOPES = 'system/*.rs';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const USAGE = `Usage: npm run clients -- <command> [options]

Manage the SMART client registry of a running server through its admin API.

Commands
  add public --name N --redirect-uri U [--redirect-uri U2 …] [--scope "…"]
      A browser or native app without a secret (PKCE). Default scope:
      "${PUBLIC_APP_SCOPES}"
  add confidential --name N --redirect-uri U [--scope "…"] [--auth client_secret_basic|client_secret_post]
      A server-side app with a client secret (printed once). Default auth client_secret_basic,
      default scope as for public apps.
  add backend --name N --role provider|payer|admin (--jwks-url U | --jwks-file keys.json)
              [--scope "…"] [--organization Organization/ID]   (required for provider and payer)
      A SMART Backend Services client (private_key_jwt). The JWKS file must hold PUBLIC keys only.
      Default scope: "${BACKEND_SCOPES}"
  list [--json]          the registered clients
  remove <client_id>     remove a client; the server revokes its grants and tokens
  help                   this text

Options for every command
  --server URL           the server (default: SERVER_URL, else http://localhost:$PORT, PORT 8080)
  --credentials FILE     admin credential (default: $DATA_DIR/admin-credentials.json, DATA_DIR ./data)
  --json                 print the server's JSON answer instead of text

Redirect URIs must be https, except http on localhost / 127.0.0.1 / [::1] (RFC 8252 §7.3).
Exit codes: 0 done, 1 refused (by the server, or a bad key file), 2 usage error.
`;

const OPTIONS = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  auth: { type: 'string' },
  role: { type: 'string' },
  'jwks-url': { type: 'string' },
  'jwks-file': { type: 'string' },
  organization: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  server: { type: 'string' },
  credentials: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

const GLOBAL_OPTIONS: readonly OptionName[] = ['server', 'credentials', 'json', 'help'];
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  'add public': ['name', 'redirect-uri', 'scope'],
  'add confidential': ['name', 'redirect-uri', 'scope', 'auth'],
  'add backend': ['name', 'role', 'jwks-url', 'jwks-file', 'scope', 'organization'],
  list: [],
  remove: ['force'],
};

/** The body of POST /admin/clients (validated by the server, see clientInputSchema). */
interface ClientBody {
  name: string;
  role: 'app' | 'provider' | 'payer' | 'admin';
  authMethod: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  redirectUris: string[];
  scopes: string[];
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  organization?: string;
}

type Command = { kind: 'help' } | { kind: 'add'; body: ClientBody } | { kind: 'list' } | { kind: 'remove'; clientId: string; force: boolean };

function required(values: Values, name: 'name' | 'role', command: string): string {
  const v = values[name];
  if (v === undefined || v.trim() === '') throw new UsageError(`"${command}" needs --${name}`);
  return v;
}

/** `--scope "a b" --scope c` → [a, b, c]; the kind's default when none is given. */
function scopesOf(values: Values, fallback: string): string[] {
  const given = (values.scope ?? []).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  return given.length > 0 ? given : fallback.split(' ');
}

function addCommand(kind: string | undefined, values: Values): ClientBody {
  const command = `add ${kind ?? ''}`.trim();
  const name = (): string => required(values, 'name', command);
  const redirectUris = (): string[] => {
    const uris = values['redirect-uri'] ?? [];
    if (uris.length === 0) throw new UsageError(`"${command}" needs at least one --redirect-uri`);
    return uris;
  };
  switch (kind) {
    case 'public':
      return { name: name(), role: 'app', authMethod: 'none', redirectUris: redirectUris(), scopes: scopesOf(values, PUBLIC_APP_SCOPES) };
    case 'confidential': {
      const auth = values.auth ?? 'client_secret_basic';
      if (auth !== 'client_secret_basic' && auth !== 'client_secret_post') throw new UsageError(`--auth must be client_secret_basic or client_secret_post (got "${auth}")`);
      return { name: name(), role: 'app', authMethod: auth, redirectUris: redirectUris(), scopes: scopesOf(values, PUBLIC_APP_SCOPES) };
    }
    case 'backend': {
      const role = required(values, 'role', command);
      if (role !== 'provider' && role !== 'payer' && role !== 'admin') throw new UsageError(`--role must be provider, payer or admin (got "${role}")`);
      const url = values['jwks-url'];
      const file = values['jwks-file'];
      if ((url === undefined) === (file === undefined)) throw new UsageError('"add backend" needs exactly one of --jwks-url or --jwks-file');
      return {
        name: name(),
        role,
        authMethod: 'private_key_jwt',
        redirectUris: [],
        scopes: scopesOf(values, BACKEND_SCOPES),
        ...(url !== undefined ? { jwksUri: url } : { jwks: readPublicJwks(file as string) }),
        ...(values.organization !== undefined ? { organization: values.organization } : {}),
      };
    }
    default:
      throw new UsageError(kind === undefined ? '"add" needs a kind: public, confidential or backend' : `unknown kind "${kind}" (public, confidential or backend)`);
  }
}

function parseCommand(argv: string[]): { command: Command; values: Values } {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [verb, arg, ...extra] = positionals;
  if (verb === undefined || verb === 'help' || values.help) return { command: { kind: 'help' }, values };
  const key = verb === 'add' ? `add ${arg ?? ''}` : verb;
  const allowed = COMMAND_OPTIONS[key];
  if (allowed === undefined && verb !== 'add') throw new UsageError(`unknown command "${verb}"`);
  if (allowed !== undefined) {
    const stray = (Object.keys(values) as OptionName[]).filter((o) => !allowed.includes(o) && !GLOBAL_OPTIONS.includes(o));
    if (stray.length > 0) throw new UsageError(`${stray.map((o) => `--${o}`).join(', ')} does not apply to "${key}"`);
  }
  const rest = verb === 'list' ? [arg, ...extra] : extra;
  if (rest.some((p) => p !== undefined)) throw new UsageError(`unexpected argument "${rest.find((p) => p !== undefined)}"`);
  if (verb === 'add') return { command: { kind: 'add', body: addCommand(arg, values) }, values };
  if (verb === 'list') return { command: { kind: 'list' }, values };
  if (arg === undefined || arg === '') throw new UsageError('"remove" needs a client_id');
  return { command: { kind: 'remove', clientId: arg, force: values.force === true }, values };
}

/** RFC 7517 §6.2.2, §6.3.2, §6.4: members that only private (or symmetric) keys have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Reads a JWK Set of PUBLIC keys. A private key given here would be copied to the server and shown to
 * every staff member who lists clients, so it is refused. Parse errors are reported without the
 * parser's message, which quotes the file's content.
 */
function readPublicJwks(path: string): { keys: Record<string, unknown>[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the JWKS file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`the JWKS file ${path} is not valid JSON`);
  }
  const set = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).safeParse(parsed);
  if (!set.success) throw new CliError(`the JWKS file ${path} must be a JSON object with a non-empty "keys" array of JWKs (RFC 7517 §5)`);
  set.data.keys.forEach((key, i) => {
    const secret = PRIVATE_MEMBERS.filter((m) => m in key);
    if (secret.length > 0) {
      throw new CliError(`refusing the JWKS file ${path}: key ${i} holds private key material (${secret.map((m) => `"${m}"`).join(', ')}). Register only the public keys; keep the private key with the client.`);
    }
    try {
      createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch {
      throw new CliError(`the JWKS file ${path}: key ${i} is not a valid RSA or EC public JWK`);
    }
    if (typeof key.kid !== 'string') process.stderr.write(`warning: key ${i} has no "kid"; SMART Backend Services clients name their signing key by kid in the assertion header\n`);
  });
  return { keys: set.data.keys };
}

const clientView = z.object({
  client_id: z.string(),
  name: z.string(),
  role: z.string(),
  authMethod: z.string(),
  redirectUris: z.array(z.string()),
  scopes: z.array(z.string()),
  jwks: z.object({ keys: z.array(z.object({ kid: z.string().optional() }).passthrough()) }).optional(),
  jwksUri: z.string().optional(),
  organization: z.string().optional(),
  client_secret: z.string().optional(),
});
type ClientView = z.infer<typeof clientView>;

const discovery = z.object({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string() });

/** The public endpoints as the server announces them (BASE_URL may differ from the URL used here). */
async function endpointsOf(server: string): Promise<z.infer<typeof discovery>> {
  try {
    return discovery.parse((await send(`${server}/.well-known/smart-configuration`, {})).body);
  } catch {
    return { issuer: server, authorization_endpoint: `${server}/auth/authorize`, token_endpoint: `${server}/auth/token` };
  }
}

function describeAdded(c: ClientView, e: z.infer<typeof discovery>): string {
  const fhirBase = `${e.issuer}/fhir`;
  const kind = c.role === 'app' ? (c.authMethod === 'none' ? 'public app' : 'confidential app') : `${c.role} backend`;
  const lines = [`Registered ${kind} "${safe(c.name)}"`, `  client_id      ${safe(c.client_id)}`];
  if (c.client_secret) lines.push(`  client_secret  ${c.client_secret}`, '                 (shown once: store it now; the server keeps only a hash)');
  lines.push(`  auth           ${c.authMethod}`);
  if (c.redirectUris.length > 0) lines.push(`  redirect URIs  ${c.redirectUris.map(safe).join(' ')}`);
  lines.push(`  scopes         ${c.scopes.map(safe).join(' ')}`);
  if (c.jwksUri) lines.push(`  jwks_uri       ${safe(c.jwksUri)}`);
  if (c.jwks) lines.push(`  keys           ${c.jwks.keys.map((k, i) => safe(k.kid ?? `#${i} (no kid)`)).join(', ')}`);
  if (c.organization) lines.push(`  organization   ${safe(c.organization)}`);
  lines.push('', 'Next:');
  if (c.role === 'app') {
    const query = new URLSearchParams({ response_type: 'code', client_id: c.client_id, redirect_uri: c.redirectUris[0] ?? '', scope: c.scopes.join(' '), aud: fhirBase });
    lines.push(
      '  1. Send the user to the authorization endpoint (add your own state and PKCE S256 code_challenge):',
      `     ${e.authorization_endpoint}?${query.toString()}&state=<random>&code_challenge=<S256 of verifier>&code_challenge_method=S256`,
      `  2. Exchange the code at ${e.token_endpoint}`,
      c.authMethod === 'none'
        ? `     grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=…&client_id=${c.client_id}`
        : c.authMethod === 'client_secret_basic'
          ? '     grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=… with HTTP Basic client_id:client_secret'
          : `     grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=…&client_id=${c.client_id}&client_secret=…`,
      `  Discovery for SMART clients: ${fhirBase}/.well-known/smart-configuration`,
    );
  } else {
    lines.push(
      `  Sign a client assertion JWT with the private key (RS384 or ES384; header kid; iss = sub = ${c.client_id},`,
      `  aud = ${e.token_endpoint}, exp at most 5 minutes ahead, a fresh jti) and POST to ${e.token_endpoint}:`,
      `     grant_type=client_credentials&scope=${c.scopes.join(' ')}&client_assertion_type=${CLIENT_ASSERTION_TYPE}&client_assertion=<jwt>`,
      `  FHIR base: ${fhirBase}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function table(clients: ClientView[]): string {
  const header = ['CLIENT_ID', 'NAME', 'ROLE', 'AUTH', 'REDIRECT URIS', 'SCOPES'];
  const rows = clients.map((c) => [c.client_id, c.name, c.role, c.authMethod, c.redirectUris.join(' ') || '-', c.scopes.join(' ')].map(safe));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n${clients.length} client${clients.length === 1 ? '' : 's'}\n`;
}

async function main(argv: string[]): Promise<void> {
  const { command, values } = parseCommand(argv);
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const conn = connectionOf(values, process.env);
  const json = (body: unknown): void => void process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  const session = await adminSession(conn);
  switch (command.kind) {
    case 'add': {
      const { body } = await session.call('POST', '/admin/clients', command.body);
      if (values.json) return json(body);
      process.stdout.write(describeAdded(clientView.parse(body), await endpointsOf(conn.server)));
      return;
    }
    case 'list': {
      const { body } = await session.call('GET', '/admin/clients');
      if (values.json) return json(body);
      process.stdout.write(table(z.array(clientView).parse(body)));
      return;
    }
    case 'remove': {
      if (command.clientId === session.clientId && !command.force) {
        throw new UsageError(`${command.clientId} is the admin credential this command signs in with; pass --force to remove it anyway (you will need another admin client afterwards)`);
      }
      const { body } = await session.call('DELETE', `/admin/clients/${encodeURIComponent(command.clientId)}`);
      if (values.json) return json(body);
      const { grantsRevoked } = z.object({ grantsRevoked: z.number() }).parse(body);
      process.stdout.write(`Removed client ${safe(command.clientId)}; ${grantsRevoked} grant${grantsRevoked === 1 ? '' : 's'} revoked (their tokens no longer work).\n`);
      return;
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`error: ${(err as Error).message}\n\nRun "npm run clients -- help" for usage.\n`);
    process.exit(2);
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
