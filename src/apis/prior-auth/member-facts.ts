/**
 * What the program's records say about an order's member and providers, for the coverage rules
 * (domain/pa-requirements.ts): which of our members it is (by member ID, as the EHR's Coverage or
 * Patient carries it), their plan type on the date of service (our Coverage, class `plan`), whether the
 * performer is their PCC/PCP (Patient.generalPractitioner, compared by NPI), whether a PCC/PCP referral
 * for that performer is on file (US Core ServiceRequest, category SNOMED 3457005, in force on the date),
 * and the ordering provider's MassHealth provider type and enrollment (Practitioner.qualification).
 * Every query is built from validated values through the search engine's translator.
 */
import type { Coverage, Identifier, Patient, Practitioner, Resource, ServiceRequest } from '@medplum/fhirtypes';
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { FilterDocument, ResourceStore } from '../../store/port.js';
import { isPlanTypeCode, type PlanTypeCode } from '../../domain/plan-types.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../../domain/systems.js';

const TOKEN_VALUE = /^[A-Za-z0-9\-.]{1,64}$/;
const REFERRAL_CATEGORY = { system: CODE_SYSTEM.snomed, code: '3457005' };

export interface MemberOnDate {
  patient: Patient;
  /** Our Coverage in force on the date of service, and its plan type. */
  coverage?: Coverage;
  plan?: PlanTypeCode;
}

export interface ProviderFacts {
  /** NPIs of the practitioner and of the organization (for comparing with the member's PCC/PCP). */
  npis: string[];
  /** Our record of the practitioner, when we know the NPI. */
  practitioner?: Practitioner;
}

/**
 * Live resources of a type matching a search (parameter, value pairs) through the search engine's
 * translator, so no request value reaches a store filter unvalidated; none when the search is invalid.
 */
export async function findLive<T extends Resource>(deps: { store: ResourceStore; policy: PolicyDeps }, type: T['resourceType'], query: Array<[string, string]>, limit = 20, sort: Array<[string, 1 | -1]> = [['_id', 1]]): Promise<T[]> {
  let filter: FilterDocument;
  try {
    filter = deps.policy.compileQuery(type, query);
  } catch {
    return [];
  }
  const { records } = await deps.store.find({ filter: { $and: [{ type }, filter] }, sort, limit });
  return records.filter((r) => !r.del).map((r) => r.res as T);
}

export function memberFacts(deps: { store: ResourceStore; policy: PolicyDeps; payer: string }) {
  const find = <T extends Resource>(type: T['resourceType'], query: Array<[string, string]>, limit = 20): Promise<T[]> => findLive<T>(deps, type, query, limit);

  async function current<T extends Resource>(reference: string | undefined): Promise<T | undefined> {
    const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference ?? '');
    if (!m) return undefined;
    const record = await deps.store.current(m[1], m[2]);
    return record && !record.del ? (record.res as T) : undefined;
  }

  const planOf = (c: Coverage): PlanTypeCode | undefined => {
    const value = c.class?.find((k) => k.type.coding?.some((x) => x.system === CODE_SYSTEM.coverageClass && x.code === 'plan'))?.value;
    return value && isPlanTypeCode(value) ? value : undefined;
  };
  const coversDay = (c: Coverage, day: string): boolean =>
    c.status === 'active' && (c.period?.start === undefined || c.period.start.slice(0, 10) <= day) && (c.period?.end === undefined || c.period.end.slice(0, 10) >= day);

  return {
    /** Our member for member IDs the caller gave (Coverage.subscriberId/identifier, Patient.identifier); exactly one or none. */
    async memberByIds(ids: readonly string[]): Promise<Patient | undefined> {
      for (const id of [...new Set(ids)].filter((x) => TOKEN_VALUE.test(x)).slice(0, 5)) {
        const found = await find<Patient>('Patient', [['identifier', `${IDENTIFIER_SYSTEM.memberId}|${id}`]], 2);
        if (found.length === 1) return found[0];
      }
      return undefined;
    },

    async patient(id: string): Promise<Patient | undefined> {
      return TOKEN_VALUE.test(id) ? current<Patient>(`Patient/${id}`) : undefined;
    },

    /** The member's coverage with us on a day (YYYY-MM-DD) and its plan type. */
    async onDate(patient: Patient, day: string): Promise<MemberOnDate> {
      const coverages = await find<Coverage>('Coverage', [['beneficiary', `Patient/${patient.id}`]], 50);
      const ours = coverages.filter((c) => (c.payor ?? []).some((p) => p.reference === deps.payer) && coversDay(c, day));
      const coverage = ours.find((c) => planOf(c) !== undefined) ?? ours[0];
      const plan = coverage ? planOf(coverage) : undefined;
      return { patient, ...(coverage ? { coverage } : {}), ...(plan ? { plan } : {}) };
    },

    /** NPIs of the member's PCC/PCP (practitioner and organization). */
    async primaryCareNpis(patient: Patient): Promise<string[]> {
      const npis: string[] = [];
      for (const ref of patient.generalPractitioner ?? []) {
        const who = await current<Resource & { identifier?: Identifier[] }>(ref.reference);
        npis.push(...npisOf(who?.identifier));
      }
      return npis;
    },

    /** Whether a PCC/PCP referral to one of these NPIs (or any, when none are given) is in force on the day. */
    async referralOnFile(patient: Patient, day: string, performerNpis: readonly string[]): Promise<boolean> {
      const referrals = await find<ServiceRequest>('ServiceRequest', [['subject', `Patient/${patient.id}`], ['category', `${REFERRAL_CATEGORY.system}|${REFERRAL_CATEGORY.code}`]], 200);
      for (const r of referrals) {
        if (r.status !== 'active' && r.status !== 'completed') continue;
        const p = r.occurrencePeriod;
        if (!p || (p.start && p.start.slice(0, 10) > day) || (p.end && p.end.slice(0, 10) < day)) continue;
        if (performerNpis.length === 0) return true;
        for (const performer of r.performer ?? []) {
          const who = await current<Resource & { identifier?: Identifier[] }>(performer.reference);
          if (npisOf(who?.identifier).some((n) => performerNpis.includes(n))) return true;
        }
      }
      return false;
    },

    /** Our enrollment record of a provider by NPI: its provider type and whether enrolled on the day. */
    async enrollment(npi: string, day: string): Promise<{ type?: string; enrolled: boolean }> {
      if (!/^\d{10}$/.test(npi)) return { enrolled: false };
      const [practitioner] = await find<Practitioner>('Practitioner', [['identifier', `${IDENTIFIER_SYSTEM.npi}|${npi}`]], 1);
      const q = practitioner?.qualification?.find((x) => x.code.coding?.some((c) => c.system === PROGRAM_CODE_SYSTEM.providerType));
      if (!q) return { enrolled: false };
      const type = q.code.coding?.find((c) => c.system === PROGRAM_CODE_SYSTEM.providerType)?.code;
      const enrolled = (q.period?.start === undefined || q.period.start.slice(0, 10) <= day) && (q.period?.end === undefined || q.period.end.slice(0, 10) >= day);
      return { ...(type ? { type } : {}), enrolled };
    },
  };
}

export type MemberFacts = ReturnType<typeof memberFacts>;

/** NPIs among identifiers. */
export function npisOf(identifiers: readonly Identifier[] | undefined): string[] {
  return (identifiers ?? []).filter((i) => i.system === IDENTIFIER_SYSTEM.npi && typeof i.value === 'string').map((i) => i.value as string);
}

/** Member IDs a payer's Coverage or a Patient carries: subscriberId, and identifiers in our member-ID system or typed MB. */
export function memberIdsOf(resource: (Coverage | Patient) | undefined): string[] {
  if (!resource) return [];
  const ids: string[] = [];
  if (resource.resourceType === 'Coverage' && resource.subscriberId) ids.push(resource.subscriberId);
  for (const i of resource.identifier ?? []) {
    const mb = i.type?.coding?.some((c) => c.code === 'MB');
    if ((i.system === IDENTIFIER_SYSTEM.memberId || mb) && i.value) ids.push(i.value);
  }
  return ids;
}
