/**
 * The resource server's side: a bearer token → who is calling and what they may reach. Tokens of
 * the embedded authorization server are checked against its key, issuer, audience and `typ`, and
 * their grant must still be live (revocation is immediate). Tokens of a trusted external OpenID
 * Connect server are checked against its JWKS, issuer and audience; their claims are mapped the same
 * way. Anything else — no token, `alg: none`, a bad signature, expired, wrong `aud` or `iss` — is 401.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthDeps } from './auth-deps.js';
import { OAuthError } from './oauth-error.js';
import type { MemberReach } from './access-policy.js';
import { ACCESS_TOKEN_TYP } from './token-issuer.js';
import { TOKEN_ALG } from './signing-keys.js';

export interface ExternalIssuer {
  issuer: string;
  jwksUrl: string;
  /** Accepted `aud` (default: the FHIR base). */
  audience?: string;
  /** Claim carrying the patient id in patient-context tokens. */
  patientClaim: string;
  /** Clients (client_id / azp) whose tokens without a patient reach every member (payer staff tools). */
  staffClients: string[];
}

/** The verified facts of a token, before they become an Access. */
export interface VerifiedToken {
  issuer: string;
  clientId: string;
  subject: string;
  scopes: string[];
  reach: MemberReach;
  grantId?: string;
  fhirUser?: string;
  exp: number;
}

const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384'];

const invalid = (why: string): OAuthError => new OAuthError('invalid_token', why);

function scopesOf(claims: JWTPayload): string[] {
  if (typeof claims.scope === 'string') return claims.scope.split(/\s+/).filter(Boolean);
  if (Array.isArray(claims.scp)) return claims.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

function reachFrom(kind: unknown, patient: unknown): MemberReach {
  if (kind === 'patient' && typeof patient === 'string' && PATIENT_ID.test(patient)) return { kind: 'patient', id: patient };
  if (kind === 'all') return { kind: 'all' };
  return { kind: 'none' };
}

export type TokenVerifier = (authorization: string | undefined) => Promise<VerifiedToken>;

/** Verified signatures kept per token string (bounded), so a busy app's requests skip the RSA check. */
const CACHE_LIMIT = 10_000;

export function tokenVerifier(deps: AuthDeps, external: ExternalIssuer | undefined): TokenVerifier {
  const ownKeys = createLocalJWKSet(deps.keys.jwks);
  const externalKeys: JWTVerifyGetKey | undefined = external ? createRemoteJWKSet(new URL(external.jwksUrl), { timeoutDuration: 5000 }) : undefined;

  const verifyOwn = async (token: string): Promise<VerifiedToken> => {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, ownKeys, {
        algorithms: [TOKEN_ALG],
        issuer: deps.issuer,
        audience: deps.fhirBase,
        typ: ACCESS_TOKEN_TYP,
        currentDate: deps.clock(),
        requiredClaims: ['exp', 'sub', 'client_id', 'gid'],
      }));
    } catch (err) {
      throw invalid((err as Error).message);
    }
    const grantId = String(claims.gid);
    const grant = await deps.grants.live(grantId);
    if (!grant) throw invalid('the grant behind this token was revoked');
    return {
      issuer: deps.issuer,
      clientId: String(claims.client_id),
      subject: String(claims.sub),
      scopes: scopesOf(claims),
      reach: reachFrom(claims.reach, claims.patient),
      grantId,
      ...(typeof claims.fhirUser === 'string' ? { fhirUser: claims.fhirUser } : {}),
      exp: claims.exp as number,
    };
  };

  const verifyExternal = async (token: string, ext: ExternalIssuer, keys: JWTVerifyGetKey): Promise<VerifiedToken> => {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        algorithms: EXTERNAL_ALGORITHMS,
        issuer: ext.issuer,
        audience: ext.audience ?? deps.fhirBase,
        currentDate: deps.clock(),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw invalid((err as Error).message);
    }
    const clientId = String(claims.client_id ?? claims.azp ?? claims.cid ?? 'unknown');
    const patient = claims[ext.patientClaim];
    const reach: MemberReach =
      typeof patient === 'string' && PATIENT_ID.test(patient) ? { kind: 'patient', id: patient } : ext.staffClients.includes(clientId) ? { kind: 'all' } : { kind: 'none' };
    return {
      issuer: ext.issuer,
      clientId,
      subject: String(claims.sub ?? clientId),
      scopes: scopesOf(claims),
      reach,
      ...(typeof claims.fhirUser === 'string' ? { fhirUser: claims.fhirUser } : {}),
      exp: claims.exp as number,
    };
  };

  // The same token string always carries the same signature and claims, so its verification can be
  // reused until it expires; the grant is still checked on every request (revocation stays immediate).
  const verified = new Map<string, VerifiedToken>();
  const remember = (token: string, facts: VerifiedToken): VerifiedToken => {
    if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
    verified.set(token, facts);
    return facts;
  };
  const stillLive = async (facts: VerifiedToken): Promise<boolean> =>
    facts.exp * 1000 > deps.clock().getTime() && (facts.grantId === undefined || (await deps.grants.live(facts.grantId)) !== undefined);

  return async (authorization) => {
    const match = authorization ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim()) : null;
    if (!match) throw invalid(authorization ? 'Authorization must be "Bearer <token>"' : 'a bearer token is required');
    const token = match[1];
    const known = verified.get(token);
    if (known) {
      if (await stillLive(known)) return known;
      verified.delete(token);
    }
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw invalid('the token is not a JWT');
    }
    if (iss === deps.issuer) return remember(token, await verifyOwn(token));
    if (external && externalKeys && iss === external.issuer) return remember(token, await verifyExternal(token, external, externalKeys));
    throw invalid('the token was issued by an authorization server this server does not trust');
  };
}
