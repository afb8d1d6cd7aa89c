/**
 * `npm run token`: a SMART Backend Services access token for a private_key_jwt client, printed on
 * stdout, so a provider (or payer) developer can call the API with curl at once:
 *
 *   TOKEN=$(npm run -s token)
 *   curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/fhir/Group
 *
 * It reads a key file in the form the demo writes (`<DATA_DIR>/demo-provider-backend.json`:
 * `{ client_id, scope, key: <private JWK with kid and alg> }`), signs the client assertion (RFC 7523,
 * SMART Backend Services: iss = sub = client_id, aud = the token endpoint, five minutes at most, a
 * fresh jti) and exchanges it with `grant_type=client_credentials`. The key never leaves this process.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importJWK, SignJWT } from 'jose';
import { z } from 'zod';

const USAGE = `Usage: npm run -s token -- [--key FILE] [--server URL] [--scope "…"] [--json]

Prints an access token of a SMART Backend Services client (private_key_jwt) on stdout.

  --key FILE     key file { client_id, scope, key: private JWK with kid and alg }
                 (default: $DATA_DIR/demo-provider-backend.json, DATA_DIR ./data)
  --server URL   the server (default: SERVER_URL, else http://localhost:$PORT, PORT 8080)
  --scope S      the scopes to ask for (default: the key file's scope)
  --json         print the whole token response instead of the token

Exit codes: 0 done, 1 refused or unreadable key file, 2 usage error.
`;

const keyFileSchema = z.object({
  client_id: z.string().min(1),
  scope: z.string().min(1),
  key: z.looseObject({ kty: z.string(), kid: z.string().min(1), alg: z.string().min(1), d: z.string().min(1) }),
});

class UsageError extends Error {}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: { key: { type: 'string' }, server: { type: 'string' }, scope: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) return USAGE;
  const server = (values.server ?? env.SERVER_URL ?? `http://localhost:${env.PORT ?? 8080}`).replace(/\/+$/, '');
  if (!URL.canParse(server)) throw new UsageError(`--server / SERVER_URL is not a URL: "${server}"`);
  const path = values.key ?? join(env.DATA_DIR ?? './data', 'demo-provider-backend.json');
  const file = keyFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const tokenUrl = `${server}/auth/token`;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: file.key.alg, typ: 'JWT', kid: file.key.kid })
    .setIssuer(file.client_id)
    .setSubject(file.client_id)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 240)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(await importJWK(file.key, file.key.alg));
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: values.scope ?? file.scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`the token endpoint refused (${res.status}): ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  return values.json ? JSON.stringify(body, null, 2) : body.access_token;
}

main(process.argv.slice(2), process.env).then(
  (out) => process.stdout.write(`${out}\n`),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(USAGE);
      process.exit(2);
    }
    process.exit(1);
  },
);
