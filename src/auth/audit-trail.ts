/**
 * Every access to member data becomes an AuditEvent (FHIR R4 AuditEvent, "rest" type): who (the user's
 * FHIR resource or id), through which client, which patients, what interaction on what, when, and the
 * outcome. They are ordinary resources in the store, so payer staff query them with FHIR search
 * (`AuditEvent?patient=…&date=…&agent=…`); member tokens never see them (access-policy.ts).
 * The event is written before the response is sent, so a disclosure is never unrecorded.
 *
 * Not recorded: requests that touch no member compartment (e.g. reading an Organization) and reads
 * of AuditEvents themselves (which would otherwise record themselves without end).
 */
import type { AuditEvent, AuditEventEntity } from '@medplum/fhirtypes';
import type { AccessRecord } from '../http/fhir-router.js';
import type { FhirRequest } from '../fhir/rest/types.js';
import { buildRecord } from '../fhir/rest/stored-record.js';
import type { SearchRegistry } from '../fhir/search/registry.js';
import { groupCommit } from '../store/group-commit.js';
import type { ResourceStore } from '../store/port.js';
import { PROGRAM_CODE_SYSTEM } from '../domain/systems.js';
import type { ClientRole } from './records.js';
import type { VerifiedToken } from './verify-token.js';

const REST_INTERACTION = 'http://hl7.org/fhir/restful-interaction';

/** The R4 restful-interaction code and AuditEvent action of a request. */
export function interactionOf(req: FhirRequest): { code: string; action: AuditEvent['action'] } {
  const [type, id, sub, vid] = req.path;
  const m = req.method;
  if (type === undefined) return { code: 'batch', action: 'E' };
  if (type === '_history') return { code: 'history-system', action: 'R' };
  if (id?.startsWith('$') || sub?.startsWith('$')) return { code: 'operation', action: 'E' };
  if (id === undefined) return m === 'POST' ? { code: 'create', action: 'C' } : { code: 'search-type', action: 'E' };
  if (id === '_search') return { code: 'search-type', action: 'E' };
  if (id === '_history') return { code: 'history-type', action: 'R' };
  if (sub === '_history') return vid === undefined ? { code: 'history-instance', action: 'R' } : { code: 'vread', action: 'R' };
  if (m === 'PUT') return { code: 'update', action: 'U' };
  if (m === 'PATCH') return { code: 'patch', action: 'U' };
  if (m === 'DELETE') return { code: 'delete', action: 'D' };
  return { code: 'read', action: 'R' };
}

const outcomeCode = (status: number): AuditEvent['outcome'] => (status < 400 ? '0' : status < 500 ? '4' : '8');

export interface AuditContext {
  issuer: string;
  /** Display name and role of a client (cached by the caller). */
  client(id: string): Promise<{ name?: string; role?: ClientRole } | undefined>;
}

/** The tag that marks a Patient Access API release (CMS-0057-F usage metrics; see isPatientAccessRelease). */
export const PATIENT_ACCESS_RELEASE = { system: PROGRAM_CODE_SYSTEM.disclosure, code: 'patient-access-release', display: 'Member data released to a health app the member chose' } as const;

/**
 * A release through the Patient Access API, as the usage metrics count them: a request that succeeded
 * and disclosed the member's own data, made with a token the member granted (the signed-in user is
 * that member, the patient in context is them) to an app (not a provider, payer or staff client).
 */
export function isPatientAccessRelease(token: VerifiedToken, role: ClientRole | undefined, entry: AccessRecord): boolean {
  if (entry.status >= 400 || role !== 'app' || token.reach.kind !== 'patient') return false;
  const member = `Patient/${token.reach.id}`;
  return token.fhirUser === member && entry.compartments.includes(member);
}

export async function auditEventFor(ctx: AuditContext, token: VerifiedToken, entry: AccessRecord, now: Date): Promise<AuditEvent> {
  const { code, action } = interactionOf(entry.request);
  const patients = entry.compartments.length > 0 ? entry.compartments : token.reach.kind === 'patient' ? [`Patient/${token.reach.id}`] : [];
  const query = entry.request.query.length > 0 ? new URLSearchParams(entry.request.query).toString() : '';
  const entities: AuditEventEntity[] = patients.map((reference) => ({
    what: { reference },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  }));
  entities.push({
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
    description: `${entry.request.method} ${entry.request.path.join('/')}`.slice(0, 500),
    ...(query ? { query: Buffer.from(query).toString('base64') } : {}),
    detail: [{ type: 'request-id', valueString: entry.requestId }],
  });
  const client = await ctx.client(token.clientId);
  const clientName = client?.name;
  const release = isPatientAccessRelease(token, client?.role, entry);
  return {
    resourceType: 'AuditEvent',
    ...(release ? { meta: { tag: [{ ...PATIENT_ACCESS_RELEASE }] } } : {}),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: REST_INTERACTION, code }],
    action,
    recorded: now.toISOString(),
    outcome: outcomeCode(entry.status),
    // PATRQT: released at the patient's request, through the app they authorized.
    ...(release ? { purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PATRQT', display: 'patient requested' }] }] } : {}),
    ...(entry.status >= 400 ? { outcomeDesc: `HTTP ${entry.status}` } : {}),
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
        who: token.fhirUser ? { reference: token.fhirUser } : { identifier: { system: `${token.issuer}/subjects`, value: token.subject } },
        requestor: true,
      },
      {
        type: { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110150', display: 'Application' }] },
        who: { identifier: { system: `${token.issuer}/clients`, value: token.clientId }, ...(clientName ? { display: clientName } : {}) },
        requestor: false,
      },
    ],
    source: {
      observer: { display: ctx.issuer },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities,
  };
}

export interface AuditTrailDeps extends AuditContext {
  store: ResourceStore;
  registry: SearchRegistry;
  baseUrl: string;
  clock: () => Date;
  newId: () => string;
}

/** Records one request; resolves once the AuditEvent is durably stored (concurrent events share one write). */
export function auditTrail(deps: AuditTrailDeps) {
  const write = groupCommit(deps.store);
  return async (token: VerifiedToken, entry: AccessRecord): Promise<void> => {
    if (entry.request.path[0] === 'AuditEvent') return;
    if (entry.compartments.length === 0 && entry.status < 400) return;
    const now = deps.clock();
    const event = await auditEventFor(deps, token, entry, now);
    event.id = deps.newId();
    const record = buildRecord(event, 1, now, deps.registry, deps.baseUrl);
    await write({ kind: 'put', record, expectVersion: 'absent' });
  };
}
