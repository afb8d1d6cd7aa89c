/**
 * The two facts about members the authorization server needs from the FHIR store: a patient's display
 * name (for the consent page) and whether a member is attributed to a provider organization today
 * (for EHR launches by provider users). Filters are built from ids already validated by the callers.
 */
import type { HumanName, Patient, Group } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/port.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export async function patientName(deps: { store: ResourceStore }, id: string): Promise<string | undefined> {
  if (!ID.test(id)) return undefined;
  const record = await deps.store.current('Patient', id);
  const patient = record && !record.del ? (record.res as Patient | undefined) : undefined;
  const name: HumanName | undefined = patient?.name?.find((n) => n.use === 'official') ?? patient?.name?.[0];
  if (!name) return undefined;
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

/**
 * Attribution lists are Groups whose characteristic names the organization (see synthetic/attribution.ts
 * and the PDex member-attribution profile); the member entry must be active today.
 */
export async function isAttributed(deps: { store: ResourceStore }, patientId: string, organization: string, now: Date): Promise<boolean> {
  if (!ID.test(patientId) || !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(organization)) return false;
  const { records } = await deps.store.find({ filter: { type: 'Group', 'sp.member': `Patient/${patientId}` }, sort: [['_id', 1]], limit: 100 });
  const today = now.toISOString().slice(0, 10);
  return records.some((r) => {
    const group = r.res as Group | undefined;
    const forOrg = group?.characteristic?.some((c) => c.valueReference?.reference === organization) || group?.managingEntity?.reference === organization;
    if (!forOrg) return false;
    return (group?.member ?? []).some((m) => m.entity.reference === `Patient/${patientId}` && !m.inactive && (m.period?.end === undefined || m.period.end >= today));
  });
}
