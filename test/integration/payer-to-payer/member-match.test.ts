/**
 * `Patient/$member-match` (HRex) answered to another payer's backend client (SMART Backend Services,
 * role payer, keys made here), through the real server: the official HRex example, a match with the
 * member's Consent followed by that payer's reads of the member (claims without amounts), and each
 * refusal as a 422 OperationOutcome: no match, several, a Consent that cannot be complied with, none.
 * Every decision is recorded with its scores for staff.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Consent, Coverage, ExplanationOfBenefit, Group, Organization, OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { FHIR_JSON } from '../../helpers/fhir-json.js';
import { backendClientToken, registerBackendClient, type BackendClient } from '../../helpers/smart-login.js';
import { IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';
import { paClaim, paClaimResponse, type PaRequestInput } from '../../../src/synthetic/prior-auth/pa-resources.js';
import { PA_SERVICES } from '../../../src/synthetic/tables/claim-codes.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ig-examples');
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const OUR_NPI = '9876543210';
const THEIR_NPI = '0123456789';

let srv: TestServer;
let payer: BackendClient;
let other: BackendClient;
/** The Group the official $bulk-member-match example produced (exported below). */
let matchedGroupId: string;

const example = (): Parameters => JSON.parse(readFileSync(join(FIXTURES, 'davinci-hrex/Parameters-member-match-in.json'), 'utf8')) as Parameters;
const part = <T>(p: Parameters, name: string): T => (p.parameter ?? []).find((x) => x.name === name)?.resource as T;
const today = (): string => new Date().toISOString().slice(0, 10);
const inDays = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/** The official example with only its Consent period moved around today (the published one ended 2022-01-31). */
function current(p = example()): Parameters {
  const consent = part<Consent>(p, 'Consent');
  (consent.provision as NonNullable<Consent['provision']>).period = { start: inDays(-1), end: inDays(365) };
  return p;
}

async function put(resource: { resourceType: string; id?: string }): Promise<void> {
  const res = await authed(srv).put(`/fhir/${resource.resourceType}/${resource.id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(resource));
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

const payerClient = (organization: string, name: string): Promise<BackendClient> => registerBackendClient(srv, { role: 'payer', organization, name });
const tokenOf = (c: BackendClient): Promise<string> => backendClientToken(srv, c);

const memberMatch = async (token: string, body: unknown) => authed(srv, token).post('/fhir/Patient/$member-match').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '6' });
  // Our payer and the requesting payer, as the Consent's actors name them (by NPI).
  const ours = (await authed(srv).get('/fhir/Organization/org-masshealth')).body as Organization;
  await put({ ...ours, identifier: [...(ours.identifier ?? []), { system: NPI, value: OUR_NPI }] } as Organization);
  await put({ resourceType: 'Organization', id: 'new-health-plan', name: 'New Health Plan', identifier: [{ system: NPI, value: THEIR_NPI }] } as Organization);
  await put({ resourceType: 'Organization', id: 'third-plan', name: 'Third Plan', identifier: [{ system: NPI, value: '1111111112' }] } as Organization);
  // The person of the official example, as our member (member ID = the example's CoverageToMatch identifier).
  const patient: Patient = { resourceType: 'Patient', id: 'hrex-person', identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: 'DH10001235' }], name: [{ use: 'official', family: 'Person', given: ['Patricia', 'Ann'] }], gender: 'female', birthDate: '1974-12-25' };
  await put(patient);
  // Two members alike in every demographic the rule reads.
  for (const id of ['twin-a', 'twin-b']) await put({ resourceType: 'Patient', id, identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: `TW-${id}` }], name: [{ family: 'Lopez', given: ['Sam'] }], gender: 'male', birthDate: '2010-07-07' } as Patient);
  payer = await payerClient('Organization/new-health-plan', 'new-plan');
  other = await payerClient('Organization/third-plan', 'third-plan');
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

describe('$member-match', () => {
  it('when the official HRex example is sent with its Consent period around today, then 200 with our member ID typed UMB and the member\'s reference', async () => {
    const res = await memberMatch(await tokenOf(payer), current());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const out = res.body as Parameters;
    expect(out.resourceType).toBe('Parameters');
    const id = out.parameter?.find((p) => p.name === 'MemberIdentifier')?.valueIdentifier;
    expect(id).toMatchObject({ type: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-hrex/CodeSystem/hrex-temp', code: 'UMB' }] }, system: IDENTIFIER_SYSTEM.memberId, value: 'DH10001235' });
    expect(out.parameter?.find((p) => p.name === 'MemberId')?.valueReference?.reference).toBe(`${srv.baseUrl}/Patient/hrex-person`);
  });

  it('when the official example is sent as published (its Consent ended 2022-01-31), then 422 says the Consent expired and no member is named', async () => {
    const res = await memberMatch(await tokenOf(payer), example());
    expect(res.status).toBe(422);
    const oo = res.body as OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0]).toMatchObject({ code: 'business-rule', diagnostics: expect.stringContaining('expired on 2022-01-31') });
    expect(JSON.stringify(oo)).not.toContain('hrex-person');
  });

  it('when matched with a Consent, then that payer reads the member (claims without amounts) until the Consent ends, and nobody else\'s', async () => {
    const token = await tokenOf(payer);
    expect((await memberMatch(token, current())).status).toBe(200);
    const read = await authed(srv, token).get('/fhir/Patient/hrex-person');
    expect(read.status).toBe(200);
    // A seeded member nobody matched: 403, one message.
    const ids = (((await authed(srv).get('/fhir/Patient?_count=50&_elements=id')).body as Bundle).entry ?? []).map((e) => e.resource?.id as string);
    const someone = ids.find((id) => !['hrex-person', 'twin-a', 'twin-b'].includes(id)) as string;
    expect(someone).toBeDefined();
    const refused = await authed(srv, token).get(`/fhir/ExplanationOfBenefit?patient=${someone}`);
    expect(refused.status).toBe(403);
    expect((refused.body as OperationOutcome).issue[0].diagnostics).toMatch(/No payer-to-payer exchange in force/);
    // Nothing named: no member data.
    expect((await authed(srv, token).get('/fhir/Observation')).status).toBe(403);
    // Another payer without a match reads nothing of this member either.
    expect((await authed(srv, await tokenOf(other)).get('/fhir/Patient/hrex-person')).status).toBe(403);
  });

  it('when the matched member has claims, then the payer gets them without payment, cost-sharing or adjudication amounts', async () => {
    // Give the example person a claim of a seeded member (re-pointed), so there is something to strip.
    const eob = (((await authed(srv).get('/fhir/ExplanationOfBenefit?_count=1&use=claim')).body as Bundle).entry?.[0]?.resource) as ExplanationOfBenefit;
    expect(eob.payment ?? eob.total).toBeDefined();
    await put({ ...eob, id: 'eob-hrex-person', patient: { reference: 'Patient/hrex-person' }, billablePeriod: { start: inDays(-30), end: inDays(-30) } } as ExplanationOfBenefit);
    const token = await tokenOf(payer);
    const res = await authed(srv, token).get('/fhir/ExplanationOfBenefit?patient=hrex-person');
    expect(res.status).toBe(200);
    const got = ((res.body as Bundle).entry ?? []).map((e) => e.resource as ExplanationOfBenefit).find((e) => e.id === 'eob-hrex-person');
    expect(got).toBeDefined();
    expect(got?.payment).toBeUndefined();
    expect(got?.total).toBeUndefined();
    expect(JSON.stringify(got?.item ?? [])).not.toMatch(/"net"|"unitPrice"/);
  });

  it('when the member has old claims, denied or drug prior authorizations and sensitive records, then a #regular Consent releases none of them and #sensitive only the sensitive records', async () => {
    const base = (((await authed(srv).get('/fhir/ExplanationOfBenefit?_count=1&use=claim')).body as Bundle).entry?.[0]?.resource) as ExplanationOfBenefit;
    await put({ ...base, id: 'eob-old', patient: { reference: 'Patient/hrex-person' }, billablePeriod: { start: inDays(-6 * 366), end: inDays(-6 * 366) }, item: (base.item ?? []).map((i) => ({ ...i, servicedDate: inDays(-6 * 366) })) } as ExplanationOfBenefit);
    await put({ ...base, id: 'eob-recent', patient: { reference: 'Patient/hrex-person' }, billablePeriod: { start: inDays(-400), end: inDays(-400) }, item: (base.item ?? []).map((i) => ({ ...i, servicedDate: inDays(-400) })) } as ExplanationOfBenefit);
    const observation = (labels: Array<{ system: string; code: string }>, id: string) => ({
      resourceType: 'Observation',
      id,
      ...(labels.length > 0 ? { meta: { security: labels } } : {}),
      status: 'final',
      code: { text: 'A finding' },
      subject: { reference: 'Patient/hrex-person' },
      effectiveDateTime: `${inDays(-10)}T10:00:00Z`,
    });
    await put(observation([{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }], 'obs-sensitive'));
    await put(observation([], 'obs-plain'));
    // PA requests as the PA process stores them (PAS Claim + ClaimResponse): approved therapy, denied therapy, a drug.
    const cov = (((await authed(srv).get('/fhir/Coverage?_count=1')).body as Bundle).entry?.[0]?.resource) as Coverage;
    const payerId = (cov.payor[0].reference as string).split('/')[1];
    for (const [id, decision, drug] of [['pp-ok', 'approved', false], ['pp-denied', 'denied', false], ['pp-drug', 'approved', true]] as const) {
      const submittedMs = Date.now() - 20 * 86_400_000;
      const input: PaRequestInput = {
        id,
        trackingNumber: `T-${id}`,
        patientId: 'hrex-person',
        payerId,
        requesterOrgId: 'new-health-plan',
        coverageId: cov.id as string,
        service: PA_SERVICES.find((x) => x.label === 'physical-therapy') as PaRequestInput['service'],
        timeline: { priority: 'standard', submittedMs, dueMs: submittedMs + 7 * 86_400_000, requestedQuantity: 4, requestedStart: inDays(-15), requestedEnd: inDays(60), decision, decidedMs: submittedMs + 86_400_000, ...(decision === 'approved' ? { approvedQuantity: 4, approvedStart: inDays(-15), approvedEnd: inDays(60) } : { denialReason: 'insufficient-documentation' }) },
      };
      const claim = paClaim(input);
      const response = paClaimResponse({ ...input, responseId: `${id}-r`, paNumber: `PA${id}` });
      if (drug) {
        claim.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'pharmacy' }] };
        response.type = claim.type;
      }
      const entry = [claim, response].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
      const tx = await authed(srv).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
      expect(tx.status, JSON.stringify(tx.body)).toBe(200);
    }
    const ids = async (token: string, query: string) => (((await authed(srv, token).get(`/fhir/${query}`)).body as Bundle).entry ?? []).map((e) => e.resource?.id as string).sort();
    // Staff see everything.
    expect(await ids(srv.adminToken, 'ExplanationOfBenefit?patient=hrex-person&_count=100')).toEqual(expect.arrayContaining(['eob-old', 'eob-recent', 'pa-pp-ok-r', 'pa-pp-denied-r', 'pa-pp-drug-r']));

    const token = await tokenOf(payer);
    expect((await memberMatch(token, current())).status).toBe(200);
    const eobs = await ids(token, 'ExplanationOfBenefit?patient=hrex-person&_count=100');
    expect(eobs).toEqual(expect.arrayContaining(['eob-recent', 'pa-pp-ok-r']));
    for (const hidden of ['eob-old', 'pa-pp-denied-r', 'pa-pp-drug-r']) expect(eobs).not.toContain(hidden);
    expect(await ids(token, 'Observation?patient=hrex-person')).toEqual(['obs-plain']);

    // The same member under a #sensitive Consent: the sensitive record too, the rest unchanged.
    const sensitive = current();
    part<Consent>(sensitive, 'Consent').policy = [{ uri: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#sensitive' }];
    expect((await memberMatch(token, sensitive)).status).toBe(200);
    expect(await ids(token, 'Observation?patient=hrex-person')).toEqual(['obs-plain', 'obs-sensitive']);
    expect(await ids(token, 'ExplanationOfBenefit?patient=hrex-person&_count=100')).toEqual(eobs);
    // Back to #regular for the cases after this one.
    expect((await memberMatch(token, current())).status).toBe(200);
  });

  it('when nobody matches, or two members do, then 422 (not-found / multiple-matches) and no member is returned', async () => {
    const token = await tokenOf(payer);
    const nobody = current();
    part<Patient>(nobody, 'MemberPatient').birthDate = '1974-12-24';
    const none = await memberMatch(token, nobody);
    expect(none.status).toBe(422);
    expect((none.body as OperationOutcome).issue[0].code).toBe('not-found');

    const twins = current();
    const p = part<Patient>(twins, 'MemberPatient');
    p.name = [{ family: 'Lopez', given: ['Sam'] }];
    p.gender = 'male';
    p.birthDate = '2010-07-07';
    delete part<Coverage>(twins, 'CoverageToMatch').identifier;
    const both = await memberMatch(token, twins);
    expect(both.status).toBe(422);
    expect((both.body as OperationOutcome).issue[0].code).toBe('multiple-matches');
    expect(JSON.stringify(both.body)).not.toMatch(/twin-/);
    // With the member ID of one of them, that one.
    part<Coverage>(twins, 'CoverageToMatch').subscriberId = 'TW-twin-b';
    const one = await memberMatch(token, twins);
    expect(one.status).toBe(200);
    expect((one.body as Parameters).parameter?.find((x) => x.name === 'MemberId')?.valueReference?.reference).toBe(`${srv.baseUrl}/Patient/twin-b`);
  });

  it('when the Consent is missing, names another recipient, or the caller is a third payer the Consent does not name, then 422 with the reason', async () => {
    const token = await tokenOf(payer);
    const without = current();
    without.parameter = (without.parameter ?? []).filter((x) => x.name !== 'Consent');
    const missing = await memberMatch(token, without);
    expect(missing.status).toBe(422);
    expect((missing.body as OperationOutcome).issue[0].diagnostics).toMatch(/A Consent is required/);
    const third = await memberMatch(await tokenOf(other), current());
    expect(third.status).toBe(422);
    expect((third.body as OperationOutcome).issue[0].diagnostics).toMatch(/recipient/);
    expect((await authed(srv, await tokenOf(other)).get('/fhir/Patient/hrex-person')).status).toBe(403);
  });

  it('when the body is malformed or the caller is not another payer, then 400 or 403 with an OperationOutcome', async () => {
    const token = await tokenOf(payer);
    const noPatient = current();
    noPatient.parameter = (noPatient.parameter ?? []).filter((x) => x.name !== 'MemberPatient');
    expect((await memberMatch(token, noPatient)).status).toBe(400);
    const extra = current();
    extra.parameter?.push({ name: 'Surprise', valueString: 'x' });
    expect((await memberMatch(token, extra)).status).toBe(400);
    expect((await memberMatch(token, { resourceType: 'Patient' })).status).toBe(400);
    const staff = await memberMatch(srv.adminToken, current());
    expect(staff.status).toBe(403);
    expect((staff.body as OperationOutcome).resourceType).toBe('OperationOutcome');
  });

  it('when staff review the decisions, then each shows its outcome, candidates with per-field results and scores, and the consent result', async () => {
    const res = await authed(srv).get('/admin/member-match/decisions?limit=200');
    expect(res.status).toBe(200);
    const all = res.body as Array<{ outcome: string; patient?: string; candidates: Array<{ patient: string; score: number; fields: Record<string, string> }>; consent?: { accepted: boolean; reason?: string }; requester: { organization?: string } }>;
    const matched = all.find((d) => d.outcome === 'matched' && d.patient === 'hrex-person' && d.consent?.accepted === true);
    expect(matched?.candidates[0]).toMatchObject({ patient: 'hrex-person', score: 100, fields: { family: 'equal', given: 'equal', birthDate: 'equal', gender: 'equal', memberId: 'equal' } });
    expect(matched?.requester.organization).toBe('Organization/new-health-plan');
    expect(all.some((d) => d.outcome === 'ambiguous' && d.candidates.length === 2)).toBe(true);
    expect(all.some((d) => d.consent?.accepted === false && /expired/.test(d.consent.reason ?? ''))).toBe(true);
    expect((await authed(srv).get('/admin/member-match/decisions?outcome=bogus')).status).toBe(400);
    const links = await authed(srv).get('/admin/payer-links?patient=hrex-person');
    expect((links.body as Array<{ organization: string; end: string }>).map((l) => l.organization)).toEqual(['Organization/new-health-plan']);
    expect((links.body as Array<{ end: string }>)[0].end).toBe(inDays(365));
    expect(today() <= inDays(365)).toBe(true);
  });

  it('when the official PDex $bulk-member-match example is sent (Consent period around today), then its member is in MatchedMembers, stored as a Group only that payer can read', async () => {
    const body = JSON.parse(readFileSync(join(FIXTURES, 'davinci-pdex/Parameters-payer-multi-member-match-in.json'), 'utf8')) as Parameters;
    for (const b of body.parameter ?? []) {
      const consent = (b.part ?? []).find((x) => x.name === 'Consent')?.resource as Consent;
      (consent.provision as NonNullable<Consent['provision']>).period = { start: inDays(-1), end: inDays(365) };
    }
    const token = await tokenOf(payer);
    const res = await authed(srv, token).post('/fhir/Group/$bulk-member-match').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const matched = part<Group>(res.body as Parameters, 'MatchedMembers');
    expect(matched.member?.map((m) => m.entity.reference)).toEqual(['Patient/hrex-person']);
    expect(matched.contained?.[0]).toMatchObject({ resourceType: 'Patient', id: 'm0', birthDate: '1974-12-25' });
    expect(matched.member?.[0].entity.extension?.[0].valueReference?.reference).toBe('#m0');
    matchedGroupId = matched.id as string;
    const read = await authed(srv, token).get(`/fhir/Group/${matched.id}`);
    expect(read.status).toBe(200);
    expect((read.body as Group).member?.map((m) => m.entity.reference)).toEqual(['Patient/hrex-person']);
    expect([403, 404]).toContain((await authed(srv, await tokenOf(other)).get(`/fhir/Group/${matched.id}`)).status);
  });

  it('when the payer exports its matched Group (payertopayer), then the files hold the member\'s releasable data only: no amounts, nothing older than five years, no denied or drug PA, nothing sensitive under #regular', async () => {
    const token = await tokenOf(payer);
    const kick = await authed(srv, token)
      .post(`/fhir/Group/${matchedGroupId}/$davinci-data-export`)
      .set('Content-Type', FHIR_JSON)
      .set('Prefer', 'respond-async')
      .send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'exportType', valueCanonical: 'hl7.fhir.us.davinci-pdex#payertopayer' }, { name: '_type', valueString: 'Patient,ExplanationOfBenefit,Observation' }] }));
    expect(kick.status, JSON.stringify(kick.body)).toBe(202);
    const status = String(kick.headers['content-location']).slice(srv.url.length);
    let manifest: { request: string; output: Array<{ type: string; url: string; count?: number }> } | undefined;
    for (let i = 0; i < 200 && !manifest; i++) {
      const res = await authed(srv, token).get(status);
      if (res.status === 200) manifest = res.body as typeof manifest;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(manifest?.request).toBe(`${srv.baseUrl}/Group/${matchedGroupId}/$davinci-data-export`);
    const files = new Map<string, Array<{ resourceType: string; id: string } & Record<string, unknown>>>();
    for (const o of manifest?.output ?? []) {
      const text = (await authed(srv, token).get(o.url.slice(srv.url.length))).text;
      const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { resourceType: string; id: string });
      expect(lines.length).toBe(o.count);
      files.set(o.type, lines);
    }
    expect((files.get('Patient') ?? []).map((p) => p.id)).toEqual(['hrex-person']);
    const eobs = (files.get('ExplanationOfBenefit') ?? []).map((e) => e.id);
    expect(eobs).toEqual(expect.arrayContaining(['eob-recent', 'pa-pp-ok-r']));
    for (const hidden of ['eob-old', 'pa-pp-denied-r', 'pa-pp-drug-r']) expect(eobs).not.toContain(hidden);
    for (const e of files.get('ExplanationOfBenefit') ?? []) expect(e.payment ?? e.total).toBeUndefined();
    expect((files.get('Observation') ?? []).map((o) => o.id)).toEqual(['obs-plain']);
    // The disclosure is recorded.
    const audit = (await authed(srv).get('/fhir/AuditEvent?entity=Patient/hrex-person&_count=200')).body as Bundle;
    expect((audit.entry ?? []).some((e) => String((e.resource as { outcomeDesc?: string }).outcomeDesc).startsWith('Payer-to-Payer bulk export'))).toBe(true);
  });

  it('when the export is asked with another exportType, or by a payer that did not make the Group, then 400 / 404', async () => {
    const token = await tokenOf(payer);
    const wrong = await authed(srv, token).post(`/fhir/Group/${matchedGroupId}/$davinci-data-export`).set('Content-Type', FHIR_JSON).set('Prefer', 'respond-async')
      .send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'exportType', valueCanonical: 'hl7.fhir.us.davinci-pdex#provider-download' }] }));
    expect(wrong.status).toBe(400);
    const third = await authed(srv, await tokenOf(other)).get(`/fhir/Group/${matchedGroupId}/$export`).set('Prefer', 'respond-async');
    expect(third.status).toBe(404);
    expect((third.body as OperationOutcome).resourceType).toBe('OperationOutcome');
  });

  it('when a bulk request mixes a match, an ambiguous member, an expired Consent and a stranger, then each lands in its Group and one failure does not fail the others', async () => {
    const bundleOf = (p: Parameters) => ({ name: 'MemberBundle', part: p.parameter });
    const ok = current();
    const twins = current();
    Object.assign(part<Patient>(twins, 'MemberPatient'), { name: [{ family: 'Lopez', given: ['Sam'] }], gender: 'male', birthDate: '2010-07-07' });
    delete part<Coverage>(twins, 'CoverageToMatch').identifier;
    const expired = current();
    Object.assign(part<Patient>(expired, 'MemberPatient'), { name: [{ family: 'Lopez', given: ['Sam'] }], gender: 'male', birthDate: '2010-07-07' });
    part<Coverage>(expired, 'CoverageToMatch').identifier = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, value: 'TW-twin-a' }];
    (part<Consent>(expired, 'Consent').provision as NonNullable<Consent['provision']>).period = { start: '2020-01-01', end: '2020-12-31' };
    const stranger = current();
    Object.assign(part<Patient>(stranger, 'MemberPatient'), { name: [{ family: 'Nobody', given: ['Known'] }], birthDate: '1901-01-01' });
    delete part<Coverage>(stranger, 'CoverageToMatch').identifier;
    const body: Parameters = { resourceType: 'Parameters', parameter: [bundleOf(ok), bundleOf(twins), bundleOf(expired), bundleOf(stranger)] };
    const res = await authed(srv, await tokenOf(payer)).post('/fhir/Group/$bulk-member-match').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const out = res.body as Parameters;
    expect(part<Group>(out, 'MatchedMembers').member?.map((m) => m.entity.reference)).toEqual(['Patient/hrex-person']);
    const refs = (g: Group) => (g.member ?? []).map((m) => m.entity.reference);
    expect(refs(part<Group>(out, 'NonMatchedMembers'))).toEqual(['#m1', '#m3']);
    expect(refs(part<Group>(out, 'ConsentConstrainedMembers'))).toEqual(['#m2']);
    expect(part<Group>(out, 'ConsentConstrainedMembers').code?.coding?.[0].code).toBe('consentconstraint');
    // Nothing in the answer names twin-a, whose Consent had expired.
    expect(JSON.stringify(out)).not.toContain('twin-a');
    const decisions = (await authed(srv).get('/admin/member-match/decisions?limit=500')).body as Array<{ operation: string; batch?: { id: string; index: number }; outcome: string }>;
    const mine = decisions.filter((d) => d.operation === 'bulk-member-match' && d.batch?.id === decisions.find((x) => x.operation === 'bulk-member-match')?.batch?.id);
    expect(mine.map((d) => d.batch?.index).sort()).toEqual([0, 1, 2, 3]);
  });

  it('when a bulk request asks Prefer: respond-async, then 202, the status URL gives 202 then a manifest whose Group and Parameters files hold the same answer, for that client only', async () => {
    const token = await tokenOf(payer);
    const bundleOf = (p: Parameters) => ({ name: 'MemberBundle', part: p.parameter });
    const stranger = current();
    Object.assign(part<Patient>(stranger, 'MemberPatient'), { name: [{ family: 'Nobody', given: ['Known'] }], birthDate: '1901-01-01' });
    delete part<Coverage>(stranger, 'CoverageToMatch').identifier;
    const body: Parameters = { resourceType: 'Parameters', parameter: [bundleOf(current()), bundleOf(stranger)] };
    const kick = await authed(srv, token).post('/fhir/Group/$bulk-member-match').set('Content-Type', FHIR_JSON).set('Prefer', 'respond-async').send(JSON.stringify(body));
    expect(kick.status, JSON.stringify(kick.body)).toBe(202);
    const status = String(kick.headers['content-location']).slice(srv.url.length);
    expect(status).toMatch(/^\/fhir\/bulk-status\//);
    // Another payer cannot see the job.
    expect((await authed(srv, await tokenOf(other)).get(status)).status).toBe(404);
    let manifest: { request: string; output: Array<{ type: string; url: string; count: number }> } | undefined;
    for (let i = 0; i < 200 && !manifest; i++) {
      const res = await authed(srv, token).get(status);
      if (res.status === 200) manifest = res.body as typeof manifest;
      else {
        expect(res.status).toBe(202);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(manifest?.request).toBe(`${srv.baseUrl}/Group/$bulk-member-match`);
    expect(manifest?.output.map((o) => [o.type, o.count]).sort()).toEqual([['Group', 2], ['Parameters', 1]]);
    const file = async (type: string) => (await authed(srv, token).get((manifest?.output.find((o) => o.type === type)?.url as string).slice(srv.url.length))).text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Group | Parameters);
    const groups = (await file('Group')) as Group[];
    const codes = groups.map((g) => g.code?.coding?.[0].code);
    expect(codes).toEqual(['match', 'nomatch']);
    expect(groups[0].member?.map((m) => m.entity.reference)).toEqual(['Patient/hrex-person']);
    expect(groups[1].member?.map((m) => m.entity.reference)).toEqual(['#m1']);
    const [params] = (await file('Parameters')) as Parameters[];
    expect(part<Group>(params, 'MatchedMembers')).toEqual(groups[0]);
    // The matched Group is the requester's, like a synchronous one.
    expect((await authed(srv, token).get(`/fhir/Group/${groups[0].id}`)).status).toBe(200);
  });

  it('when more members are sent than a synchronous request takes, then 400 says to use Prefer: respond-async', async () => {
    const many: Parameters = { resourceType: 'Parameters', parameter: Array.from({ length: 1_001 }, () => ({ name: 'MemberBundle', part: current().parameter })) };
    const res = await authed(srv, await tokenOf(payer)).post('/fhir/Group/$bulk-member-match').set('Content-Type', FHIR_JSON).send(JSON.stringify(many));
    expect(res.status).toBe(400);
    expect((res.body as OperationOutcome).issue[0].diagnostics).toMatch(/Prefer: respond-async/);
  });

  it('when a bulk request is malformed (no MemberBundle, a member without MemberPatient, another parameter), then 400 and no decision is recorded', async () => {
    const token = await tokenOf(payer);
    const before = ((await authed(srv).get('/admin/member-match/decisions?limit=1000')).body as unknown[]).length;
    const post = (body: unknown) => authed(srv, token).post('/fhir/Group/$bulk-member-match').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect((await post({ resourceType: 'Parameters' })).status).toBe(400);
    const noPatient = current();
    const broken = { resourceType: 'Parameters', parameter: [{ name: 'MemberBundle', part: current().parameter }, { name: 'MemberBundle', part: (noPatient.parameter ?? []).filter((x) => x.name !== 'MemberPatient') }] };
    const res = await post(broken);
    expect(res.status).toBe(400);
    expect((res.body as OperationOutcome).issue[0].diagnostics).toMatch(/MemberBundle 2/);
    expect((await post({ resourceType: 'Parameters', parameter: [{ name: 'Other', valueString: 'x' }] })).status).toBe(400);
    expect(((await authed(srv).get('/admin/member-match/decisions?limit=1000')).body as unknown[]).length).toBe(before);
  });

  it('when a provider sends the official HRex provider example, then 422 until its organization is attributed the member, and then 200 with the member identifier', async () => {
    const body = JSON.parse(readFileSync(join(FIXTURES, 'davinci-hrex/Parameters-member-match-in-provider.json'), 'utf8')) as Parameters;
    const lists = (await authed(srv).get('/admin/attribution/lists')).body as Array<{ _id: string; organization: string; kind: string }>;
    const roster = lists.find((l) => l.kind === 'roster') as { _id: string; organization: string };
    expect(roster).toBeDefined();
    const clinic = await registerBackendClient(srv, { role: 'provider', organization: roster.organization, name: 'Clinic' });
    const token = await tokenOf(clinic);
    const before = await memberMatch(token, body);
    expect(before.status).toBe(422);
    expect((before.body as OperationOutcome).issue[0].code).toBe('not-found');
    expect(JSON.stringify(before.body)).not.toContain('hrex-person');
    // Staff attribute the person to the clinic's organization (they are enrolled with us today).
    await put({ resourceType: 'Coverage', id: 'hrex-person-cov', status: 'active', beneficiary: { reference: 'Patient/hrex-person' }, subscriberId: 'DH10001235', payor: [{ reference: 'Organization/org-masshealth' }], period: { start: inDays(-30) } } as Coverage);
    expect((await authed(srv).post(`/admin/attribution/lists/${roster._id}/members`).send({ patient: 'hrex-person', reason: 'test: attributed by staff' })).status).toBeLessThan(300);
    const after = await memberMatch(token, body);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    const out = after.body as Parameters;
    expect(out.parameter?.find((p) => p.name === 'MemberIdentifier')?.valueIdentifier?.value).toBe('DH10001235');
    expect(out.parameter?.find((p) => p.name === 'MemberId')?.valueReference?.reference).toBe(`${srv.baseUrl}/Patient/hrex-person`);
    // A provider match gives no payer access: the provider still reads through Provider Access only.
    const links = (await authed(srv).get('/admin/payer-links?patient=hrex-person')).body as Array<{ client: string }>;
    expect(links.some((l) => l.client === clinic.clientId)).toBe(false);
  });

  it('when /metadata is read, then Patient declares $member-match', async () => {
    const cs = (await authed(srv).get('/fhir/metadata')).body as { rest: Array<{ resource: Array<{ type: string; operation?: Array<{ name: string; definition: string }> }> }> };
    const ops = cs.rest[0].resource.find((r) => r.type === 'Patient')?.operation ?? [];
    expect(ops.find((o) => o.name === 'member-match')?.definition).toBe('http://hl7.org/fhir/us/davinci-hrex/OperationDefinition/member-match');
  });
});
