import type { ClaimResponse, Consent, ExplanationOfBenefit, Extension, Group, Location, Organization, Practitioner, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { denialEditsIn } from '../../../src/domain/denial-edits.js';
import { PROGRAM_EXTENSION } from '../../../src/domain/extensions.js';
import { isValidNpi } from '../../../src/domain/npi.js';
import { isValidPidSl } from '../../../src/domain/provider-id.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';
import { generateDemoData } from '../../../src/synthetic/generate.js';

/** Claims and encounters only: prior authorizations are ExplanationOfBenefits too (PDex views, use = preauthorization). */
const claimsOf = (resources: Resource[]): ExplanationOfBenefit[] => ofType<ExplanationOfBenefit>(resources, 'ExplanationOfBenefit').filter((e) => e.use === 'claim');

const NOW = new Date('2026-06-30T12:00:00Z');
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** Shared resources members refer to (the provider directory) or providers fill in (the DTR Questionnaires). */
const DIRECTORY_TYPES = new Set(['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Questionnaire']);

function collect(members: number, seed: number, now = NOW): Resource[] {
  return Array.from(generateDemoData({ members, seed, now }));
}

function referencesIn(value: unknown, out: string[]): string[] {
  if (Array.isArray(value)) {
    for (const v of value) referencesIn(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else referencesIn(v, out);
    }
  }
  return out;
}

function ofType<T extends Resource>(data: Resource[], type: T['resourceType']): T[] {
  return data.filter((r): r is T => r.resourceType === type);
}

function ext(r: { extension?: Extension[] }, url: string): Extension | undefined {
  return r.extension?.find((e) => e.url === url);
}

function eobKind(e: ExplanationOfBenefit): string {
  const type = e.type.coding?.[0]?.code ?? '';
  return type === 'institutional' ? `institutional/${e.subType?.coding?.[0]?.code}` : type;
}

function allAdjudications(e: ExplanationOfBenefit): NonNullable<ExplanationOfBenefit['adjudication']> {
  return [...(e.adjudication ?? []), ...(e.item ?? []).flatMap((i) => i.adjudication ?? [])];
}

let data: Resource[];

beforeAll(() => {
  data = collect(150, 2024);
});

describe('generateDemoData: determinism', () => {
  it('when the same members, seed and clock are used, then the output is identical', () => {
    expect(JSON.stringify(collect(40, 7))).toBe(JSON.stringify(collect(40, 7)));
  });

  it('when the seed changes, then the output changes', () => {
    expect(JSON.stringify(collect(40, 7))).not.toBe(JSON.stringify(collect(40, 8)));
  });

  it('when the options are invalid, then generation refuses them', () => {
    expect(() => collect(-1, 1)).toThrow(RangeError);
    expect(() => collect(1.5, 1)).toThrow(RangeError);
    expect(() => collect(1, 1, new Date('nope'))).toThrow(RangeError);
  });
});

describe('generateDemoData: identity and references', () => {
  it('when resources are generated, then every id is a valid FHIR id and unique within its type', () => {
    const seen = new Set<string>();
    for (const r of data) {
      expect(r.id ?? '').toMatch(FHIR_ID);
      const key = `${r.resourceType}/${r.id}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
  });

  it('when references are followed, then every one resolves to a generated resource', () => {
    const ids = new Set(data.map((r) => `${r.resourceType}/${r.id}`));
    const dangling = data.flatMap((r) => referencesIn(r, []).filter((ref) => !ids.has(ref)).map((ref) => `${r.resourceType}/${r.id} -> ${ref}`));
    expect(dangling).toEqual([]);
  });

  it('when references are literal, then they have the form Type/id', () => {
    for (const r of data) for (const ref of referencesIn(r, [])) expect(ref).toMatch(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/);
  });

  it('when the stream is read in order, then shared provider resources come before the members that reference them', () => {
    const firstPatient = data.findIndex((r) => r.resourceType === 'Patient');
    expect(firstPatient).toBeGreaterThan(0);
    expect(data.slice(0, firstPatient).every((r) => DIRECTORY_TYPES.has(r.resourceType))).toBe(true);
    expect(data.slice(firstPatient).some((r) => DIRECTORY_TYPES.has(r.resourceType))).toBe(false);
    // Attribution lists are the server's to build from this data (apis/provider-access), never generated.
    expect(data.some((r) => r.resourceType === 'Group')).toBe(false);
  });

  it('when about 150 members are generated, then there are about 30 resources per member', () => {
    const perMember = data.filter((r) => !DIRECTORY_TYPES.has(r.resourceType) && r.resourceType !== 'Group').length / 150;
    expect(perMember).toBeGreaterThan(20);
    expect(perMember).toBeLessThan(45);
  });
});

describe('generateDemoData: dates', () => {
  it('when claims and clinical data are dated, then no service date is before 2016-01-01', () => {
    const early: string[] = [];
    const check = (r: Resource, d: string | undefined): void => {
      if (d !== undefined && d < '2016-01-01') early.push(`${r.resourceType}/${r.id} ${d}`);
    };
    for (const r of data) {
      switch (r.resourceType) {
        case 'ExplanationOfBenefit':
          check(r, r.billablePeriod?.start);
          for (const i of r.item ?? []) check(r, i.servicedDate ?? i.servicedPeriod?.start);
          break;
        case 'Encounter':
          check(r, r.period?.start);
          break;
        case 'Observation':
        case 'DiagnosticReport':
          check(r, r.effectiveDateTime);
          break;
        case 'Procedure':
          check(r, r.performedDateTime);
          break;
        case 'Immunization':
          check(r, r.occurrenceDateTime);
          break;
        case 'ServiceRequest':
          check(r, r.occurrencePeriod?.start);
          break;
        case 'Claim':
          check(r, r.created);
          break;
      }
    }
    expect(early).toEqual([]);
  });

  it('when resources carry timestamps, then none is after the generation clock', () => {
    const now = NOW.toISOString();
    const late = data.filter((r) => (r.meta?.lastUpdated ?? '') > now || ('created' in r && typeof r.created === 'string' && r.created > now));
    expect(late.map((r) => `${r.resourceType}/${r.id}`)).toEqual([]);
  });
});

describe('generateDemoData: claims', () => {
  it('when claims are generated, then all five C4BB EOB types are present with their official profiles', () => {
    const eobs = claimsOf(data);
    const kinds = new Set(eobs.map(eobKind));
    expect([...kinds].sort()).toEqual(['institutional/inpatient', 'institutional/outpatient', 'oral', 'pharmacy', 'professional']);
    const profiles: Record<string, string> = {
      'institutional/inpatient': 'C4BB-ExplanationOfBenefit-Inpatient-Institutional',
      'institutional/outpatient': 'C4BB-ExplanationOfBenefit-Outpatient-Institutional',
      professional: 'C4BB-ExplanationOfBenefit-Professional-NonClinician',
      pharmacy: 'C4BB-ExplanationOfBenefit-Pharmacy',
      oral: 'C4BB-ExplanationOfBenefit-Oral',
    };
    for (const e of eobs) expect(e.meta?.profile).toContain(`http://hl7.org/fhir/us/carin-bb/StructureDefinition/${profiles[eobKind(e)]}`);
  });

  it('when claims are denied by edits 1200 and 1010, then each denial carries the CARC, the edit, a process note and a denied payment', () => {
    const denied = claimsOf(data).filter((e) => allAdjudications(e).some((a) => denialEditsIn(a.reason).length > 0));
    const codes = new Set(denied.flatMap((e) => allAdjudications(e).flatMap((a) => denialEditsIn(a.reason))));
    expect(codes).toEqual(new Set(['1200', '1010']));
    for (const e of denied) {
      const reason = allAdjudications(e).find((a) => a.category.coding?.[0]?.code === 'adjustmentreason')?.reason;
      expect(reason?.coding?.[0]?.system).toBe(CODE_SYSTEM.carc);
      expect(e.processNote?.[0]?.text).toMatch(/MassHealth EOB (1200|1010)/);
      expect(e.payment?.type?.coding?.[0]?.code).toBe('denied');
    }
  });

  it('when a 1200 denial is on a professional claim, then no referring provider is on the claim', () => {
    const denied1200 = claimsOf(data).filter(
      (e) => e.type.coding?.[0]?.code === 'professional' && allAdjudications(e).some((a) => denialEditsIn(a.reason).includes('1200')),
    );
    expect(denied1200.length).toBeGreaterThan(0);
    for (const e of denied1200) expect(e.careTeam?.some((c) => c.role?.coding?.[0]?.code === 'referring') ?? false).toBe(false);
  });

  it('when urgent care is billed, then professional claims use POS 20 and institutional claims admission type 2', () => {
    const eobs = claimsOf(data);
    expect(eobs.some((e) => e.item?.some((i) => i.locationCodeableConcept?.coding?.[0]?.code === '20'))).toBe(true);
    expect(eobs.some((e) => e.supportingInfo?.some((s) => s.category.coding?.[0]?.code === 'admtype' && s.code?.coding?.[0]?.code === '2'))).toBe(true);
  });

  it('when PCC/ACO members are referred, then referrals are ServiceRequests from the PCP and some are retroactive', () => {
    const referrals = ofType<ServiceRequest>(data, 'ServiceRequest');
    expect(referrals.length).toBeGreaterThan(0);
    for (const r of referrals) expect(r.category?.[0]?.coding?.[0]).toMatchObject({ system: CODE_SYSTEM.snomed, code: '3457005' });
    expect(referrals.some((r) => ext(r, PROGRAM_EXTENSION.referralRetroactive)?.valueBoolean === true)).toBe(true);
  });
});

describe('generateDemoData: prior authorizations', () => {
  const decision = (r: ClaimResponse): string | undefined => ext(r, PROGRAM_EXTENSION.paDecision)?.valueCode;

  it('when requests are decided, then approvals, denials, pends and withdrawals or cancellations all occur', () => {
    const decisions = new Set(ofType<ClaimResponse>(data, 'ClaimResponse').map(decision));
    for (const d of ['approved', 'denied', 'pended']) expect(decisions.has(d), d).toBe(true);
    expect(decisions.has('withdrawn') || decisions.has('cancelled')).toBe(true);
  });

  it('when a request is denied, then it carries a specific reason code and text', () => {
    const denied = ofType<ClaimResponse>(data, 'ClaimResponse').filter((r) => decision(r) === 'denied');
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) {
      const reason = r.item?.[0]?.adjudication?.[0]?.reason;
      expect(reason?.coding?.[0]?.code).toBeTruthy();
      expect(reason?.text).toBeTruthy();
      expect(r.disposition).toMatch(/^Denied: /);
    }
  });

  it('when a decision is made, then it is within 72 hours (expedited), 7 days (standard) or the extended timeframe', () => {
    for (const r of ofType<ClaimResponse>(data, 'ClaimResponse')) {
      if (ext(r, PROGRAM_EXTENSION.paAppealOf)) continue;
      const submitted = Date.parse(ext(r, PROGRAM_EXTENSION.paSubmittedAt)?.valueDateTime ?? '');
      const decided = ext(r, PROGRAM_EXTENSION.paDecidedAt)?.valueDateTime;
      if (!decided) continue;
      const hours = (Date.parse(decided) - submitted) / 3_600_000;
      const extended = ext(r, PROGRAM_EXTENSION.paTimeframeExtension) !== undefined;
      const limit = ext(r, PROGRAM_EXTENSION.paReviewPriority)?.valueCode === 'expedited' ? 72 : extended ? (7 + 14) * 24 : 7 * 24;
      expect(hours, r.id).toBeGreaterThan(0);
      expect(hours, r.id).toBeLessThanOrEqual(limit);
    }
  });

  it('when a pended request is still open, then it is within its timeframe at the generation clock', () => {
    const pended = ofType<ClaimResponse>(data, 'ClaimResponse').filter((r) => decision(r) === 'pended' && !ext(r, PROGRAM_EXTENSION.paAppealOf));
    for (const r of pended) expect(Date.parse(ext(r, PROGRAM_EXTENSION.paDueAt)?.valueDateTime ?? '')).toBeGreaterThan(NOW.getTime());
  });

  it('when requests are reviewed, then some were extended and some denials were appealed', () => {
    const responses = ofType<ClaimResponse>(data, 'ClaimResponse');
    expect(responses.some((r) => ext(r, PROGRAM_EXTENSION.paTimeframeExtension))).toBe(true);
    const appealed = responses.filter((r) => ext(r, PROGRAM_EXTENSION.paAppeal));
    expect(appealed.length).toBeGreaterThan(0);
    for (const r of appealed) expect(decision(r)).toBe('denied');
  });

  it('when a request is for prior authorization, then it is a PAS Claim with use preauthorization and stat or normal priority', () => {
    for (const c of data.filter((r) => r.resourceType === 'Claim')) {
      if (c.resourceType !== 'Claim') continue;
      expect(c.use).toBe('preauthorization');
      expect(['stat', 'normal']).toContain(c.priority.coding?.[0]?.code);
      expect(c.identifier?.[0]?.system).toBe(IDENTIFIER_SYSTEM.paTrackingNumber);
    }
  });
});

describe('generateDemoData: providers, attribution and consents', () => {
  it('when providers are generated, then NPIs pass the Luhn check and locations carry valid PID/SLs', () => {
    for (const p of ofType<Practitioner>(data, 'Practitioner')) {
      expect(isValidNpi(p.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value ?? '')).toBe(true);
    }
    for (const o of ofType<Organization>(data, 'Organization')) {
      const npi = o.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value;
      if (npi) expect(isValidNpi(npi)).toBe(true);
    }
    for (const l of ofType<Location>(data, 'Location')) expect(isValidPidSl(l.identifier?.[0]?.value ?? '')).toBe(true);
  });

  it('when members choose, then there are Provider Access opt-outs (deny) and Payer-to-Payer opt-ins (permit)', () => {
    const consents = ofType<Consent>(data, 'Consent');
    expect(consents.some((c) => c.provision?.type === 'deny' && c.meta?.profile?.[0]?.endsWith('pdex-provider-consent'))).toBe(true);
    expect(consents.some((c) => c.provision?.type === 'permit' && c.meta?.profile?.[0]?.endsWith('hrex-consent'))).toBe(true);
  });
});

describe('generateDemoData: scale', () => {
  it(
    'when 10,000 members are generated, then it takes well under a minute and yields about 300,000 resources',
    () => {
      const start = performance.now();
      let count = 0;
      for (const _ of generateDemoData({ members: 10_000, seed: 1, now: NOW })) count++;
      const seconds = (performance.now() - start) / 1000;
      expect(count).toBeGreaterThan(250_000);
      expect(count).toBeLessThan(400_000);
      expect(seconds).toBeLessThan(45);
    },
    120_000,
  );
});
