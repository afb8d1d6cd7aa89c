/**
 * The redirect URI must equal one the client registered, character for character (SMART App Launch
 * 2.x; OAuth 2.0 Security BCP §4.1.3: no pattern or prefix matching). Until this check passes, errors
 * are shown on our own page, never sent to the unverified URI (RFC 6749 §4.1.2.1).
 */
import type { ClientRecord } from '../records.js';
import { ensure } from '../oauth-error.js';

export function checkRedirectUri(client: ClientRecord, redirectUri: string | undefined): string {
  ensure(redirectUri !== undefined && redirectUri !== '', 'invalid_request', 'redirect_uri is required');
  ensure(client.redirectUris.includes(redirectUri), 'invalid_redirect_uri', 'redirect_uri is not registered for this client');
  return redirectUri;
}
