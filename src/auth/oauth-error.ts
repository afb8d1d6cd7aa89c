/**
 * OAuth 2.0 errors (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 6750 §3.1): every check throws one, the
 * routers render it as `{ error, error_description }` JSON (token, introspection, registration) or
 * as a redirect / error page (authorization endpoint). Codes are stable; tests assert them.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_token'
  | 'server_error';

export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status = code === 'invalid_client' || code === 'invalid_token' ? 401 : code === 'server_error' ? 500 : 400,
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** Shorthand for a check: throw `code` with `description` unless `ok`. */
export function ensure(ok: unknown, code: OAuthErrorCode, description: string): asserts ok {
  if (!ok) throw new OAuthError(code, description);
}
