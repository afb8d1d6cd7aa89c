/**
 * The Payer-to-Payer opt-in through the real server (CMS-0057-F 42 CFR 431.61(b)): payer staff record a
 * member's previous payer at enrollment (a Coverage); the member signs in, sees that payer on
 * `/account/payer-exchange`, and opts in (an hrex-consent Consent naming that payer as the source and
 * us as the recipient, for five years, backed by a DocumentReference) or withdraws (the Consent becomes
 * inactive); staff may do either on the member's behalf (a Provenance names them as enterer). Forged
 * forms, payers that are not the member's, and bad enrollment input are refused, and nothing is stored.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Consent, Coverage, DocumentReference, OperationOutcome, Organization, Provenance } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { cookieOf, hiddenField, smartLogin, submitLogin } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

const FHIR_JSON = 'application/fhir+json';
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const HREX_CONSENT = 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-consent';
const OLD_PLAN = 'Organization/old-plan';
const JOB_PLAN = 'Organization/job-plan';
const US = 'Organization/org-masshealth';

let srv: TestServer;
let demo: DemoLogins;

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const yesterday = (): string => dayOf(Date.now() - 86_400_000);
const fiveYearsFrom = (day: string): string => `${Number(day.slice(0, 4)) + 5}${day.slice(4)}`;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '6' });
  demo = srv.demo as DemoLogins;
  for (const org of [
    { resourceType: 'Organization', id: 'old-plan', name: 'Old Plan', identifier: [{ system: NPI, value: '1234567893' }] },
    { resourceType: 'Organization', id: 'job-plan', name: 'Job Plan', identifier: [{ system: NPI, value: '1234567885' }] },
  ] as Organization[]) {
    const res = await authed(srv).put(`/fhir/Organization/${org.id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(org));
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

// ---- helpers: staff (the admin token), the member's browser, what is stored ----

const actor = (c: Consent, code: string) => c.provision?.actor?.find((a) => a.role.coding?.some((x) => x.code === code))?.reference.reference;

const record = (patient: string, body: unknown) => authed(srv).post(`/admin/members/${patient}/other-payers`).send(body as object);
const otherPayers = async (patient: string) => {
  const res = await authed(srv).get(`/admin/members/${patient}/other-payers`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Array<{ payer: string; name: string | null; kind: string; memberId: string | null; coverage: string; optIn: { id: string; start: string; end: string } | null }>;
};
const onBehalf = (patient: string, body: unknown) => authed(srv).put(`/admin/members/${patient}/payer-exchange`).send(body as object);

async function signIn(i: number): Promise<string> {
  const m = demo.members[i];
  const res = await submitLogin(srv, undefined, { member: { memberId: m.memberId, birthDate: m.birthDate, password: demo.password } });
  const cookie = cookieOf(res);
  expect(cookie).toContain('smart_session=');
  return cookie;
}

const page = async (cookie: string): Promise<string> => (await fetch(`${srv.url}/account/payer-exchange`, { headers: { Cookie: cookie } })).text();

const choose = (cookie: string, form: Record<string, string | undefined>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, v);
  return fetch(`${srv.url}/account/payer-exchange`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
};

/** The member's opt-ins for us to ask another payer: hrex-consent with us as recipient (the demo data also holds opt-ins the other way). */
async function exchangeConsents(patient: string): Promise<Consent[]> {
  const bundle = (await authed(srv).get(`/fhir/Consent?patient=Patient/${patient}&_count=100`)).body as Bundle;
  // Opt-ins name us as recipient; a withdrawn one no longer claims hrex-consent (its status is fixed to active).
  return (bundle.entry ?? []).map((e) => e.resource as Consent).filter((c) => actor(c, 'IRCP') === US);
}

async function coveragesOf(patient: string): Promise<Coverage[]> {
  const bundle = (await authed(srv).get(`/fhir/Coverage?beneficiary=Patient/${patient}&_count=100`)).body as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as Coverage);
}

async function provenanceOf(target: string): Promise<Provenance[]> {
  const bundle = (await authed(srv).get(`/fhir/Provenance?target=${target}&_count=100`)).body as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as Provenance);
}


// ---- the flow ----

describe('a member opts in for the previous payer staff recorded, then withdraws', () => {
  it('when staff record a previous payer, then 201 with an active Coverage (ended, self, member ID as subscriberId) and the member lists it without an opt-in', async () => {
    const m = demo.members[0];
    const end = yesterday();
    const res = await record(m.patient, { payer: OLD_PLAN, memberId: 'OP-123', kind: 'previous', start: '2021-01-01', end });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const coverage = res.body as Coverage;
    expect(coverage).toMatchObject({
      resourceType: 'Coverage',
      status: 'active',
      subscriberId: 'OP-123',
      beneficiary: { reference: `Patient/${m.patient}` },
      relationship: { coding: [expect.objectContaining({ code: 'self' })] },
      period: { start: '2021-01-01', end },
      payor: [{ reference: OLD_PLAN, display: 'Old Plan' }],
    });
    expect(res.headers.location).toContain(`/fhir/Coverage/${coverage.id}/_history/`);
    expect((await coveragesOf(m.patient)).map((c) => c.id)).toContain(coverage.id);
    expect(await otherPayers(m.patient)).toEqual([expect.objectContaining({ payer: OLD_PLAN, name: 'Old Plan', kind: 'previous', memberId: 'OP-123', coverage: coverage.id, optIn: null })]);
    const entered = await provenanceOf(`Coverage/${coverage.id}`);
    expect(entered).toHaveLength(1);
    expect(entered[0].agent[0].type?.coding?.[0]?.code).toBe('enterer');
    expect(entered[0].agent[0].onBehalfOf?.reference).toBe(`Patient/${m.patient}`);
  });

  it('when the member signs in and opts in, then an hrex-consent Consent names that payer as source and us as recipient for five years, backed by a DocumentReference', async () => {
    const m = demo.members[0];
    const cookie = await signIn(0);
    const before = await page(cookie);
    expect(before).toContain('Old Plan');
    expect(before).toContain('You have not said yes');
    expect(before).toContain('OP-123');
    expect(hiddenField(before, 'payer')).toBe(OLD_PLAN);
    expect(hiddenField(before, 'choice')).toBe('in');

    const res = await choose(cookie, { csrf: hiddenField(before, 'csrf'), payer: OLD_PLAN, choice: 'in' });
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain('Done. We may now ask Old Plan for your health records.');
    expect(after).toContain('You said yes');

    const consents = await exchangeConsents(m.patient);
    expect(consents).toHaveLength(1);
    const c = consents[0];
    const today = dayOf(Date.now());
    expect(c.status).toBe('active');
    expect(c.patient?.reference).toBe(`Patient/${m.patient}`);
    expect(c.performer).toEqual([{ reference: `Patient/${m.patient}` }]);
    expect(c.provision?.type).toBe('permit');
    expect(c.provision?.period).toEqual({ start: today, end: fiveYearsFrom(today) });
    expect(actor(c, 'performer')).toBe(OLD_PLAN);
    expect(actor(c, 'IRCP')).toBe(US);
    expect(c.policy).toEqual([{ uri: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#regular' }]);
    const docRef = c.sourceReference?.reference ?? '';
    expect(docRef).toMatch(/^DocumentReference\/.+/);
    const doc = (await authed(srv).get(`/fhir/${docRef}`)).body as DocumentReference;
    expect(doc.subject?.reference).toBe(`Patient/${m.patient}`);
    expect(doc.description).toContain('the member on their account page');
    expect(Buffer.from(doc.content[0].attachment.data ?? '', 'base64').toString('utf8')).toContain('Old Plan');

    expect((await otherPayers(m.patient))[0].optIn).toEqual({ id: c.id, start: today, end: fiveYearsFrom(today) });
  });

  it('when the member opts in again for the same payer, then no second Consent is made', async () => {
    const m = demo.members[0];
    const cookie = await signIn(0);
    const csrf = hiddenField(await page(cookie), 'csrf');
    expect((await choose(cookie, { csrf, payer: OLD_PLAN, choice: 'in' })).status).toBe(200);
    expect(await exchangeConsents(m.patient)).toHaveLength(1);
  });

  it('when the member withdraws, then the Consent is inactive, the page says so, and staff see no opt-in', async () => {
    const m = demo.members[0];
    const cookie = await signIn(0);
    const before = await page(cookie);
    expect(hiddenField(before, 'choice')).toBe('out');
    const res = await choose(cookie, { csrf: hiddenField(before, 'csrf'), payer: OLD_PLAN, choice: 'out' });
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain('Done. We will not ask Old Plan for your health records.');
    expect(after).toContain('You have not said yes');
    const consents = await exchangeConsents(m.patient);
    expect(consents).toHaveLength(1);
    expect(consents[0].status).toBe('inactive');
    expect((await otherPayers(m.patient))[0].optIn).toBeNull();
  });
});

describe("staff record the choice on the member's behalf", () => {
  it('when staff opt a member in for their concurrent payer, then the Consent says how, a Provenance names staff as enterer, and the member sees it; withdrawing ends it', async () => {
    const m = demo.members[2];
    expect((await record(m.patient, { payer: JOB_PLAN, memberId: 'JP-9', kind: 'concurrent', start: '2025-01-01' })).status).toBe(201);
    const res = await onBehalf(m.patient, { payer: JOB_PLAN, choice: 'in' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ patient: m.patient, payer: JOB_PLAN, choice: 'in', optIn: { id: expect.any(String) } });
    const [c] = await exchangeConsents(m.patient);
    expect(c.status).toBe('active');
    expect(c.performer).toEqual([{ reference: `Patient/${m.patient}` }]);
    expect(actor(c, 'performer')).toBe(JOB_PLAN);
    const doc = (await authed(srv).get(`/fhir/${c.sourceReference?.reference}`)).body as DocumentReference;
    expect(doc.description).toContain("payer staff on the member's behalf");
    const entered = await provenanceOf(`Consent/${c.id}`);
    expect(entered.map((p) => p.activity?.coding?.[0]?.code)).toEqual(['CREATE']);
    expect(entered[0].agent[0]).toMatchObject({ type: { coding: [expect.objectContaining({ code: 'enterer' })] }, onBehalfOf: { reference: `Patient/${m.patient}` } });
    expect(await page(await signIn(2))).toContain('You said yes');

    const out = await onBehalf(m.patient, { payer: JOB_PLAN, choice: 'out' });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ choice: 'out', optIn: null });
    expect((await exchangeConsents(m.patient)).map((x) => x.status)).toEqual(['inactive']);
    expect((await provenanceOf(`Consent/${c.id}`)).map((p) => p.activity?.coding?.[0]?.code).sort()).toEqual(['CREATE', 'UPDATE']);
  });

  it("when staff name a payer that is not among the member's other payers, or a made-up choice, then 400 and nothing is stored", async () => {
    const m = demo.members[3];
    for (const body of [{ payer: OLD_PLAN, choice: 'in' }, { payer: US, choice: 'in' }, { payer: JOB_PLAN, choice: 'maybe' }, { payer: 'old-plan', choice: 'in' }]) {
      const res = await onBehalf(m.patient, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
    expect(await exchangeConsents(m.patient)).toHaveLength(0);
  });

  it('when the caller has no token, then the staff routes answer 401', async () => {
    expect((await request(srv.url).get(`/admin/members/${demo.members[0].patient}/other-payers`)).status).toBe(401);
    expect((await request(srv.url).put(`/admin/members/${demo.members[0].patient}/payer-exchange`).send({ payer: OLD_PLAN, choice: 'in' })).status).toBe(401);
  });

  it("when a member's own app token calls the staff routes, even for that member, then 403 and nothing is stored", async () => {
    const m = demo.members[0];
    const app = demo.patientApp;
    const login = await smartLogin(srv, { clientId: app.client_id, redirectUri: app.redirect_uri, scope: app.scope, member: { memberId: m.memberId, birthDate: m.birthDate, password: demo.password } });
    const token = String((await login.tokenResponse()).access_token);
    const count = (await exchangeConsents(m.patient)).length;
    expect((await authed(srv, token).get(`/admin/members/${m.patient}/other-payers`)).status).toBe(403);
    expect((await authed(srv, token).put(`/admin/members/${m.patient}/payer-exchange`).send({ payer: OLD_PLAN, choice: 'in' })).status).toBe(403);
    expect((await authed(srv, token).post(`/admin/members/${m.patient}/other-payers`).send({ payer: JOB_PLAN, memberId: 'X1', kind: 'concurrent' })).status).toBe(403);
    expect((await exchangeConsents(m.patient)).length).toBe(count);
  });

  it('when staff list the other payers of someone who is not a member, then 404', async () => {
    const res = await authed(srv).get('/admin/members/nobody-here/other-payers');
    expect(res.status).toBe(404);
    expect((res.body as OperationOutcome).resourceType).toBe('OperationOutcome');
  });
});

describe('the member form refuses what the member did not choose', () => {
  it('when the form comes without the session CSRF value, with a made-up choice, or naming a payer that is not the member\'s, then 403 and nothing is stored', async () => {
    const m = demo.members[1];
    expect((await record(m.patient, { payer: JOB_PLAN, memberId: 'JP-1', kind: 'concurrent' })).status).toBe(201);
    const cookie = await signIn(1);
    const csrf = hiddenField(await page(cookie), 'csrf');
    const refused = [
      { payer: JOB_PLAN, choice: 'in', csrf: undefined },
      { payer: JOB_PLAN, choice: 'in', csrf: 'forged' },
      { payer: JOB_PLAN, choice: 'maybe', csrf },
      { payer: OLD_PLAN, choice: 'in', csrf }, // another member's payer
      { payer: 'Organization/made-up', choice: 'in', csrf },
      { payer: US, choice: 'in', csrf },
      { payer: undefined, choice: 'in', csrf },
    ];
    for (const form of refused) {
      const res = await choose(cookie, form);
      expect(res.status, JSON.stringify(form)).toBe(403);
      expect(await res.text()).toContain('Nothing was changed');
    }
    expect(await exchangeConsents(m.patient)).toHaveLength(0);
  });

  it('when nobody is signed in, then the page sends them to sign in, and a form post is refused', async () => {
    const res = await fetch(`${srv.url}/account/payer-exchange`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/auth/login');
    expect((await choose('', { payer: OLD_PLAN, choice: 'in', csrf: 'x' })).status).toBe(403);
  });

  it('when a member with no other payer on file signs in, then the page says so and has no form', async () => {
    const body = await page(await signIn(4));
    expect(body).toContain('We have no other health plans on file for you.');
    expect(body).not.toContain('name="payer"');
  });
});

describe('bad enrollment input', () => {
  it.each([
    ['an Organization that does not exist', { payer: 'Organization/no-such-plan', memberId: 'X1', kind: 'concurrent' }, /No Organization\/no-such-plan/],
    ['our own payer', { payer: US, memberId: 'X1', kind: 'concurrent' }, /PAYER_ORGANIZATION/],
    ['a previous payer without an end', { payer: OLD_PLAN, memberId: 'X1', kind: 'previous' }, /needs the day its coverage ended/],
    ['a previous payer ending in the future', { payer: OLD_PLAN, memberId: 'X1', kind: 'previous', end: dayOf(Date.now() + 30 * 86_400_000) }, /must be before today/],
    ['a concurrent payer that ended', { payer: OLD_PLAN, memberId: 'X1', kind: 'concurrent', end: '2020-01-01' }, /record an ended coverage as previous/],
    ['a payer that is not an Organization reference', { payer: 'old-plan', memberId: 'X1', kind: 'concurrent' }, /payer/],
    ['no member ID', { payer: OLD_PLAN, kind: 'concurrent' }, /memberId/],
    ['an unknown kind', { payer: OLD_PLAN, memberId: 'X1', kind: 'former' }, /kind/],
    ['a date that is not on the calendar', { payer: OLD_PLAN, memberId: 'X1', kind: 'previous', end: '2024-02-30' }, /end/],
  ])('when staff record %s, then 400 OperationOutcome and no Coverage is added', async (_what, body, why) => {
    const m = demo.members[4];
    const count = (await coveragesOf(m.patient)).length;
    const res = await record(m.patient, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    const oo = res.body as OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0].diagnostics).toMatch(why);
    expect((await coveragesOf(m.patient)).length).toBe(count);
  });

  it('when staff record a payer for someone who is not a member, then 400', async () => {
    const res = await record('nobody-here', { payer: OLD_PLAN, memberId: 'X1', kind: 'concurrent' });
    expect(res.status).toBe(400);
    expect((res.body as OperationOutcome).issue[0].diagnostics).toContain('No member Patient/nobody-here');
  });
});

describe('GET /payer-exchange on the running server', () => {
  it('when anyone asks without a token, then it answers 200 HTML with the strict CSP, linking to the account page of this deployment', async () => {
    const res = await request(srv.url).get('/payer-exchange');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(res.text).toContain('<h1>Payer-to-Payer exchange');
    expect(res.text).toContain(`href="${srv.baseUrl.replace(/\/fhir$/, '')}/account/payer-exchange"`);
  });
});

describe("the member's app records the opt-in", () => {
  it('when the member\'s app writes an hrex-consent opt-in for their previous payer (patient/Consent.c), then it is the opt-in in force; one that breaks hrex-consent or is for another member is refused', async () => {
    const m = demo.members[4];
    const start = dayOf(Date.now());
    expect((await record(m.patient, { payer: OLD_PLAN, memberId: 'OP-APP-1', kind: 'previous', start: '2020-01-01', end: yesterday() })).status).toBe(201);
    expect((await otherPayers(m.patient)).find((o) => o.payer === OLD_PLAN)?.optIn).toBeNull();
    const scope = 'launch/patient openid fhirUser patient/*.rs patient/Consent.c';
    const reg = await authed(srv).post('/admin/clients').send({ name: 'Member app (opt-in)', role: 'app', authMethod: 'none', redirectUris: ['http://localhost:9090/app'], scopes: scope.split(' ') });
    expect(reg.status).toBe(201);
    const login = await smartLogin(srv, { clientId: String(reg.body.client_id), redirectUri: 'http://localhost:9090/app', scope, member: { memberId: m.memberId, birthDate: m.birthDate, password: demo.password } });
    const token = String((await login.tokenResponse()).access_token);
    const optIn = (patient: string): Consent => ({
      resourceType: 'Consent',
      meta: { profile: [HREX_CONSENT] },
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
      patient: { reference: `Patient/${patient}` },
      dateTime: new Date().toISOString(),
      performer: [{ reference: `Patient/${patient}` }],
      // hrex-consent requires the signed form: here the app's own copy of it.
      sourceReference: { reference: 'https://member-app.example.org/fhir/DocumentReference/signed-opt-in-1' },
      policy: [{ uri: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#regular' }],
      provision: {
        type: 'permit',
        period: { start, end: fiveYearsFrom(start) },
        actor: [
          { role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'performer' }] }, reference: { reference: OLD_PLAN, identifier: { system: NPI, value: '1234567893' } } },
          { role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: US } },
        ],
        action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'disclose' }] }],
      },
    });
    const post = (c: Consent) => authed(srv, token).post('/fhir/Consent').set('Content-Type', FHIR_JSON).send(JSON.stringify(c));
    // hrex-consent needs a period end: without it, 422 and nothing stored.
    const broken = optIn(m.patient);
    delete broken.provision?.period?.end;
    const refused = await post(broken);
    expect(refused.status).toBe(422);
    expect((refused.body as OperationOutcome).resourceType).toBe('OperationOutcome');
    const foreign = await post(optIn(demo.members[3].patient));
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(403);
    expect((await otherPayers(m.patient)).find((o) => o.payer === OLD_PLAN)?.optIn).toBeNull();
    const written = await post(optIn(m.patient));
    expect(written.status, JSON.stringify(written.body)).toBe(201);
    const inForce = (await otherPayers(m.patient)).find((o) => o.payer === OLD_PLAN)?.optIn;
    expect(inForce).toMatchObject({ id: (written.body as Consent).id, start, end: fiveYearsFrom(start) });
  });
});
