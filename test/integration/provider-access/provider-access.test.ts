/**
 * Provider Access end to end (CMS-0057-F 42 CFR 431.61; PDex Provider Access; Bulk Data 2.0) with real
 * provider backend clients (SMART Backend Services, keys made in the test): the organization's
 * attribution Group, the bulk export of it (kick-off, polling, manifest, download), the treatment
 * relationship and the opt-out, claims without remittances and cost-sharing, another organization's
 * client refused, per-member queries, `$davinci-data-export` and `$provider-member-match`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Claim, Coverage, ExplanationOfBenefit, Group, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import { paClaim, paClaimResponse, type PaRequestInput } from '../../../src/synthetic/prior-auth/pa-resources.js';
import { PA_SERVICES } from '../../../src/synthetic/tables/claim-codes.js';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { backendClientToken, registerBackendClient, type BackendClient } from '../../helpers/smart-login.js';

let srv: TestServer;

type Backend = BackendClient;
interface ListInfo {
  _id: string;
  organization: string;
  kind: string;
  members: number;
}
interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

let mine: ListInfo;
let theirs: ListInfo;
let clinic: Backend;
let other: Backend;
let members: string[];

const backend = (organization: string, name: string): Promise<Backend> => registerBackendClient(srv, { role: 'provider', organization, name });
const tokenOf = (b: Backend): Promise<string> => backendClientToken(srv, b);

const path = (url: string): string => url.slice(srv.url.length);

async function kickoff(target: string, token: string, body?: unknown): Promise<{ status: number; location?: string; body: unknown }> {
  const req = body ? authed(srv, token).post(`/fhir/${target}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body)) : authed(srv, token).get(`/fhir/${target}`);
  const res = await req.set('Prefer', 'respond-async').set('Accept', 'application/fhir+json');
  return { status: res.status, location: res.headers['content-location'] as string | undefined, body: res.body };
}

async function poll(location: string, token: string): Promise<Manifest> {
  for (let i = 0; i < 400; i++) {
    const res = await authed(srv, token).get(path(location));
    if (res.status === 200) return res.body as Manifest;
    expect(res.status).toBe(202);
    expect(res.headers['x-progress']).toBeDefined();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}

async function download(manifest: Manifest, token: string, check = true): Promise<Map<string, Resource[]>> {
  const out = new Map<string, Resource[]>();
  for (const o of manifest.output) {
    const res = await authed(srv, token).get(path(o.url)).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    const resources = (res.body as string).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Resource);
    if (check) expect(resources.length).toBe(o.count);
    for (const r of resources) expect(r.resourceType).toBe(o.type);
    out.set(o.type, [...(out.get(o.type) ?? []), ...resources]);
  }
  return out;
}

/** Every key anywhere in a value (to prove an element is absent at any depth). */
function keysDeep(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keysDeep(v, path));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [`${path}${k}`, ...keysDeep(v, `${path}${k}.`)]);
  return [];
}
const financial = (eob: unknown): string[] => keysDeep(eob).filter((k) => /^(total|payment|payee|benefitBalance)$/.test(k) || /adjudication\.amount$/.test(k) || /(^|\.)(net|unitPrice)$/.test(k));

async function staffSearch<T extends Resource>(query: string): Promise<T[]> {
  const res = await authed(srv).get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_count=1000`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as T);
}

const enrolledToday = async (patient: string): Promise<boolean> => {
  const today = new Date().toISOString().slice(0, 10);
  return (await staffSearch<Coverage>(`Coverage?beneficiary=Patient/${patient}`)).some((c) => c.status === 'active' && (c.period?.start ?? '') <= today && (c.period?.end === undefined || c.period.end >= today));
};

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '40', BULK_RETRY_AFTER_SECONDS: '1' });
  const lists = (await authed(srv).get('/admin/attribution/lists')).body as ListInfo[];
  const rosters = lists.filter((l) => l.kind === 'roster').sort((a, b) => b.members - a.members);
  mine = rosters[0];
  theirs = rosters[1];
  expect(mine.members).toBeGreaterThanOrEqual(3);
  clinic = await backend(mine.organization, 'Clinic EHR');
  other = await backend(theirs.organization, 'Other clinic EHR');
  const group = (await authed(srv).get(`/fhir/Group/${mine._id}`)).body as Group;
  members = (group.member ?? []).map((m) => (m.entity.reference ?? '').replace('Patient/', ''));
}, 180_000);

afterAll(async () => {
  await srv?.stop();
});

describe('attribution Groups', () => {
  it('when the provider reads its organization\'s Group, then it lists its attributed members with periods and ATR extensions; another organization\'s Group is not found', async () => {
    const token = await tokenOf(clinic);
    const res = await authed(srv, token).get(`/fhir/Group/${mine._id}`);
    expect(res.status).toBe(200);
    const group = res.body as Group;
    expect(group.meta?.profile).toContain('http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-group');
    expect(group.characteristic?.[0]?.valueReference?.reference).toBe(mine.organization);
    expect(group.quantity).toBe(mine.members);
    expect(group.member?.length).toBe(mine.members);
    for (const m of group.member ?? []) {
      expect(m.entity.reference).toMatch(/^Patient\//);
      expect(m.period?.start).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(m.extension?.some((e) => e.url.endsWith('ext-attributedProvider'))).toBe(true);
    }
    const search = (await authed(srv, token).get('/fhir/Group')).body as Bundle;
    expect((search.entry ?? []).map((e) => e.resource?.id)).toEqual([mine._id]);
    expect((await authed(srv, token).get(`/fhir/Group/${theirs._id}`)).status).toBe(404);
  });

  it('when staff remove and add back a member, then the Group follows and each change is an AuditEvent', async () => {
    const member = members[0];
    const removed = await authed(srv).delete(`/admin/attribution/lists/${mine._id}/members/${member}?reason=moved`);
    expect(removed.status).toBe(200);
    let group = (await authed(srv).get(`/fhir/Group/${mine._id}`)).body as Group;
    expect(group.member?.map((m) => m.entity.reference)).not.toContain(`Patient/${member}`);
    // A rebuild does not add a member staff removed.
    expect((await authed(srv).post('/admin/attribution/rebuild')).status).toBe(200);
    group = (await authed(srv).get(`/fhir/Group/${mine._id}`)).body as Group;
    expect(group.member?.map((m) => m.entity.reference)).not.toContain(`Patient/${member}`);
    const added = await authed(srv).post(`/admin/attribution/lists/${mine._id}/members`).send({ patient: member, reason: 'back' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    group = (await authed(srv).get(`/fhir/Group/${mine._id}`)).body as Group;
    expect(group.member?.map((m) => m.entity.reference)).toContain(`Patient/${member}`);
    const events = await staffSearch<Resource & { entity?: Array<{ what?: { reference?: string } }>; action?: string }>(`AuditEvent?entity=Group/${mine._id}`);
    const about = events.filter((e) => e.entity?.some((x) => x.what?.reference === `Patient/${member}`));
    expect(about.map((e) => e.action).sort()).toEqual(['D', 'U']);
  });
});

describe('Group/[id]/$export by a provider backend', () => {
  it('when the provider exports its Group, then every line parses, counts match, only eligible members are in it, opted-out members and remittance/cost-sharing elements are absent', async () => {
    const token = await tokenOf(clinic);
    // One member opts out before the export (through payer staff, on their behalf).
    const optedOut = members[1];
    expect((await authed(srv).put(`/admin/members/${optedOut}/provider-access`).send({ choice: 'out' })).body).toMatchObject({ choice: 'out' });
    try {
      const k = await kickoff(`Group/${mine._id}/$export?_type=Patient,Coverage,ExplanationOfBenefit,Condition,Consent`, token);
      // Consent is not Provider Access data: asking for it is refused.
      expect(k.status).toBe(400);
      const ok = await kickoff(`Group/${mine._id}/$export?_type=Patient,Coverage,ExplanationOfBenefit,Condition`, token);
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      const manifest = await poll(ok.location as string, token);
      expect(manifest.requiresAccessToken).toBe(true);
      expect(manifest.error).toEqual([]);
      const files = await download(manifest, token);
      const expected = new Set<string>();
      for (const m of members) if (m !== optedOut && (await enrolledToday(m))) expected.add(m);
      expect(expected.size).toBeGreaterThan(0);
      expect(new Set((files.get('Patient') ?? []).map((p) => p.id))).toEqual(expected);
      const eobs = (files.get('ExplanationOfBenefit') ?? []) as ExplanationOfBenefit[];
      expect(eobs.length).toBeGreaterThan(0);
      for (const e of eobs) {
        expect(expected.has((e.patient?.reference ?? '').replace('Patient/', ''))).toBe(true);
        expect(financial(e), e.id).toEqual([]);
        expect(e.use === 'preauthorization' && e.type?.coding?.some((c) => c.code === 'pharmacy')).toBe(false);
      }
      // The staff view of the same claims does carry amounts: the provider file was stripped.
      const staffEob = (await authed(srv).get(`/fhir/ExplanationOfBenefit/${eobs.find((e) => e.use === 'claim')?.id}`)).body as ExplanationOfBenefit;
      expect(financial(staffEob).length).toBeGreaterThan(0);
      for (const [type, list] of files) for (const r of list) expect(JSON.stringify(r), type).not.toContain(`Patient/${optedOut}"`);
      // The disclosure is recorded: an AuditEvent names the exported members and the client.
      const jobId = (ok.location as string).split('/').pop() as string;
      const [exported] = [...expected];
      const audit = (await staffSearch<Resource & { outcomeDesc?: string; agent?: Array<{ who?: { identifier?: { value?: string } } }> }>(`AuditEvent?entity=Patient/${exported}`)).filter((e) => e.outcomeDesc?.includes(jobId));
      expect(audit.length).toBe(1);
      expect(audit[0].agent?.[0]?.who?.identifier?.value).toBe(clinic.clientId);
      expect((await staffSearch<Resource & { outcomeDesc?: string }>(`AuditEvent?entity=Patient/${optedOut}`)).some((e) => e.outcomeDesc?.includes(jobId))).toBe(false);
    } finally {
      await authed(srv).put(`/admin/members/${optedOut}/provider-access`).send({ choice: 'in' });
    }
  });

  it('when a member opts out after the files were written, then a later download leaves their lines out', async () => {
    const token = await tokenOf(clinic);
    const ok = await kickoff(`Group/${mine._id}/$export?_type=Patient,ExplanationOfBenefit`, token);
    const manifest = await poll(ok.location as string, token);
    const before = await download(manifest, token);
    const target = (before.get('Patient') ?? [])[0]?.id as string;
    expect(target).toBeDefined();
    expect((before.get('ExplanationOfBenefit') ?? []).some((e) => (e as ExplanationOfBenefit).patient?.reference === `Patient/${target}`)).toBe(true);
    expect((await authed(srv).put(`/admin/members/${target}/provider-access`).send({ choice: 'out' })).status).toBe(200);
    try {
      const after = await download(manifest, token, false);
      expect((after.get('Patient') ?? []).map((p) => p.id)).not.toContain(target);
      expect((after.get('ExplanationOfBenefit') ?? []).some((e) => (e as ExplanationOfBenefit).patient?.reference === `Patient/${target}`)).toBe(false);
      expect((after.get('Patient') ?? []).length).toBe((before.get('Patient') ?? []).length - 1);
      // The manifest no longer promises a count for the files that now drop lines (count is optional).
      const again = await poll(ok.location as string, token);
      expect(again.output.map((o) => o.url)).toEqual(manifest.output.map((o) => o.url));
      expect(again.output.find((o) => o.type === 'Patient')?.count).toBeUndefined();
      expect(again.output.find((o) => o.type === 'ExplanationOfBenefit')?.count).toBeUndefined();
    } finally {
      await authed(srv).put(`/admin/members/${target}/provider-access`).send({ choice: 'in' });
    }
  });

  it('when another organization\'s client kicks off an export of this Group, then 403; an unknown Group is 404', async () => {
    const token = await tokenOf(other);
    const res = await kickoff(`Group/${mine._id}/$export`, token);
    expect(res.status).toBe(403);
    expect((res.body as Resource).resourceType).toBe('OperationOutcome');
    expect((await kickoff('Group/no-such-group/$export', token)).status).toBe(404);
  });
});

describe('$davinci-data-export', () => {
  it('when exportType is missing, unknown, or provider-delta without _since, then 400; provider-download exports the Group', async () => {
    const token = await tokenOf(clinic);
    const params = (exportType?: string, since?: string): Parameters => ({
      resourceType: 'Parameters',
      parameter: [
        ...(exportType ? [{ name: 'exportType', valueCanonical: exportType }] : []),
        ...(since ? [{ name: '_since', valueInstant: since }] : []),
        { name: '_type', valueString: 'Patient' },
      ],
    });
    expect((await kickoff(`Group/${mine._id}/$davinci-data-export`, token, params())).status).toBe(400);
    expect((await kickoff(`Group/${mine._id}/$davinci-data-export`, token, params('hl7.fhir.us.davinci-pdex#payertopayer'))).status).toBe(400);
    expect((await kickoff(`Group/${mine._id}/$davinci-data-export`, token, params('hl7.fhir.us.davinci-pdex#provider-delta'))).status).toBe(400);
    const ok = await kickoff(`Group/${mine._id}/$davinci-data-export`, token, params('hl7.fhir.us.davinci-pdex#provider-download'));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    const manifest = await poll(ok.location as string, token);
    expect(manifest.request).toBe(`${srv.baseUrl}/Group/${mine._id}/$davinci-data-export`);
    const files = await download(manifest, token);
    expect((files.get('Patient') ?? []).length).toBeGreaterThan(0);
    const delta = await kickoff(`Group/${mine._id}/$davinci-data-export`, token, params('hl7.fhir.us.davinci-pdex#provider-delta', new Date(Date.now() + 60_000).toISOString()));
    expect(delta.status).toBe(202);
    expect((await poll(delta.location as string, token)).output).toEqual([]);
  });
});

describe('per-member queries', () => {
  it('when the provider asks for an attributed member, then $everything and searches answer without amounts; for a member not attributed, or opted out, 403', async () => {
    const token = await tokenOf(clinic);
    let member: string | undefined;
    for (const m of members) if (await enrolledToday(m)) member = m;
    expect(member).toBeDefined();
    const everything = await authed(srv, token).get(`/fhir/Patient/${member}/$everything?_count=500`);
    expect(everything.status).toBe(200);
    const resources = ((everything.body as Bundle).entry ?? []).map((e) => e.resource as Resource);
    expect(resources.some((r) => r.resourceType === 'ExplanationOfBenefit')).toBe(true);
    for (const r of resources) if (r.resourceType === 'ExplanationOfBenefit') expect(financial(r)).toEqual([]);
    expect(resources.some((r) => r.resourceType === 'Consent')).toBe(false);
    const search = await authed(srv, token).get(`/fhir/ExplanationOfBenefit?patient=${member}`);
    expect(search.status).toBe(200);
    for (const e of (search.body as Bundle).entry ?? []) expect(financial(e.resource)).toEqual([]);

    const all = await staffSearch<Patient>('Patient');
    const stranger = all.map((p) => p.id as string).find((id) => !members.includes(id));
    expect((await authed(srv, token).get(`/fhir/Patient/${stranger}/$everything`)).status).toBe(403);
    expect((await authed(srv, token).get(`/fhir/Observation?patient=${stranger}`)).status).toBe(403);
    // Two members in one request: refused.
    expect((await authed(srv, token).get(`/fhir/Observation?patient=${member},${stranger}`)).status).toBe(403);
    // Nothing named: clinical data is not reachable.
    expect((await authed(srv, token).get('/fhir/Observation')).status).toBe(403);
    // Writes are never allowed.
    expect((await authed(srv, token).post('/fhir/Observation').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${member}` } })).status).toBe(403);

    expect((await authed(srv).put(`/admin/members/${member}/provider-access`).send({ choice: 'out' })).status).toBe(200);
    try {
      expect((await authed(srv, token).get(`/fhir/Patient/${member}/$everything`)).status).toBe(403);
    } finally {
      await authed(srv).put(`/admin/members/${member}/provider-access`).send({ choice: 'in' });
    }
    expect((await authed(srv, token).get(`/fhir/Patient/${member}`)).status).toBe(200);
  });
});

describe('Group/$provider-member-match', () => {
  it('when the provider sends its patients, then attributed members match into a Group it can export, strangers do not match, and an opted-out member is consent-constrained', async () => {
    const token = await tokenOf(clinic);
    const enrolled: string[] = [];
    for (const m of members) if (await enrolledToday(m)) enrolled.push(m);
    expect(enrolled.length).toBeGreaterThanOrEqual(2);
    const [matchMe, optOut] = enrolled;
    const patientOf = async (id: string): Promise<Patient> => (await authed(srv).get(`/fhir/Patient/${id}`)).body as Patient;
    const demographics = (p: Patient): Patient => ({ resourceType: 'Patient', id: 'local-1', name: [{ family: p.name?.[0]?.family?.toUpperCase(), given: p.name?.[0]?.given }], birthDate: p.birthDate, gender: p.gender });
    const attestation = {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '64292-6' }] }],
      dateTime: new Date().toISOString(),
      performer: [{ identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' } }],
      provision: { type: 'permit' },
    };
    const bundle = (p: Patient) => ({
      name: 'MemberBundle',
      part: [
        { name: 'MemberPatient', resource: p },
        { name: 'CoverageToMatch', resource: { resourceType: 'Coverage', status: 'active', beneficiary: { reference: '#p' }, payor: [{ display: 'MassHealth' }] } },
        { name: 'Consent', resource: attestation },
      ],
    });
    const stranger: Patient = { resourceType: 'Patient', name: [{ family: 'Nobody', given: ['No'] }], birthDate: '1901-01-01', gender: 'female' };
    expect((await authed(srv).put(`/admin/members/${optOut}/provider-access`).send({ choice: 'out' })).status).toBe(200);
    try {
      const body = { resourceType: 'Parameters', parameter: [bundle(demographics(await patientOf(matchMe))), bundle(stranger), bundle(demographics(await patientOf(optOut)))] };
      const res = await authed(srv, token).post('/fhir/Group/$provider-member-match').set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const out = res.body as Parameters;
      const group = (name: string) => out.parameter?.find((p) => p.name === name)?.resource as Group | undefined;
      const matched = group('MatchedMembers') as Group;
      expect(matched.member?.map((m) => m.entity.reference)).toEqual([`Patient/${matchMe}`]);
      expect(group('NonMatchedMembers')?.member?.length).toBe(1);
      expect(group('ConsentConstrainedMembers')?.member?.length).toBe(1);
      // The matched Group is readable and exportable by the same provider.
      const read = (await authed(srv, token).get(`/fhir/Group/${matched.id}`)).body as Group;
      expect(read.member?.map((m) => m.entity.reference)).toEqual([`Patient/${matchMe}`]);
      const k = await kickoff(`Group/${matched.id}/$davinci-data-export`, token, { resourceType: 'Parameters', parameter: [{ name: 'exportType', valueCanonical: 'hl7.fhir.us.davinci-pdex#provider-download' }, { name: '_type', valueString: 'Patient' }] });
      expect(k.status).toBe(202);
      const files = await download(await poll(k.location as string, token), token);
      expect((files.get('Patient') ?? []).map((p) => p.id)).toEqual([matchMe]);
      // Another organization cannot export it.
      expect((await kickoff(`Group/${matched.id}/$export`, await tokenOf(other))).status).toBe(403);
    } finally {
      await authed(srv).put(`/admin/members/${optOut}/provider-access`).send({ choice: 'in' });
    }
  });

  it('when the request is malformed, then 400 or 422 with an OperationOutcome; payer staff tokens may not call it', async () => {
    const token = await tokenOf(clinic);
    const bad = await authed(srv, token).post('/fhir/Group/$provider-member-match').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'MemberBundle', part: [] }] }));
    expect([400, 422]).toContain(bad.status);
    expect((bad.body as Resource).resourceType).toBe('OperationOutcome');
    expect((await authed(srv).post('/fhir/Group/$provider-member-match').set('Content-Type', 'application/fhir+json').send('{"resourceType":"Parameters"}')).status).toBe(403);
  });
});

describe('prior authorizations', () => {
  const NDC = { system: 'http://hl7.org/fhir/sid/ndc', code: '0002-8215-01' };
  const RXNORM = { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1049502' };
  const CPT = { system: 'http://www.ama-assn.org/go/cpt', code: '97110' };

  /** A PA request (PAS Claim + ClaimResponse, as the PA process stores them) of this claim type and these item codes; the server derives the member's PDex view `pa-<id>-r`. */
  async function submitPa(id: string, patient: string, claimType: string, codes: Array<{ system: string; code: string }>): Promise<void> {
    const cov = (await staffSearch<Coverage>(`Coverage?beneficiary=Patient/${patient}`))[0];
    const payerId = (cov.payor[0].reference as string).split('/')[1];
    const requesterId = (await staffSearch<Resource>('Organization?_count=50')).map((o) => o.id as string).find((o) => o !== payerId) as string;
    const submittedMs = Date.now() - 86_400_000;
    const input: PaRequestInput = {
      id,
      trackingNumber: `T-${id}`,
      patientId: patient,
      payerId,
      requesterOrgId: requesterId,
      coverageId: cov.id as string,
      service: PA_SERVICES.find((x) => x.label === 'physical-therapy') as PaRequestInput['service'],
      timeline: { priority: 'standard', submittedMs, dueMs: submittedMs + 7 * 86_400_000, requestedQuantity: 1, requestedStart: new Date().toISOString().slice(0, 10), requestedEnd: new Date().toISOString().slice(0, 10), decision: 'pended' },
    };
    const claim = paClaim(input);
    const response = paClaimResponse({ ...input, responseId: `${id}-r`, paNumber: `PA${id}` });
    const type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: claimType }] };
    claim.type = type;
    response.type = type;
    const first = claim.item?.[0] as NonNullable<Claim['item']>[number];
    claim.item = codes.map((c, i) => ({ ...first, sequence: i + 1, productOrService: { coding: [c] } }));
    const entry = [claim, response].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
    const res = await authed(srv).post('/fhir').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  it('when an attributed member has drug and non-drug prior authorizations, then searches, $everything and the export release only the non-drug ones', async () => {
    let member: string | undefined;
    for (const m of members) if (!member && (await enrolledToday(m))) member = m;
    expect(member).toBeDefined();
    await submitPa('pat-pharmacy', member as string, 'pharmacy', [NDC]);
    await submitPa('pat-all-drugs', member as string, 'professional', [NDC, RXNORM]);
    await submitPa('pat-mixed', member as string, 'professional', [NDC, CPT]);
    await submitPa('pat-therapy', member as string, 'professional', [CPT]);
    const ours = (rs: Resource[]) => rs.filter((r) => r.resourceType === 'ExplanationOfBenefit' && r.id?.startsWith('pa-pat-')).map((r) => r.id as string).sort();
    const entries = (bundle: unknown) => ((bundle as Bundle).entry ?? []).map((e) => e.resource as Resource);
    // Staff see all four; the program parameter tells the drug PAs apart.
    expect(ours(await staffSearch<ExplanationOfBenefit>(`ExplanationOfBenefit?patient=${member}&use=preauthorization`))).toEqual(['pa-pat-all-drugs-r', 'pa-pat-mixed-r', 'pa-pat-pharmacy-r', 'pa-pat-therapy-r']);
    expect(ours(await staffSearch<ExplanationOfBenefit>(`ExplanationOfBenefit?patient=${member}&drug-prior-auth=true`))).toEqual(['pa-pat-all-drugs-r', 'pa-pat-pharmacy-r']);

    const token = await tokenOf(clinic);
    const released = ['pa-pat-mixed-r', 'pa-pat-therapy-r'];
    const search = await authed(srv, token).get(`/fhir/ExplanationOfBenefit?patient=${member}&use=preauthorization`);
    expect(search.status).toBe(200);
    expect(ours(entries(search.body))).toEqual(released);
    const everything = await authed(srv, token).get(`/fhir/Patient/${member}/$everything?_count=1000`);
    expect(ours(entries(everything.body))).toEqual(released);
    // Asked for by id, within the member, a drug PA is simply not there.
    const byId = await authed(srv, token).get(`/fhir/ExplanationOfBenefit?patient=${member}&_id=pa-pat-pharmacy-r,pa-pat-all-drugs-r,pa-pat-therapy-r`);
    expect(ours(entries(byId.body))).toEqual(['pa-pat-therapy-r']);

    const k = await kickoff(`Group/${mine._id}/$export?_type=ExplanationOfBenefit`, token);
    expect(k.status).toBe(202);
    const files = await download(await poll(k.location as string, token), token);
    expect(ours(files.get('ExplanationOfBenefit') ?? [])).toEqual(released);
  });
});

describe('CapabilityStatement', () => {
  it('when /metadata is read, then Group declares $export, $davinci-data-export and $provider-member-match, and Patient $export (and the Payer-to-Payer $member-match)', async () => {
    const cs = (await authed(srv).get('/fhir/metadata')).body as { rest: Array<{ resource: Array<{ type: string; operation?: Array<{ name: string; definition: string }> }> }> };
    const ops = (type: string) => (cs.rest[0].resource.find((r) => r.type === type)?.operation ?? []).map((o) => o.name).sort();
    expect(ops('Group')).toEqual(['bulk-member-match', 'davinci-data-export', 'export', 'provider-member-match']);
    expect(ops('Patient')).toEqual(['everything', 'export', 'member-match']);
  });
});
