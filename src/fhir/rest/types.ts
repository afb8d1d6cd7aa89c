/**
 * Express-free request/response shapes of the FHIR engine: the HTTP layer (src/http) and
 * batch/transaction both build a FhirRequest and render a FhirResponse, so every interaction is
 * implemented once and testable without HTTP.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Access } from '../access.js';
import type { Issue } from '../outcome.js';
import type { SearchRegistry } from '../search/registry.js';
import type { FilterDocument, ResourceStore, StoredRecord, WriteOp } from '../../store/port.js';

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
  /** Records planned earlier in the same transaction, by `Type/id` (target-compartments.ts reads them). */
  pendingRecords?: ReadonlyMap<string, StoredRecord>;
  /** Views kept in step with their sources in the same store write (derived-writes.ts). */
  derivation?: Derivation;
  /** Bulk Data export kick-off (fhir/bulk/), when the server runs exports. */
  bulk?: BulkKickoff;
  /** Operations an API layer adds (or takes over for some callers), tried before the built-in ones. */
  operations?: readonly OperationHandler[];
  /**
   * Interactions an API layer takes over on one resource type for some callers (e.g. PAS Subscriptions
   * of provider systems: create with a handshake, read and delete their own), tried after the operations.
   */
  typeHandlers?: readonly TypeHandler[];
  /**
   * Per type, how a current read renders a stored record whose content lives partly outside the FHIR
   * store (e.g. a Group whose members are kept one document each); undefined = the stored JSON.
   */
  renderers?: Readonly<Record<string, (record: StoredRecord) => Promise<string | undefined>>>;
}

/** Every request on `[type]` or `[type]/[id]` that is not an operation; undefined leaves it to the engine. */
export interface TypeHandler {
  type: string;
  handle(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse | undefined>;
}

/** `[type]/$name` (type level) or `[type]/[id]/$name` (instance level). */
export interface OperationHandler {
  type: string;
  /** Without the `$`. */
  name: string;
  level: 'type' | 'instance';
  /** The response, or undefined to leave the request to the built-in handling (404 when there is none). */
  handle(ctx: FhirContext, req: FhirRequest, id?: string): Promise<FhirResponse | undefined>;
}

/** Starts a Bulk Data export (fhir/bulk/bulk-export.ts): 202 with the status URL in Content-Location. */
export interface BulkKickoff {
  kickoff(ctx: FhirContext, target: { level: 'patient' } | { level: 'group'; id: string }, req: FhirRequest, grant?: ExportGrant): Promise<FhirResponse>;
  /**
   * Queues a job that a runner task of `kind` performs (not an export), owned by the caller's client,
   * with the same status, manifest, cancel and download endpoints: 202 with the status URL.
   */
  enqueue(ctx: FhirContext, task: { id: string; kind: string; path: string }): Promise<FhirResponse>;
}

/**
 * What an API layer decided an export may contain, instead of the caller's Access: the export kind
 * (selects the runner's hooks), and per exportable type the filter its records must pass (null =
 * unrestricted). The API layer has already checked that the caller may export the target.
 */
export interface ExportGrant {
  kind: string;
  access: Record<string, FilterDocument | null>;
  /** The kick-off path echoed in the manifest's `request` (default `Group/[id]/$export`). */
  path?: string;
}

/** Derived resources (views kept in step with their sources; see derived-writes.ts). */
export type DerivedChange = { kind: 'put'; resource: Resource } | { kind: 'delete'; type: string; id: string };

/** Reads for a derivation: the writes being made first, then the store. */
export interface DerivationLookup {
  current(type: string, id: string): Promise<Resource | undefined>;
  /** Live resources matching a store filter (built from validated values only), up to `limit`. */
  find(filter: FilterDocument, limit: number): Promise<Resource[]>;
}

export interface Derivation {
  /** Why a client may not make this write itself, or undefined when it may. */
  refuse(op: WriteOp): string | undefined;
  /** The views to put or delete because of these writes. */
  derive(ops: readonly WriteOp[], lookup: DerivationLookup): Promise<DerivedChange[]>;
}
