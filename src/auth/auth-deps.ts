/**
 * What the authorization server's flows need, wired once in the composition root. Endpoint URLs are
 * derived from the issuer so discovery, token `aud` checks and client assertions agree.
 */
import type { DocumentStore } from '../store/document-port.js';
import type { ClientRegistry } from './client-registry.js';
import type { GrantStore } from './grants.js';
import type { SigningKeys } from './signing-keys.js';
import type { UserDirectory } from './users.js';

export interface Lifetimes {
  /** Access tokens of apps (seconds). */
  accessToken: number;
  /** Access tokens of backend clients (seconds); SMART Backend Services recommends at most 300. */
  backendToken: number;
  /** Authorization codes (seconds). */
  code: number;
  /** Pending authorization requests, login to consent (seconds). */
  authorizationRequest: number;
  /** Refresh tokens for offline_access (seconds). */
  offlineRefresh: number;
  /** Refresh tokens for online_access (seconds): access lasts about as long as a sign-in. */
  onlineRefresh: number;
  /** Browser sessions on the login, consent and account pages (seconds). */
  session: number;
  /** EHR launch contexts (seconds). */
  launch: number;
}

export const DEFAULT_LIFETIMES: Lifetimes = {
  accessToken: 3600,
  backendToken: 300,
  code: 300,
  authorizationRequest: 1800,
  offlineRefresh: 90 * 24 * 3600,
  onlineRefresh: 12 * 3600,
  session: 3600,
  launch: 3600,
};

export interface AuthDeps {
  /** The authorization server's issuer URL (the FHIR base without its trailing `/fhir`). */
  issuer: string;
  /** This server's FHIR base: the only accepted `aud`. */
  fhirBase: string;
  keys: SigningKeys;
  docs: DocumentStore;
  clients: ClientRegistry;
  users: UserDirectory;
  grants: GrantStore;
  clock: () => Date;
  lifetimes: Lifetimes;
}

export const endpoints = (issuer: string) => ({
  authorize: `${issuer}/auth/authorize`,
  token: `${issuer}/auth/token`,
  introspect: `${issuer}/auth/introspect`,
  revoke: `${issuer}/auth/revoke`,
  register: `${issuer}/auth/register`,
  jwks: `${issuer}/.well-known/jwks.json`,
  userinfo: `${issuer}/auth/userinfo`,
  account: `${issuer}/account`,
  login: `${issuer}/auth/login`,
  consent: `${issuer}/auth/consent`,
  launch: `${issuer}/auth/launch`,
});

/** The issuer for a FHIR base: `https://x.org/api/fhir` → `https://x.org/api`. */
export const issuerFor = (fhirBase: string): string => fhirBase.replace(/\/fhir$/, '');
