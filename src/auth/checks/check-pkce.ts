/**
 * PKCE (RFC 7636) as SMART App Launch 2.x requires it: S256 only — `plain` and a missing challenge
 * are refused at the authorization endpoint, a missing or wrong verifier at the token endpoint.
 */
import { createHash } from 'node:crypto';
import { ensure } from '../oauth-error.js';

/** RFC 7636 §4.1: 43–128 unreserved characters. A base64url SHA-256 challenge is exactly 43. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

export function checkPkceChallenge(challenge: string | undefined, method: string | undefined): string {
  ensure(method === 'S256', 'invalid_request', method === undefined ? 'code_challenge_method S256 is required' : `code_challenge_method ${method} is not supported; use S256`);
  ensure(challenge !== undefined && CHALLENGE.test(challenge), 'invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier');
  return challenge;
}

export function checkPkceVerifier(verifier: string | undefined, challenge: string): void {
  ensure(verifier !== undefined, 'invalid_grant', 'code_verifier is required');
  ensure(VERIFIER.test(verifier), 'invalid_grant', 'code_verifier is malformed');
  const computed = createHash('sha256').update(verifier).digest('base64url');
  ensure(computed === challenge, 'invalid_grant', 'code_verifier does not match the code_challenge');
}
