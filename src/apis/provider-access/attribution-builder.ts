/**
 * Builds the roster attribution lists from data the payer holds (issue 5, "Attribution"):
 *  - PCC/PCP assignment: a member enrolled today whose `Patient.generalPractitioner` names an
 *    Organization is attributed to it (the named Practitioner, if any, is the attributed provider),
 *    from the start of the member's current Coverage;
 *  - claims history: a professional, institutional or oral claim (ExplanationOfBenefit use = claim)
 *    whose service started within the last `claimsMonths` months attributes the member to the billing
 *    organization (`ExplanationOfBenefit.provider`), from the first such service date; the first
 *    care-team member is the attributed provider. Pharmacy claims do not attribute.
 * A rebuild is idempotent: entries it would write unchanged are not rewritten; entries it made before
 * (basis pcp/claims only) that the data no longer supports are ended yesterday; entries payer staff
 * removed are never added back; entries from staff or provider requests are left alone except that
 * a pcp/claims basis is added to or dropped from them.
 */
import type { Coverage, ExplanationOfBenefit, Organization, Patient } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import type { ResourceStore } from '../../store/port.js';
import { memberKey, type AttributionBasis, type AttributionList, type AttributionMember, type AttributionStore } from './attribution-store.js';
import { dayOf } from './treatment.js';

export interface BuildDeps {
  store: ResourceStore;
  attribution: AttributionStore;
  /** Writes (or rewrites) a list's Group header in the FHIR store with its current size. */
  publish(list: AttributionList): Promise<void>;
  /** Our payer Organization: only its coverage makes a member enrolled (not another payer's on file). */
  payerOrganization?: string;
}

export interface BuildOptions {
  now: Date;
  claimsMonths: number;
  /** Members read per batch. */
  batch?: number;
  /** Who rebuilt (recorded on entries). */
  by?: string;
}

export interface BuildReport {
  members: number;
  written: number;
  ended: number;
  lists: number;
}

const BUILT: ReadonlySet<AttributionBasis> = new Set(['pcp', 'claims']);
const ATTRIBUTING_CLAIM_TYPES: ReadonlySet<string> = new Set(['professional', 'institutional', 'oral']);

/** The roster list id of an organization (a valid FHIR id: at most 64 characters). */
export function rosterId(organization: string): string {
  const id = organization.replace(/^Organization\//, '');
  return `attr-${id}`.slice(0, 64);
}

interface Wanted {
  organization: string;
  provider?: string;
  coverage?: string;
  start: string;
  basis: Set<AttributionBasis>;
}

function addMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

const orgRef = (ref: string | undefined): string | undefined => (ref && /^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined);
const practitionerRef = (ref: string | undefined): string | undefined => (ref && /^(Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined);

/** What the data says about one batch of members: patient → organization → wanted entry. */
async function wantedFor(store: ResourceStore, patients: Patient[], today: string, windowStart: string, payer?: string): Promise<Map<string, Map<string, Wanted>>> {
  const refs = patients.map((p) => `Patient/${p.id}`);
  const out = new Map<string, Map<string, Wanted>>();
  const current = new Map<string, Coverage>();
  const coverages = await store.find({ filter: { type: 'Coverage', 'sp.beneficiary': { $in: refs } }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  for (const r of coverages.records) {
    const c = r.res as Coverage;
    const start = c.period?.start?.slice(0, 10);
    const end = c.period?.end?.slice(0, 10);
    if (c.status !== 'active' || (start !== undefined && start > today) || (end !== undefined && end < today)) continue;
    if (payer !== undefined && c.payor?.[0]?.reference !== undefined && c.payor[0].reference !== payer) continue;
    const id = c.beneficiary?.reference?.replace(/^Patient\//, '');
    if (id) current.set(id, c);
  }
  const want = (patient: string, organization: string, basis: AttributionBasis, start: string, provider?: string): void => {
    let byOrg = out.get(patient);
    if (!byOrg) out.set(patient, (byOrg = new Map()));
    const coverage = current.get(patient)?.id;
    const w = byOrg.get(organization);
    if (!w) {
      byOrg.set(organization, { organization, ...(provider ? { provider } : {}), ...(coverage ? { coverage } : {}), start, basis: new Set([basis]) });
      return;
    }
    w.basis.add(basis);
    if (start < w.start) w.start = start;
    // The PCP is the attributed provider when there is one; otherwise the first clinician found.
    if (provider && (basis === 'pcp' || !w.provider)) w.provider = provider;
  };
  for (const p of patients) {
    const id = p.id as string;
    const coverage = current.get(id);
    if (!coverage) continue;
    const org = (p.generalPractitioner ?? []).map((g) => orgRef(g.reference)).find((r) => r !== undefined);
    if (!org) continue;
    const pcp = (p.generalPractitioner ?? []).map((g) => practitionerRef(g.reference)).find((r) => r !== undefined);
    want(id, org, 'pcp', coverage.period?.start?.slice(0, 10) ?? today, pcp);
  }
  const enrolled = refs.filter((r) => current.has(r.slice('Patient/'.length)));
  if (enrolled.length === 0) return out;
  const windowMs = Date.parse(`${windowStart}T00:00:00Z`);
  const claims = await store.find({
    filter: { type: 'ExplanationOfBenefit', 'sp.patient': { $in: enrolled }, 'sp.care-date': { $elemMatch: { hi: { $gte: windowMs } } } },
    sort: [['_id', 1]],
    limit: Number.MAX_SAFE_INTEGER,
  });
  for (const r of claims.records) {
    const eob = r.res as ExplanationOfBenefit;
    if (eob.use !== 'claim' || eob.status === 'entered-in-error') continue;
    if (!eob.type?.coding?.some((c) => c.code !== undefined && ATTRIBUTING_CLAIM_TYPES.has(c.code))) continue;
    const start = (eob.billablePeriod?.start ?? eob.item?.[0]?.servicedDate ?? '').slice(0, 10);
    if (!start || start < windowStart || start > today) continue;
    const org = orgRef(eob.provider?.reference);
    const patient = eob.patient?.reference?.replace(/^Patient\//, '');
    if (!org || !patient) continue;
    want(patient, org, 'claims', start, practitionerRef(eob.careTeam?.[0]?.provider?.reference));
  }
  return out;
}

const sameEntry = (a: AttributionMember, b: AttributionMember): boolean =>
  a.provider === b.provider && a.coverage === b.coverage && a.start === b.start && a.end === b.end && [...a.basis].sort().join() === [...b.basis].sort().join();

export async function rebuildAttribution(deps: BuildDeps, opts: BuildOptions): Promise<BuildReport> {
  const today = dayOf(opts.now);
  const yesterday = dayOf(opts.now.getTime() - 86_400_000);
  const windowStart = addMonths(today, -opts.claimsMonths);
  const batch = opts.batch ?? 500;
  const now = opts.now.getTime();
  const touched = new Map<string, AttributionList>();
  const orgCache = new Map<string, Organization | undefined>();
  const report: BuildReport = { members: 0, written: 0, ended: 0, lists: 0 };

  const listFor = async (organization: string): Promise<AttributionList> => {
    const id = rosterId(organization);
    const seen = touched.get(id);
    if (seen) return seen;
    let list = await deps.attribution.lists.get(id);
    if (!list) {
      if (!orgCache.has(organization)) {
        const record = await deps.store.current('Organization', organization.slice('Organization/'.length));
        orgCache.set(organization, record && !record.del ? (record.res as Organization) : undefined);
      }
      const org = orgCache.get(organization);
      const npi = org?.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value;
      list = { _id: id, organization, ...(npi ? { npi } : {}), name: `Attributed members - ${org?.name ?? organization}`, kind: 'roster', createdAt: now, updatedAt: now };
      await deps.attribution.lists.put(list);
    }
    touched.set(id, list);
    return list;
  };

  const kinds = new Map<string, AttributionList['kind'] | undefined>();
  const kindOf = async (id: string): Promise<AttributionList['kind'] | undefined> => {
    if (!kinds.has(id)) kinds.set(id, (await deps.attribution.lists.get(id))?.kind);
    return kinds.get(id);
  };

  let after: string | undefined;
  for (;;) {
    const filter = after === undefined ? { type: 'Patient' } : { type: 'Patient', _id: { $gt: after } };
    const { records } = await deps.store.find({ filter, sort: [['_id', 1]], limit: batch });
    if (records.length === 0) break;
    after = records[records.length - 1]._id;
    const patients = records.filter((r) => !r.del).map((r) => r.res as Patient);
    report.members += patients.length;
    const wanted = await wantedFor(deps.store, patients, today, windowStart, deps.payerOrganization);
    const existing = await deps.attribution.members.find({ patient: { $in: patients.map((p) => p.id as string) } }, { sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
    const byKey = new Map(existing.map((e) => [e._id, e]));
    for (const [patient, byOrg] of wanted) {
      for (const w of byOrg.values()) {
        const list = await listFor(w.organization);
        const key = memberKey(list._id, patient);
        const old = byKey.get(key);
        byKey.delete(key);
        if (old?.removed) continue;
        const kept = (old?.basis ?? []).filter((b) => !BUILT.has(b));
        const next: AttributionMember = {
          _id: key,
          list: list._id,
          organization: w.organization,
          patient,
          ...(w.provider ? { provider: w.provider } : old?.provider ? { provider: old.provider } : {}),
          ...(w.coverage ? { coverage: w.coverage } : {}),
          start: old && kept.length > 0 && old.start < w.start ? old.start : w.start,
          basis: [...new Set([...kept, ...w.basis])],
          updatedAt: now,
        };
        if (old && sameEntry(old, next)) continue;
        await deps.attribution.members.put(next);
        report.written++;
      }
    }
    // Entries the data no longer supports: a built-only entry ends; a mixed one loses its built basis.
    for (const old of byKey.values()) {
      if (old.removed || old.end !== undefined || !old.basis.some((b) => BUILT.has(b))) continue;
      if ((await kindOf(old.list)) !== 'roster') continue; // match lists are never built
      const kept = old.basis.filter((b) => !BUILT.has(b));
      const next: AttributionMember = kept.length > 0 ? { ...old, basis: kept, updatedAt: now } : { ...old, end: yesterday < old.start ? old.start : yesterday, updatedAt: now };
      await deps.attribution.members.put(next);
      report.ended++;
      const list = await deps.attribution.lists.get(old.list);
      if (list) touched.set(list._id, list);
    }
  }
  for (const list of touched.values()) {
    const updated = { ...list, updatedAt: now };
    await deps.attribution.lists.put(updated);
    await deps.publish(updated);
  }
  report.lists = touched.size;
  return report;
}
