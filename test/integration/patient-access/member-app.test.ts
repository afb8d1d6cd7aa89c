/**
 * The Patient Access API as a member's app sees it (issue 4, "Proven by tests"): with tokens from real
 * SMART standalone launches of the demo members, claims of all five C4BB kinds, Coverage, US Core
 * clinical data with the required search combinations, _include, paging to the end, nothing dated
 * before 2016, nothing of another member, and every release recorded for the usage metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Bundle, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { demoMemberToken } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

const C4BB = 'http://hl7.org/fhir/us/carin-bb/StructureDefinition/';
const EOB_KINDS = ['Inpatient-Institutional', 'Outpatient-Institutional', 'Professional-NonClinician', 'Pharmacy', 'Oral'].map((k) => `${C4BB}C4BB-ExplanationOfBenefit-${k}`);
const CLINICAL = ['AllergyIntolerance', 'Condition', 'Encounter', 'Immunization', 'Observation', 'Procedure', 'MedicationRequest', 'DiagnosticReport', 'DocumentReference', 'CarePlan', 'Goal', 'Provenance'];
const RELEASE_TAG = 'https://masshealth.example.org/fhir/CodeSystem/disclosure|patient-access-release';
const FHIR_JSON = 'application/fhir+json';

let srv: TestServer;
let demo: DemoLogins;
const tokens = new Map<string, string>();

/** Every resource of a search, following next links to the end (and checking the links stay on this server). */
async function all(path: string, token: string): Promise<{ resources: Resource[]; pages: number; total?: number }> {
  const resources: Resource[] = [];
  let next: string | undefined = `/fhir/${path}`;
  let pages = 0;
  let total: number | undefined;
  while (next && pages < 200) {
    const res = await authed(srv, token).get(next);
    expect(res.status, next).toBe(200);
    const bundle = res.body as Bundle;
    if (pages === 0) total = bundle.total;
    pages++;
    resources.push(...(bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as Resource));
    const link = bundle.link?.find((l) => l.relation === 'next')?.url;
    if (link) expect(link.startsWith(srv.baseUrl)).toBe(true);
    next = link?.slice(srv.url.length);
  }
  return { resources, pages, total };
}

const refsTo = (r: Resource): string[] => JSON.stringify(r).match(/Patient\/[A-Za-z0-9\-.]+/g) ?? [];

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12' });
  demo = srv.demo as DemoLogins;
  for (const m of demo.members) tokens.set(m.patient, await demoMemberToken(srv, demo, m));
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

describe('a member app reading claims, coverage and clinical data', () => {
  it('when each demo member pages through their ExplanationOfBenefits, then all five C4BB kinds appear across them, each claim is the member\'s own, and paging ends with the total', async () => {
    const kinds = new Set<string>();
    for (const [patient, token] of tokens) {
      const { resources, pages, total } = await all(`ExplanationOfBenefit?patient=${patient}&_count=4`, token);
      expect(resources.length).toBe(total);
      expect(new Set(resources.map((r) => r.id)).size).toBe(resources.length);
      if (resources.length > 4) expect(pages).toBeGreaterThan(1);
      for (const r of resources) {
        expect(new Set(refsTo(r))).toEqual(new Set([`Patient/${patient}`]));
        for (const p of r.meta?.profile ?? []) kinds.add(p);
      }
    }
    for (const k of EOB_KINDS) expect(kinds).toContain(k);
  });

  it('when a member searches Coverage by patient and _lastUpdated, then only their C4BB Coverage comes back', async () => {
    const [patient, token] = [...tokens][0];
    const { resources } = await all(`Coverage?patient=${patient}&_lastUpdated=ge2016-01-01`, token);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      expect(r.meta?.profile).toContain(`${C4BB}C4BB-Coverage`);
      expect(refsTo(r)).toContain(`Patient/${patient}`);
    }
  });

  it('when the members search every US Core clinical type, then each gets exactly what staff see of theirs (within the window), and the data covers every type', async () => {
    const covered = new Set<string>();
    for (const type of CLINICAL) {
      const staffAll = (await all(`${type}?_count=500`, srv.adminToken)).resources;
      if (staffAll.length > 0) covered.add(type);
      for (const [patient, token] of tokens) {
        // Provenance is reached through what it targets (it inherits their compartments), not by a patient parameter.
        const own = type === 'Provenance' ? '_count=500' : `patient=${patient}&_count=500`;
        const mine = (await all(`${type}?${own}`, token)).resources.map((r) => r.id).sort();
        const staffView = type === 'Provenance' ? (await all(`Provenance?_count=500`, srv.adminToken)).resources.filter((p) => JSON.stringify(p).includes('"reference"')) : (await all(`${type}?patient=${patient}&_count=500`, srv.adminToken)).resources;
        if (type !== 'Provenance') expect(mine, `${type} of ${patient}`).toEqual(staffView.map((r) => r.id).sort());
        else for (const id of mine) expect(staffView.map((r) => r.id)).toContain(id);
      }
    }
    expect([...covered].sort()).toEqual([...CLINICAL].sort());
  });

  it('when a member searches their Observations with _revinclude=Provenance:target, then the provenance of their own data comes back and nobody else\'s', async () => {
    let withProvenance = 0;
    for (const [patient, token] of tokens) {
      const res = await authed(srv, token).get(`/fhir/Observation?patient=${patient}&_revinclude=Provenance:target&_count=200`);
      expect(res.status).toBe(200);
      const entries = (res.body as Bundle).entry ?? [];
      const own = new Set(entries.filter((e) => e.search?.mode === 'match').map((e) => `Observation/${e.resource?.id}`));
      const provenance = entries.filter((e) => e.resource?.resourceType === 'Provenance').map((e) => e.resource as { target: Array<{ reference?: string }> });
      if (provenance.length > 0) withProvenance++;
      for (const p of provenance) expect(p.target.some((t) => own.has(t.reference ?? '') || t.reference === `Patient/${patient}`)).toBe(true);
    }
    expect(withProvenance).toBeGreaterThan(0);
  });

  it('when a member uses the US Core search combinations, then each narrows to what it names', async () => {
    const [patient, token] = [...tokens].find(([p]) => p) as [string, string];
    const labs = (await all(`Observation?patient=${patient}&category=laboratory`, token)).resources;
    for (const o of labs) expect(JSON.stringify((o as { category?: unknown }).category)).toContain('laboratory');
    const everything = (await all(`Observation?patient=${patient}`, token)).resources;
    expect(labs.length).toBeLessThanOrEqual(everything.length);
    const code = (everything[0] as { code?: { coding?: Array<{ system?: string; code?: string }> } } | undefined)?.code?.coding?.[0];
    if (code) {
      const byCode = (await all(`Observation?patient=${patient}&code=${encodeURIComponent(`${code.system}|${code.code}`)}`, token)).resources;
      expect(byCode.length).toBeGreaterThan(0);
      for (const o of byCode) expect(JSON.stringify(o)).toContain(`"${code.code}"`);
    }
    const recent = (await all(`Encounter?patient=${patient}&date=ge2024-01-01`, token)).resources;
    const allEncounters = (await all(`Encounter?patient=${patient}`, token)).resources;
    expect(recent.length).toBeLessThanOrEqual(allEncounters.length);
    for (const e of recent) expect(String((e as { period?: { end?: string; start?: string } }).period?.end ?? (e as { period?: { start?: string } }).period?.start) >= '2024-01-01').toBe(true);
    const active = (await all(`Condition?patient=${patient}&clinical-status=active`, token)).resources;
    for (const c of active) expect(JSON.stringify((c as { clinicalStatus?: unknown }).clinicalStatus)).toContain('active');
  });

  it('when a member asks for another member\'s claims by any route, then nothing comes back', async () => {
    const [[a, tokenA], [b]] = [...tokens];
    expect(a).not.toBe(b);
    expect((await all(`ExplanationOfBenefit?patient=${b}`, tokenA)).resources).toEqual([]);
    expect((await authed(srv, tokenA).get(`/fhir/Patient/${b}/$everything`)).status).toBe(404);
  });
});

describe('Patient/$everything parameters', () => {
  it('when start/end, _since and _type narrow $everything, then only what they name comes back; bad parameters are 400 OperationOutcomes', async () => {
    const [patient, token] = [...tokens][0];
    const base = (await all(`Patient/${patient}/$everything?_count=50`, token)).resources;
    expect(base.length).toBeGreaterThan(10);
    const eobs = (await all(`Patient/${patient}/$everything?_type=ExplanationOfBenefit&start=2025-01-01&end=2025-12-31&_count=50`, token)).resources as Array<Resource & { billablePeriod?: { start?: string; end?: string }; item?: Array<{ servicedDate?: string }> }>;
    for (const e of eobs) {
      expect(e.resourceType).toBe('ExplanationOfBenefit');
      const dates = [e.billablePeriod?.start, e.billablePeriod?.end, ...(e.item ?? []).map((i) => i.servicedDate)].filter((d): d is string => d !== undefined);
      expect(dates.some((d) => d >= '2025-01-01' && d <= '2025-12-31T23:59:59Z')).toBe(true);
    }
    const future = (await all(`Patient/${patient}/$everything?_since=2099-01-01T00:00:00Z`, token)).resources;
    expect(future).toEqual([]);
    for (const bad of ['_since=yesterday', '_type=Nonsense', 'frobnicate=1', '_cursor=%7B%7D', '_count=0']) {
      const res = await authed(srv, token).get(`/fhir/Patient/${patient}/$everything?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('when staff call $everything for a member on a Group, then the Group (a list of other members) and the audit trail are left out', async () => {
    // Attribution lists keep their members outside the Group resource; a Group that lists members itself
    // (e.g. a care-management cohort) is in their compartment, and still not part of their record.
    const patient = [...tokens.keys()][0];
    const cohort = { resourceType: 'Group', id: 'cohort-everything-test', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${patient}` } }] };
    expect((await authed(srv).put('/fhir/Group/cohort-everything-test').set('Content-Type', 'application/fhir+json').send(cohort)).status).toBeLessThan(300);
    const staff = await all(`Patient/${patient}/$everything?_count=100`, srv.adminToken);
    expect(staff.resources.length).toBeGreaterThan(10);
    expect(staff.resources.filter((r) => r.resourceType === 'Group' || r.resourceType === 'AuditEvent')).toEqual([]);
    expect((await all(`Patient/${patient}/$everything?_type=Group,AuditEvent`, srv.adminToken)).resources).toEqual([]);
    // Searches still find them for staff: the $everything above was itself audited.
    expect(((await authed(srv).get(`/fhir/Group?member=Patient/${patient}`)).body as Bundle).total).toBeGreaterThan(0);
    expect(((await authed(srv).get(`/fhir/AuditEvent?patient=Patient/${patient}`)).body as Bundle).total).toBeGreaterThan(0);
  });
});

describe('the 2016-01-01 floor', () => {
  const old = (patient: string) => [
    { resourceType: 'ExplanationOfBenefit', status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] }, use: 'claim', patient: { reference: `Patient/${patient}` }, created: '2015-07-01', insurer: { display: 'MassHealth' }, provider: { display: 'Old clinic' }, outcome: 'complete', insurance: [{ focal: true, coverage: { display: 'old' } }], billablePeriod: { start: '2015-06-01', end: '2015-06-01' }, item: [{ sequence: 1, productOrService: { text: 'visit' }, servicedDate: '2015-06-01' }] },
    { resourceType: 'Observation', status: 'final', code: { text: 'old weight' }, subject: { reference: `Patient/${patient}` }, effectiveDateTime: '2015-03-02T10:00:00Z', valueQuantity: { value: 70, unit: 'kg' } },
    { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${patient}` }, period: { start: '2015-11-30T09:00:00Z', end: '2015-11-30T10:00:00Z' } },
  ];

  it('when records dated before 2016 exist for a member, then their app never gets them (read, search, $everything) while staff do', async () => {
    const [patient, token] = [...tokens][1];
    const ids: string[] = [];
    for (const r of old(patient)) {
      const res = await authed(srv).post(`/fhir/${r.resourceType}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(r));
      expect(res.status).toBe(201);
      ids.push(`${r.resourceType}/${res.body.id}`);
    }
    for (const key of ids) {
      expect((await authed(srv, token).get(`/fhir/${key}`)).status).toBe(404);
      expect((await authed(srv).get(`/fhir/${key}`)).status).toBe(200);
      const [type, id] = key.split('/');
      expect(((await authed(srv, token).get(`/fhir/${type}?_id=${id}`)).body as Bundle).total).toBe(0);
    }
    const everything = await all(`Patient/${patient}/$everything?_count=100`, token);
    const got = new Set(everything.resources.map((r) => `${r.resourceType}/${r.id}`));
    for (const key of ids) expect(got.has(key)).toBe(false);
    expect(got.has(`Patient/${patient}`)).toBe(true);
    const staff = await all(`Patient/${patient}/$everything?_count=100`, srv.adminToken);
    const staffGot = new Set(staff.resources.map((r) => `${r.resourceType}/${r.id}`));
    for (const key of ids) expect(staffGot.has(key)).toBe(true);
  });
});

describe('release records for the usage metrics', () => {
  it('when a member\'s app has read their data, then AuditEvents tagged as Patient Access releases name the member and the app; staff reads are not tagged', async () => {
    const [patient, token] = [...tokens][2];
    expect((await authed(srv, token).get(`/fhir/Patient/${patient}`)).status).toBe(200);
    expect((await authed(srv).get(`/fhir/Patient/${patient}`)).status).toBe(200);
    const res = await authed(srv).get(`/fhir/AuditEvent?_tag=${encodeURIComponent(RELEASE_TAG)}&patient=Patient/${patient}&_count=200`);
    const events = ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e.outcome).toBe('0');
      expect(e.entity?.some((x) => x.what?.reference === `Patient/${patient}`)).toBe(true);
      expect(e.agent?.some((a) => a.who?.identifier?.value === demo.patientApp.client_id)).toBe(true);
      expect(e.purposeOfEvent?.[0]?.coding?.[0]?.code).toBe('PATRQT');
    }
    const untagged = await authed(srv).get(`/fhir/AuditEvent?patient=Patient/${patient}&_count=500`);
    const staffEvents = ((untagged.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => !e.agent?.some((a) => a.who?.identifier?.value === demo.patientApp.client_id));
    expect(staffEvents.length).toBeGreaterThan(0);
    for (const e of staffEvents) expect(e.meta?.tag ?? []).toEqual([]);
  });
});
