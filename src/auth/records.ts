/**
 * The authorization server's durable records, kept in the document store (never in the FHIR store:
 * they hold secret and password hashes). Identifiers are random; no record is keyed by PHI.
 */
import type { JSONWebKeySet } from 'jose';
import type { StoredDocument } from '../store/document-port.js';

/**
 * What kind of party a client is, which decides whose member data its tokens may reach:
 * `app` — a member-facing or provider-facing app acting for a logged-in user (SMART App Launch);
 * `provider` / `payer` — a backend client of a provider organization or another payer (Backend Services);
 * `admin` — payer staff tooling and ingest (every member).
 */
export type ClientRole = 'app' | 'provider' | 'payer' | 'admin';

/** How the client authenticates at the token endpoint (SMART App Launch 2.x §Client types). */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface ClientRecord extends StoredDocument {
  /** The client_id. */
  _id: string;
  name: string;
  role: ClientRole;
  authMethod: ClientAuthMethod;
  /** Exact-match redirect URIs (RFC 6749 §3.1.2; SMART requires exact match). Empty for backend clients. */
  redirectUris: string[];
  /** Scopes this client may be granted: the ceiling for every request. */
  scopes: string[];
  /** scrypt hash of the client secret (client_secret_* methods). */
  secretHash?: string;
  /** Public keys for private_key_jwt: inline set, or a URL fetched (and cached) when needed. */
  jwks?: JSONWebKeySet;
  jwksUri?: string;
  /** Organization the client acts for (provider/payer backends), e.g. "Organization/123". */
  organization?: string;
  /**
   * Provider backends: the PID/SLs of its organization it acts for, set by the organization's Primary
   * User (absent = the whole organization).
   */
  locations?: string[];
  /** True when created by RFC 7591 dynamic registration. */
  dynamic?: boolean;
  createdAt: string;
}

export type UserKind = 'member' | 'provider' | 'staff';

export interface UserRecord extends StoredDocument {
  /** Random id; login names are looked up through `login`. */
  _id: string;
  kind: UserKind;
  /** Member ID for members, user name otherwise (unique per kind). */
  login: string;
  /** Members only: date of birth (YYYY-MM-DD), the second factor of the member login. */
  birthDate?: string;
  passwordHash: string;
  /** FHIR reference of the user (fhirUser claim): Patient/… for members, Practitioner/… or absent otherwise. */
  fhirUser?: string;
  /** Members: their Patient id. */
  patientId?: string;
  /** Provider users: their organization ("Organization/…") and the PID/SLs they may act for. */
  organization?: string;
  locations?: string[];
  /** Provider users: the organization's Primary User, who grants others access to its PID/SLs. */
  primary?: boolean;
  /** Provider users: who granted this user (a Primary User's id), and whether they are a business partner. */
  grantedBy?: string;
  businessPartner?: boolean;
  name?: string;
  createdAt: string;
}
