/**
 * Facts about members that decide what Provider Access may release, read from the FHIR store at the
 * moment of the request (never cached, so an opt-out or a coverage end takes effect at once):
 *  - enrolled: an active Coverage whose period covers the day;
 *  - opted out: the member's latest active Provider Access choice (PDex `pdex-provider-consent`) is a
 *    deny in force; no choice at all means in (CMS-0057-F: opt-out, not opt-in). A later permit
 *    revokes an earlier deny (PDex consent.html: "permit = revoke").
 * Filters are built from patient ids the callers validated.
 */
import type { Consent, Coverage } from '@medplum/fhirtypes';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import type { ResourceStore } from '../../store/port.js';

export const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

const refs = (ids: readonly string[]): string[] => ids.filter((id) => PATIENT_ID.test(id)).map((id) => `Patient/${id}`);
const idOf = (reference: string | undefined): string | undefined => /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference ?? '')?.[1];

/**
 * Of these patients, those with an active Coverage whose period covers `day` (YYYY-MM-DD). With `payer`,
 * only a Coverage with that payor counts: a concurrent payer's coverage recorded at enrollment
 * (Payer-to-Payer) does not make a member enrolled with us.
 */
export async function enrolledOn(store: ResourceStore, patients: readonly string[], day: string, payer?: string): Promise<Set<string>> {
  const out = new Set<string>();
  const wanted = refs(patients);
  if (wanted.length === 0) return out;
  const { records } = await store.find({ filter: { type: 'Coverage', 'sp.beneficiary': { $in: wanted } }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  for (const r of records) {
    const c = r.res as Coverage | undefined;
    if (!c || c.status !== 'active') continue;
    if (payer !== undefined && c.payor?.[0]?.reference !== undefined && c.payor[0].reference !== payer) continue;
    const start = c.period?.start?.slice(0, 10);
    const end = c.period?.end?.slice(0, 10);
    if ((start !== undefined && start > day) || (end !== undefined && end < day)) continue;
    const id = idOf(c.beneficiary?.reference);
    if (id) out.add(id);
  }
  return out;
}

/** Is this Consent a member's Provider Access choice? */
export function isProviderAccessChoice(c: Consent): boolean {
  return (c.meta?.profile ?? []).some((p) => p.split('|')[0] === DAVINCI_PROFILE.pdexProviderConsent);
}

/** When a choice was made, for ordering: dateTime, else the provision's start, else lastUpdated. */
function madeAt(c: Consent): string {
  return c.dateTime ?? c.provision?.period?.start ?? c.meta?.lastUpdated ?? '';
}

/** The member's current choice from their Provider Access Consents: 'out' when the latest active one is a deny in force on `day`. */
export function choiceOf(consents: readonly Consent[], day: string): 'in' | 'out' {
  const latest = consents
    .filter((c) => c.status === 'active' && isProviderAccessChoice(c))
    .sort((a, b) => (madeAt(a) < madeAt(b) ? -1 : madeAt(a) > madeAt(b) ? 1 : 0))
    .at(-1);
  if (!latest || latest.provision?.type !== 'deny') return 'in';
  const start = latest.provision.period?.start?.slice(0, 10);
  const end = latest.provision.period?.end?.slice(0, 10);
  if ((start !== undefined && start > day) || (end !== undefined && end < day)) return 'in';
  return 'out';
}

/** Each patient's Provider Access Consents. */
export async function providerAccessConsents(store: ResourceStore, patients: readonly string[]): Promise<Map<string, Consent[]>> {
  const out = new Map<string, Consent[]>();
  const wanted = refs(patients);
  if (wanted.length === 0) return out;
  const { records } = await store.find({ filter: { type: 'Consent', 'sp.patient': { $in: wanted } }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  for (const r of records) {
    const c = r.res as Consent | undefined;
    const id = idOf(c?.patient?.reference);
    if (!c || !id || !isProviderAccessChoice(c)) continue;
    const list = out.get(id);
    if (list) list.push(c);
    else out.set(id, [c]);
  }
  return out;
}

/** Of these patients, those who have opted out of Provider Access on `day`. */
export async function optedOut(store: ResourceStore, patients: readonly string[], day: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const [id, consents] of await providerAccessConsents(store, patients)) if (choiceOf(consents, day) === 'out') out.add(id);
  return out;
}
