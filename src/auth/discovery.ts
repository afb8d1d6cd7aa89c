/**
 * Discovery documents: SMART's `/.well-known/smart-configuration` (SMART App Launch 2.x §Conformance:
 * also served under the FHIR base), OpenID Connect Discovery 1.0 `/.well-known/openid-configuration`,
 * and the CapabilityStatement's security block (the oauth-uris extension and the SMART-on-FHIR service).
 */
import type { CapabilityStatementRestSecurity } from '@medplum/fhirtypes';
import { endpoints } from './auth-deps.js';
import { TOKEN_ALG } from './signing-keys.js';
import { ASSERTION_ALGORITHMS } from './checks/check-client-assertion.js';

export const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'offline_access',
  'online_access',
  'patient/*.read',
  'patient/*.rs',
  'patient/*.cruds',
  'user/*.read',
  'user/*.rs',
  'system/*.read',
  'system/*.rs',
  'system/*.cruds',
];

export const CAPABILITIES = [
  'launch-standalone',
  'launch-ehr',
  'authorize-post',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'context-standalone-patient',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-banner',
  'permission-patient',
  'permission-user',
  'permission-v1',
  'permission-v2',
  'permission-offline',
  'permission-online',
  'sso-openid-connect',
];

export function smartConfiguration(issuer: string) {
  const e = endpoints(issuer);
  return {
    issuer,
    jwks_uri: e.jwks,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    registration_endpoint: e.register,
    management_endpoint: e.account,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    scopes_supported: SCOPES_SUPPORTED,
    capabilities: CAPABILITIES,
  };
}

export function openidConfiguration(issuer: string) {
  const e = endpoints(issuer);
  return {
    issuer,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    jwks_uri: e.jwks,
    registration_endpoint: e.register,
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    userinfo_endpoint: e.userinfo,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [TOKEN_ALG],
    scopes_supported: SCOPES_SUPPORTED,
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
  };
}

/** CapabilityStatement.rest.security (SMART App Launch 2.x §Capability sets: oauth-uris extension). */
export function capabilitySecurity(issuer: string): CapabilityStatementRestSecurity {
  const e = endpoints(issuer);
  return {
    cors: true,
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'authorize', valueUri: e.authorize },
          { url: 'token', valueUri: e.token },
          { url: 'register', valueUri: e.register },
          { url: 'manage', valueUri: e.account },
          { url: 'introspect', valueUri: e.introspect },
          { url: 'revoke', valueUri: e.revoke },
        ],
      },
    ],
    description: 'SMART App Launch 2.x (standalone and EHR launch, PKCE S256) and SMART Backend Services (private_key_jwt).',
  };
}
