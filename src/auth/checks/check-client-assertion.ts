/**
 * private_key_jwt client authentication (RFC 7523 §3; SMART Backend Services §Authenticating to the
 * token endpoint): the client signs a JWT with its own key. Each rule is a named step:
 * algorithm on the allow-list (RS384 and ES384 required by SMART; RS256/ES256 widely used; never
 * `none` or HMAC), iss = sub = client_id, aud = our token endpoint, exp present and at most five
 * minutes ahead, jti present and never seen before (replay), signature by a key the client registered.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { DocumentStore } from '../../store/document-port.js';
import type { ClientRecord } from '../records.js';
import { ensure, OAuthError } from '../oauth-error.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256', 'RS512', 'ES512', 'PS384', 'PS256'];
const MAX_LIFETIME_SECONDS = 300;

/** The client_id an assertion claims to come from (its `iss`), read before the signature is checked. */
export function assertionIssuer(assertion: string): string {
  let header;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw new OAuthError('invalid_client', 'client_assertion is not a JWT');
  }
  ensure(typeof header.alg === 'string' && ASSERTION_ALGORITHMS.includes(header.alg), 'invalid_client', `client_assertion alg ${String(header.alg)} is not allowed`);
  ensure(typeof claims.iss === 'string' && claims.iss !== '', 'invalid_client', 'client_assertion has no iss');
  return claims.iss;
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

/** Inline key sets, imported once each (at most MAX_LOCAL_SETS kept, oldest dropped first). */
const localSets = new Map<string, JWTVerifyGetKey>();
const MAX_LOCAL_SETS = 1_000;

/** The client's registered public keys (inline, or its jwksUri fetched and cached by jose). */
export function clientKeySet(client: ClientRecord): JWTVerifyGetKey {
  if (client.jwks) {
    // Imported once per key set (importing a JWK costs more than verifying with it); keyed by content, so a
    // client re-registered with new keys gets a new set.
    const key = `${client._id}\u0000${JSON.stringify(client.jwks)}`;
    let set = localSets.get(key);
    if (!set) {
      if (localSets.size >= MAX_LOCAL_SETS) localSets.delete(localSets.keys().next().value as string);
      set = createLocalJWKSet(client.jwks);
      localSets.set(key, set);
    }
    return set;
  }
  ensure(client.jwksUri !== undefined, 'invalid_client', 'client has no registered keys');
  let set = remoteSets.get(client.jwksUri);
  if (!set) {
    // jose caches the fetched set and refetches on an unknown kid (cooldown 30 s), so rotated keys work.
    set = createRemoteJWKSet(new URL(client.jwksUri), { timeoutDuration: 5000 });
    remoteSets.set(client.jwksUri, set);
  }
  return set;
}

export interface AssertionDeps {
  docs: DocumentStore;
  tokenEndpoint: string;
  clock: () => Date;
}

export async function checkClientAssertion(deps: AssertionDeps, client: ClientRecord, assertion: string): Promise<void> {
  ensure(client.authMethod === 'private_key_jwt', 'invalid_client', 'this client does not authenticate with private_key_jwt');
  const now = Math.floor(deps.clock().getTime() / 1000);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, clientKeySet(client), {
      algorithms: ASSERTION_ALGORITHMS,
      issuer: client._id,
      subject: client._id,
      audience: deps.tokenEndpoint,
      currentDate: deps.clock(),
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 30,
    }));
  } catch (err) {
    throw new OAuthError('invalid_client', `client_assertion rejected: ${(err as Error).message}`);
  }
  const exp = payload.exp as number;
  ensure(exp - now <= MAX_LIFETIME_SECONDS, 'invalid_client', 'client_assertion exp is more than five minutes ahead');
  const jti = payload.jti as string;
  ensure(jti.length > 0 && jti.length <= 256, 'invalid_client', 'client_assertion jti is malformed');
  const fresh = await deps.docs.collection<{ _id: string; exp: number }>('assertion-jti').insert({ _id: `${client._id}:${jti}`, exp: (exp + 60) * 1000 });
  ensure(fresh, 'invalid_client', 'client_assertion jti was already used (replay)');
}
