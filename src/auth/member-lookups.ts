/**
 * The two facts about members the authorization server needs from the FHIR store: a patient's display
 * name (for the consent page) and whether a member is within a provider user's reach today
 * (attributed to their organization, through a PID/SL they were granted; for EHR launches).
 * Filters are built from ids already validated by the callers.
 */
import type { Group, HumanName, Location, Patient, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { IG_EXTENSION } from '../domain/extensions.js';
import { IDENTIFIER_SYSTEM } from '../domain/systems.js';
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

/**
 * True when the member is attributed today to the organization and, for a user granted only some of
 * its PID/SLs, attributed through one of those service locations. Attribution lists are Groups whose
 * characteristic names the organization (see synthetic/attribution.ts and the PDex member-attribution
 * profile); the member entry must be active today. The entry's attributed provider
 * (ATR ext-attributedProvider) names the service location: a PractitionerRole (its locations), a
 * Location, or a Practitioner (its roles at the organization). A member attributed to the organization
 * as a whole, with no service location, is within reach of the Primary User only.
 */
export async function isAttributed(deps: { store: ResourceStore }, patientId: string, who: ProviderScope, now: Date): Promise<boolean> {
  const { organization } = who;
  if (!ID.test(patientId) || !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(organization)) return false;
  const { records } = await deps.store.find({ filter: { type: 'Group', 'sp.member': `Patient/${patientId}` }, sort: [['_id', 1]], limit: 100 });
  const today = now.toISOString().slice(0, 10);
  const entries = records.flatMap((r) => {
    const group = r.res as Group | undefined;
    const forOrg = group?.characteristic?.some((c) => c.valueReference?.reference === organization) || group?.managingEntity?.reference === organization;
    if (!forOrg) return [];
    return (group?.member ?? []).filter((m) => m.entity.reference === `Patient/${patientId}` && !m.inactive && (m.period?.end === undefined || m.period.end >= today));
  });
  if (entries.length === 0) return false;
  if (who.locations === undefined) return true;
  const granted = new Set(who.locations);
  for (const entry of entries) {
    const provider = entry.extension?.find((e) => e.url === IG_EXTENSION.atrAttributedProvider)?.valueReference?.reference;
    if (provider === undefined) continue;
    const pidSls = await serviceLocationsOf(deps.store, provider, organization);
    if (pidSls.some((p) => granted.has(p))) return true;
  }
  return false;
}

/** The PID/SLs an attributed-provider reference stands for at the organization. */
async function serviceLocationsOf(store: ResourceStore, reference: string, organization: string): Promise<string[]> {
  const match = /^(Practitioner|PractitionerRole|Location)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
  if (!match) return [];
  const [, type, id] = match as unknown as [string, 'Practitioner' | 'PractitionerRole' | 'Location', string];
  if (type === 'Location') return pidSlsOf(await live<Location>(store, 'Location', id));
  const roles: PractitionerRole[] =
    type === 'PractitionerRole'
      ? [await live<PractitionerRole>(store, 'PractitionerRole', id)].filter((r): r is PractitionerRole => r !== undefined)
      : (await store.find({ filter: { type: 'PractitionerRole', 'sp.practitioner': reference }, sort: [['_id', 1]], limit: 100 })).records.map((r) => r.res as PractitionerRole);
  const out: string[] = [];
  for (const role of roles) {
    if (role.organization?.reference !== organization || role.active === false) continue;
    for (const loc of role.location ?? []) {
      const locId = /^Location\/([A-Za-z0-9\-.]{1,64})$/.exec(loc.reference ?? '')?.[1];
      if (locId) out.push(...pidSlsOf(await live<Location>(store, 'Location', locId)));
    }
  }
  return out;
}

async function live<T extends Resource>(store: ResourceStore, type: T['resourceType'], id: string): Promise<T | undefined> {
  const record = await store.current(type, id);
  return record && !record.del ? (record.res as T | undefined) : undefined;
}

function pidSlsOf(location: Location | undefined): string[] {
  return (location?.identifier ?? []).filter((i) => i.system === IDENTIFIER_SYSTEM.pidSl && typeof i.value === 'string').map((i) => i.value as string);
}
