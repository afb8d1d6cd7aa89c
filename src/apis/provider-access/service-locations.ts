/**
 * Which PID/SLs (MassHealth provider ID + service location, domain/provider-id.ts) an attributed
 * provider reference stands for at an organization: a Location's own PID/SL identifiers, a
 * PractitionerRole's locations, or a Practitioner's active roles at the organization. Used to hold a
 * subordinate user, business partner or backend client to the PID/SLs it was granted.
 */
import type { Location, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import type { ResourceStore } from '../../store/port.js';

async function live<T extends Resource>(store: ResourceStore, type: T['resourceType'], id: string): Promise<T | undefined> {
  const record = await store.current(type, id);
  return record && !record.del ? (record.res as T | undefined) : undefined;
}

function pidSlsOf(location: Location | undefined): string[] {
  return (location?.identifier ?? []).filter((i) => i.system === IDENTIFIER_SYSTEM.pidSl && typeof i.value === 'string').map((i) => i.value as string);
}

/** The PID/SLs an attributed-provider reference stands for at the organization (none for an Organization reference). */
export async function serviceLocationsOf(store: ResourceStore, reference: string, organization: string): Promise<string[]> {
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
