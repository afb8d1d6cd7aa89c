/**
 * The treatment relationship, checked at the moment of every Provider Access request (CMS-0057-F,
 * 42 CFR 431.61(a)): the member is enrolled that day, attributed to the requesting organization (on a
 * roster or a live match list), and has not opted out. A requester granted only some of the
 * organization's PID/SLs (a subordinate user, a business partner, a backend client the Primary User
 * limited) reaches only members attributed through one of them; a member attributed to the
 * organization as a whole, with no service location, is reached by the whole organization only.
 */
import type { ResourceStore } from '../../store/port.js';
import { activeOn, type AttributionMember, type AttributionStore } from './attribution-store.js';
import { enrolledOn, optedOut, PATIENT_ID } from './member-status.js';
import { serviceLocationsOf } from './service-locations.js';

/** Who asks: an organization, and the PID/SLs they were limited to (absent = the whole organization). */
export interface Requester {
  organization: string;
  locations?: readonly string[];
}

export interface TreatmentDeps {
  store: ResourceStore;
  attribution: AttributionStore;
  /** Our payer Organization (`Organization/<id>`): only its coverage makes a member enrolled. */
  payerOrganization?: string;
}

export const dayOf = (at: Date | number): string => new Date(at).toISOString().slice(0, 10);

/** Of a member's entries, those in force on `day` for the requester (through a granted PID/SL when limited). */
async function entriesFor(
  deps: TreatmentDeps,
  who: Requester,
  entries: readonly AttributionMember[],
  day: string,
  locationsOf: Map<string, Promise<string[]>> = new Map(),
): Promise<AttributionMember[]> {
  const mine = entries.filter((e) => e.organization === who.organization && activeOn(e, day));
  if (who.locations === undefined) return mine;
  const granted = new Set(who.locations);
  const out: AttributionMember[] = [];
  for (const e of mine) {
    if (e.provider === undefined) continue;
    let found = locationsOf.get(e.provider);
    if (!found) locationsOf.set(e.provider, (found = serviceLocationsOf(deps.store, e.provider, who.organization)));
    const pidSls = await found;
    if (pidSls.some((p) => granted.has(p))) out.push(e);
  }
  return out;
}

/** Is the member attributed to the requester today (ignores enrollment and opt-out; the EHR launch check)? */
export async function isAttributedTo(deps: TreatmentDeps, patient: string, who: Requester, now: Date): Promise<boolean> {
  if (!PATIENT_ID.test(patient)) return false;
  return (await entriesFor(deps, who, await deps.attribution.entriesOf(patient), dayOf(now))).length > 0;
}

/**
 * Of these members, those the requester may receive data of now: enrolled today and not opted out; and,
 * unless `listed` says they were already taken from the requester's own list, attributed to it today.
 */
export async function withTreatmentRelationship(
  deps: TreatmentDeps,
  who: Requester,
  patients: readonly string[],
  now: Date,
  entriesOnList?: ReadonlyMap<string, AttributionMember>,
): Promise<Set<string>> {
  const day = dayOf(now);
  const valid = [...new Set(patients.filter((p) => PATIENT_ID.test(p)))];
  const attributed: string[] = [];
  // One batch resolves each attributed provider's PID/SLs once.
  const locationsOf = new Map<string, Promise<string[]>>();
  const byPatient = new Map<string, AttributionMember[]>();
  const unlisted = valid.filter((p) => !entriesOnList?.has(p));
  if (unlisted.length > 0) {
    for (const e of await deps.attribution.members.find({ patient: { $in: unlisted } }, { sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER })) {
      const list = byPatient.get(e.patient);
      if (list) list.push(e);
      else byPatient.set(e.patient, [e]);
    }
  }
  for (const p of valid) {
    const listed = entriesOnList?.get(p);
    const entries = listed ? [listed] : (byPatient.get(p) ?? []);
    if ((await entriesFor(deps, who, entries, day, locationsOf)).length > 0) attributed.push(p);
  }
  const enrolled = await enrolledOn(deps.store, attributed, day, deps.payerOrganization);
  const out = await optedOut(deps.store, [...enrolled], day);
  return new Set([...enrolled].filter((p) => !out.has(p)));
}
