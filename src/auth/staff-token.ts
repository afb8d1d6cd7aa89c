/**
 * The check every payer-staff endpoint makes: a valid token that reaches every member (a staff user's or
 * an admin backend's); anything else is a 403 OperationOutcome (no token: 401 from the verifier).
 */
import type { Request } from 'express';
import { forbidden } from '../fhir/outcome.js';
import type { TokenVerifier, VerifiedToken } from './verify-token.js';

export function staffGuard(verify: TokenVerifier): (req: Request) => Promise<VerifiedToken> {
  return async (req) => {
    const token = await verify(req.get('Authorization'));
    if (token.reach.kind !== 'all') throw forbidden('payer staff only');
    return token;
  };
}
