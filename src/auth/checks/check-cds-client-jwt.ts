/**
 * CDS Hooks 2.0 §Trusting CDS Clients: every call to a CDS Service carries `Authorization: Bearer <JWT>`
 * signed by the CDS Client (the EHR). The EHR is a registered provider backend client of ours
 * (private_key_jwt, its organization on record), so its keys are the ones it registered:
 *  - the client is named by `sub` (its client_id) or, when there is no `sub`, by `iss` (CDS Hooks 2.0 defines
 *    only `iss`; registering the EHR under its issuer URI as client_id works without a `sub`);
 *  - `aud` is the CDS Service endpoint called (the discovery URL + `/` + service id);
 *  - `exp` present and (our policy, as for SMART client assertions) at most five minutes ahead, `iat`
 *    present, `jti` never seen before (replay);
 *  - signed with an allowed asymmetric algorithm by a key the client registered (a `jku` header is
 *    honoured only when it is the client's registered jwksUri: we never fetch a key URL the caller chose).
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { DocumentStore } from '../../store/document-port.js';
import type { ClientRecord } from '../records.js';
import { ASSERTION_ALGORITHMS, clientKeySet } from './check-client-assertion.js';

const MAX_LIFETIME_SECONDS = 300;

export class CdsAuthError extends Error {}

export interface CdsJwtDeps {
  docs: DocumentStore;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  clock: () => Date;
}

/** The registered client that signed a CDS Hooks call to `audience`, or a CdsAuthError saying why not. */
export async function checkCdsClientJwt(deps: CdsJwtDeps, authorization: string | undefined, audience: string): Promise<ClientRecord> {
  const m = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i.exec(authorization ?? '');
  if (!m) throw new CdsAuthError('A CDS Hooks call needs Authorization: Bearer <JWT> signed by the registered CDS Client');
  const jwt = m[1];
  let claims: JWTPayload;
  let header;
  try {
    header = decodeProtectedHeader(jwt);
    claims = decodeJwt(jwt);
  } catch {
    throw new CdsAuthError('The bearer token is not a JWT');
  }
  if (typeof header.alg !== 'string' || !ASSERTION_ALGORITHMS.includes(header.alg)) throw new CdsAuthError(`JWT alg ${String(header.alg)} is not allowed`);
  const clientId = typeof claims.sub === 'string' && claims.sub ? claims.sub : typeof claims.iss === 'string' && claims.iss ? claims.iss : undefined;
  if (!clientId || clientId.length > 200) throw new CdsAuthError('The JWT names no CDS Client (sub or iss)');
  const client = await deps.clients.get(clientId);
  if (!client || client.role !== 'provider' || client.authMethod !== 'private_key_jwt') throw new CdsAuthError(`${clientId} is not a registered CDS Client (a provider backend with keys)`);
  if (header.jku !== undefined && header.jku !== client.jwksUri) throw new CdsAuthError('The JWT jku is not the key set the client registered');
  const now = Math.floor(deps.clock().getTime() / 1000);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, clientKeySet(client), {
      algorithms: ASSERTION_ALGORITHMS,
      ...(typeof claims.sub === 'string' && claims.sub ? { subject: clientId } : { issuer: clientId }),
      audience,
      currentDate: deps.clock(),
      requiredClaims: ['iss', 'exp', 'iat', 'jti'],
      clockTolerance: 30,
    }));
  } catch (err) {
    throw new CdsAuthError(`JWT rejected: ${(err as Error).message}`);
  }
  if ((payload.exp as number) - now > MAX_LIFETIME_SECONDS) throw new CdsAuthError('The JWT exp is more than five minutes ahead');
  const jti = payload.jti as string;
  if (jti.length === 0 || jti.length > 256) throw new CdsAuthError('The JWT jti is malformed');
  const fresh = await deps.docs.collection<{ _id: string; exp: number }>('cds-jti').insert({ _id: `${clientId}:${jti}`, exp: ((payload.exp as number) + 60) * 1000 });
  if (!fresh) throw new CdsAuthError('The JWT jti was already used (replay)');
  return client;
}
