/**
 * What the authorization server needs to know about members from the FHIR store: a patient's display
 * name (for the consent page). Whether a member is within a provider user's reach (attribution) is the
 * Provider Access API's to say (apis/provider-access/treatment.ts), injected into the auth server.
 */
import type { HumanName, Patient, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/port.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export async function patientName(deps: { store: ResourceStore }, id: string): Promise<string | undefined> {
  if (!ID.test(id)) return undefined;
  const patient = await live<Patient>(deps.store, 'Patient', id);
  const name: HumanName | undefined = patient?.name?.find((n) => n.use === 'official') ?? patient?.name?.[0];
  if (!name) return undefined;
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

/** Who is asking for a member: an organization, and the PID/SLs they were granted (absent = the whole organization). */
export interface ProviderScope {
  organization: string;
  /** PID/SLs a subordinate user or business partner was granted; undefined for the Primary User. */
  locations?: readonly string[];
}

async function live<T extends Resource>(store: ResourceStore, type: T['resourceType'], id: string): Promise<T | undefined> {
  const record = await store.current(type, id);
  return record && !record.del ? (record.res as T | undefined) : undefined;
}
