/**
 * SMART App Launch 2.x §Obtain authorization code: `aud` is the FHIR base the app will call; the
 * server rejects any other, so a token can never be requested for (and leaked to) another server.
 */
import { ensure } from '../oauth-error.js';

const normal = (url: string): string => url.replace(/\/+$/, '');

export function checkAudience(aud: string | undefined, fhirBase: string): void {
  ensure(aud !== undefined && aud !== '', 'invalid_request', 'aud is required (the FHIR base URL)');
  ensure(normal(aud) === normal(fhirBase), 'invalid_request', `aud must be ${fhirBase}`);
}
