/**
 * The JSON endpoints of the authorization server: token (authorization_code, refresh_token,
 * client_credentials), introspection, revocation, dynamic registration, discovery and JWKS.
 */
import express, { type Express } from 'express';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../auth-deps.js';
import { exchangeCode } from '../authorization-code.js';
import { authenticateClient } from '../client-auth.js';
import { clientCredentials } from '../client-credentials.js';
import { openidConfiguration, smartConfiguration } from '../discovery.js';
import { registerDynamicClient } from '../dynamic-registration.js';
import { introspect, revoke } from '../introspect-revoke.js';
import { OAuthError } from '../oauth-error.js';
import { publicClientOfRefreshToken, refresh } from '../refresh-token.js';
import type { TokenVerifier } from '../verify-token.js';
import { fields, formBody, oauthJson, openCors } from './oauth-handler.js';

export function tokenRoutes(app: Express, auth: AuthDeps, verify: TokenVerifier): void {
  const jsonBody = express.json({ limit: '64kb', type: ['application/json'] });
  const discovery = (path: string, body: () => unknown): void =>
    route(app, { method: 'get', path, audiences: ['public'], description: 'authorization server discovery' }, openCors, (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json(body());
    });
  discovery('/.well-known/smart-configuration', () => smartConfiguration(auth.issuer));
  discovery('/.well-known/openid-configuration', () => openidConfiguration(auth.issuer));
  discovery('/.well-known/jwks.json', () => auth.keys.jwks);

  route(app, { method: 'options', path: '/auth/{*rest}', audiences: ['public'], description: 'CORS preflight for browser apps' }, openCors);

  route(
    app,
    { method: 'post', path: '/auth/token', audiences: ['public'], description: 'token endpoint: authorization_code (PKCE), refresh_token, client_credentials (private_key_jwt)' },
    openCors,
    formBody,
    oauthJson(async (req) => {
      const body = fields(req.body);
      const anonymousRefresh = body.grant_type === 'refresh_token' && !body.client_id && !body.client_assertion && !body.client_secret && !req.get('Authorization');
      const client = anonymousRefresh ? await publicClientOfRefreshToken(auth, body.refresh_token) : await authenticateClient(auth, body, req.get('Authorization'));
      switch (body.grant_type) {
        case 'authorization_code':
          return exchangeCode(auth, client, body);
        case 'refresh_token':
          return refresh(auth, client, body);
        case 'client_credentials':
          return clientCredentials(auth, client, body);
        default:
          throw new OAuthError('unsupported_grant_type', body.grant_type ? `grant_type ${body.grant_type} is not supported` : 'grant_type is required');
      }
    }),
  );

  route(
    app,
    { method: 'post', path: '/auth/introspect', audiences: ['provider', 'payer', 'admin'], description: 'token introspection (RFC 7662), for authenticated clients' },
    formBody,
    oauthJson(async (req) => {
      const body = fields(req.body);
      const caller = await authenticateClient(auth, body, req.get('Authorization'));
      return introspect(auth, verify, caller, body.token);
    }),
  );

  route(
    app,
    { method: 'post', path: '/auth/revoke', audiences: ['public'], description: 'token revocation (RFC 7009) by the client the token was issued to' },
    openCors,
    formBody,
    oauthJson(async (req, res) => {
      const body = fields(req.body);
      const caller = await authenticateClient(auth, body, req.get('Authorization'));
      await revoke(auth, verify, caller, body.token);
      res.status(200).end();
    }),
  );

  route(
    app,
    { method: 'post', path: '/auth/register', audiences: ['public'], description: 'dynamic client registration (RFC 7591) for patient apps' },
    openCors,
    jsonBody,
    oauthJson(async (req, res) => {
      const out = await registerDynamicClient(auth.clients, req.body, auth.clock());
      res.status(201);
      return out;
    }),
  );

  route(
    app,
    { method: 'get', path: '/auth/userinfo', audiences: ['member', 'provider', 'admin'], description: 'OpenID Connect userinfo: sub and fhirUser of the token' },
    openCors,
    oauthJson(async (req) => {
      const t = await verify(req.get('Authorization'));
      return { sub: t.subject, ...(t.fhirUser ? { fhirUser: `${auth.fhirBase}/${t.fhirUser}` } : {}) };
    }),
  );
}
