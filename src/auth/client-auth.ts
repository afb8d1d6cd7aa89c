/**
 * Who is calling the token, introspection or revocation endpoint (RFC 6749 §2.3, RFC 7523 §2.2).
 * Exactly one method per request; it must be the method the client registered, so a confidential
 * client can never be treated as public by leaving its secret out.
 */
import { ensure, OAuthError } from './oauth-error.js';
import type { AuthDeps } from './auth-deps.js';
import { endpoints } from './auth-deps.js';
import { assertionIssuer, checkClientAssertion, CLIENT_ASSERTION_TYPE } from './checks/check-client-assertion.js';
import type { ClientRecord } from './records.js';

export type FormBody = Record<string, string | undefined>;

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  ensure(i > 0, 'invalid_client', 'malformed Basic credentials');
  try {
    // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
    return { id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials');
  }
}

async function known(deps: AuthDeps, id: string | undefined): Promise<ClientRecord> {
  const client = id ? await deps.clients.get(id) : undefined;
  ensure(client !== undefined, 'invalid_client', 'unknown client');
  return client;
}

export async function authenticateClient(deps: AuthDeps, body: FormBody, authorization: string | undefined): Promise<ClientRecord> {
  const basic = basicCredentials(authorization);
  const assertion = body.client_assertion;
  const methods = [basic, assertion, body.client_secret].filter((m) => m !== undefined).length;
  ensure(methods <= 1, 'invalid_request', 'use exactly one client authentication method');

  if (assertion !== undefined) {
    ensure(body.client_assertion_type === CLIENT_ASSERTION_TYPE, 'invalid_client', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    const id = assertionIssuer(assertion);
    ensure(body.client_id === undefined || body.client_id === id, 'invalid_client', 'client_id does not match the assertion');
    const client = await known(deps, id);
    await checkClientAssertion({ docs: deps.docs, tokenEndpoint: endpoints(deps.issuer).token, clock: deps.clock }, client, assertion);
    return client;
  }
  if (basic) {
    const client = await known(deps, basic.id);
    ensure(client.authMethod === 'client_secret_basic', 'invalid_client', 'this client does not authenticate with client_secret_basic');
    ensure(await deps.clients.checkSecret(client, basic.secret), 'invalid_client', 'client authentication failed');
    return client;
  }
  if (body.client_secret !== undefined) {
    const client = await known(deps, body.client_id);
    ensure(client.authMethod === 'client_secret_post', 'invalid_client', 'this client does not authenticate with client_secret_post');
    ensure(await deps.clients.checkSecret(client, body.client_secret), 'invalid_client', 'client authentication failed');
    return client;
  }
  const client = await known(deps, body.client_id);
  ensure(client.authMethod === 'none', 'invalid_client', 'this client must authenticate');
  return client;
}
