/**
 * The AuditEvent an API's bulk export writes after each batch (ExportHooks.written): these members' data
 * went to this client, for this purpose. One shape for every export that discloses member data (Provider
 * Access, Payer-to-Payer), so an auditor reads them alike.
 */
import type { AuditEvent, Coding } from '@medplum/fhirtypes';
import type { ExportJob } from './export-jobs.js';

export interface ExportDisclosure {
  /** The export's name in the event's text and observer, e.g. "Provider Access". */
  name: string;
  /** The purpose of use (v3-ActReason), e.g. TREAT or COC. */
  purpose: Pick<Coding, 'code' | 'display'>;
  /** The authorization server's issuer; clients are identified as `${issuer}/clients`. */
  issuer: string;
  recorded: Date;
}

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';

export function exportDisclosureEvent(job: ExportJob, patients: readonly string[], o: ExportDisclosure): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'operation' }],
    action: 'E',
    recorded: o.recorded.toISOString(),
    outcome: '0',
    outcomeDesc: `${o.name} bulk export ${job._id}`,
    purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', ...o.purpose }] }],
    agent: [{ who: { identifier: { system: `${o.issuer}/clients`, value: job.client } }, requestor: true }],
    source: { observer: { display: `${o.name.toLowerCase().replace(/ /g, '-')} export` } },
    entity: [
      ...patients.map((p) => ({ what: { reference: `Patient/${p}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' } })),
      ...(job.groupId ? [{ what: { reference: `Group/${job.groupId}` }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' } }] : []),
    ],
  };
}
