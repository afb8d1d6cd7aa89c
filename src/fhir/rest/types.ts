/**
 * Express-free request/response shapes of the FHIR engine: the HTTP layer (src/http) and
 * batch/transaction both build a FhirRequest and render a FhirResponse, so every interaction is
 * implemented once and testable without HTTP.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Access } from '../access.js';
import type { Issue } from '../outcome.js';
import type { SearchRegistry } from '../search/registry.js';
import type { ResourceStore } from '../../store/port.js';

export interface FhirRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path segments below the FHIR base, e.g. ['Patient', '123', '_history', '2']. */
  path: string[];
  /** Query parameters in order, repeats kept (AND semantics for search). */
  query: Array<[string, string]>;
  body?: unknown;
  headers: {
    ifMatch?: string;
    ifNoneExist?: string;
    ifNoneMatch?: string;
    prefer?: string;
    contentType?: string;
  };
}

export interface FhirResponse {
  status: number;
  /** The body as an object, or already serialised (a stored resource's JSON text). */
  body?: Resource;
  json?: string;
  headers: Record<string, string>;
  /**
   * The patient compartments (e.g. "Patient/123") of every record whose content this response
   * discloses or writes, so the HTTP layer can record an AuditEvent per member without reading bodies.
   */
  compartments?: string[];
}

export type ResourceValidator = (resource: Resource) => Issue[];

export interface EngineLimits {
  defaultCount: number;
  maxCount: number;
  maxBundleEntries: number;
}

export interface FhirContext {
  store: ResourceStore;
  registry: SearchRegistry;
  validate: ResourceValidator;
  /** Absolute FHIR base used in links, fullUrls and Location headers (no trailing slash). */
  baseUrl: string;
  clock: () => Date;
  newId: () => string;
  limits: EngineLimits;
  access: Access;
}
