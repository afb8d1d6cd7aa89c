/**
 * A member opts out of Provider Access, and back in, on `/account/provider-access` after signing in;
 * the choice is a PDex pdex-provider-consent Consent, and the form refuses a missing or wrong CSRF value.
 * The member's own app may record the choice too (a Consent written with its token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Consent } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { cookieOf, hiddenField, smartLogin, submitLogin } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

let srv: TestServer;
let demo: DemoLogins;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '6' });
  demo = srv.demo as DemoLogins;
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

async function signIn(i: number): Promise<string> {
  const m = demo.members[i];
  const res = await submitLogin(srv, undefined, { member: { memberId: m.memberId, birthDate: m.birthDate, password: demo.password } });
  const cookie = cookieOf(res);
  expect(cookie).toContain('smart_session=');
  return cookie;
}

const page = async (cookie: string) => (await fetch(`${srv.url}/account/provider-access`, { headers: { Cookie: cookie } })).text();

const choose = (cookie: string, choice: string, csrf: string | undefined) =>
  fetch(`${srv.url}/account/provider-access`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ choice, ...(csrf !== undefined ? { csrf } : {}) }).toString(),
  });

async function choices(patient: string): Promise<Consent[]> {
  const bundle = (await authed(srv).get(`/fhir/Consent?patient=Patient/${patient}&_count=100`)).body as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as Consent).filter((c) => c.meta?.profile?.some((p) => p.endsWith('pdex-provider-consent')));
}

describe('/account/provider-access', () => {
  it('when a member signs in and opts out, then a deny Consent is stored, the page says sharing is off, and opting back in stores a permit', async () => {
    // Member 1 (index 0) has not opted out in the demo data (member 4 has).
    const m = demo.members[0];
    const cookie = await signIn(0);
    const before = await page(cookie);
    expect(before).toContain('Sharing is on');
    const csrf = hiddenField(before, 'csrf');
    const count = (await choices(m.patient)).length;
    const out = await choose(cookie, 'out', csrf);
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('Sharing is off');
    const afterOut = await choices(m.patient);
    expect(afterOut.length).toBe(count + 1);
    expect(afterOut.some((c) => c.provision?.type === 'deny' && c.performer?.[0]?.reference === `Patient/${m.patient}`)).toBe(true);
    expect((await authed(srv).put(`/admin/members/${m.patient}/provider-access`).send({ choice: 'in' }).then((r) => r.body)) as unknown).toMatchObject({ choice: 'in' });
    expect(await page(cookie)).toContain('Sharing is on');
  });

  it('when the form comes without the session CSRF value, or with a made-up choice, then 403 and nothing is stored', async () => {
    const m = demo.members[1];
    const cookie = await signIn(1);
    const csrf = hiddenField(await page(cookie), 'csrf');
    const count = (await choices(m.patient)).length;
    expect((await choose(cookie, 'out', undefined)).status).toBe(403);
    expect((await choose(cookie, 'out', 'forged')).status).toBe(403);
    expect((await choose(cookie, 'maybe', csrf)).status).toBe(403);
    expect((await choices(m.patient)).length).toBe(count);
  });

  it('when nobody is signed in, then the page sends them to sign in', async () => {
    const res = await fetch(`${srv.url}/account/provider-access`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/auth/login');
  });
});

describe("the member's app records the choice", () => {
  const PDEX_PROVIDER_CONSENT = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-consent';
  /** A pdex-provider-consent Consent as an app writes it for `patient`. */
  const choiceConsent = (patient: string, type: 'deny' | 'permit'): Consent => ({
    resourceType: 'Consent',
    meta: { profile: [PDEX_PROVIDER_CONSENT] },
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
    patient: { reference: `Patient/${patient}` },
    dateTime: new Date().toISOString(),
    performer: [{ reference: `Patient/${patient}` }],
    organization: [{ reference: 'Organization/org-masshealth' }],
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'cric', display: 'Common Rule Informed Consent' }] },
    provision: {
      type,
      period: { start: new Date().toISOString().slice(0, 10) },
      actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'performer' }] }, reference: { reference: 'Organization/org-masshealth' } }],
      action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'disclose' }] }],
    },
  });

  async function appToken(i: number): Promise<string> {
    const scope = 'launch/patient openid fhirUser patient/*.rs patient/Consent.c';
    const reg = await authed(srv).post('/admin/clients').send({ name: `Member app ${i}`, role: 'app', authMethod: 'none', redirectUris: ['http://localhost:9090/app'], scopes: scope.split(' ') });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const m = demo.members[i];
    const login = await smartLogin(srv, { clientId: String(reg.body.client_id), redirectUri: 'http://localhost:9090/app', scope, member: { memberId: m.memberId, birthDate: m.birthDate, password: demo.password } });
    const tokens = await login.tokenResponse();
    expect(String(tokens.scope)).toContain('patient/Consent.c');
    return String(tokens.access_token);
  }

  it('when the app writes a deny Consent for its member, then the member is opted out (the page says so), and a later permit brings them back', async () => {
    const m = demo.members[2];
    const token = await appToken(2);
    const cookie = await signIn(2);
    expect(await page(cookie)).toContain('Sharing is on');
    const out = await authed(srv, token).post('/fhir/Consent').set('Content-Type', 'application/fhir+json').send(JSON.stringify(choiceConsent(m.patient, 'deny')));
    expect(out.status, JSON.stringify(out.body)).toBe(201);
    expect(await page(cookie)).toContain('Sharing is off');
    const back = await authed(srv, token).post('/fhir/Consent').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...choiceConsent(m.patient, 'permit'), dateTime: new Date(Date.now() + 1000).toISOString() }));
    expect(back.status).toBe(201);
    expect(await page(cookie)).toContain('Sharing is on');
  });

  it("when the app writes a choice for another member, or one that breaks the PDex profile, then it is refused and the member's choice is unchanged", async () => {
    const m = demo.members[3];
    const other = demo.members[2];
    const token = await appToken(3);
    const count = (await choices(other.patient)).length;
    const foreign = await authed(srv, token).post('/fhir/Consent').set('Content-Type', 'application/fhir+json').send(JSON.stringify(choiceConsent(other.patient, 'deny')));
    expect(foreign.status).toBe(403);
    expect((await choices(other.patient)).length).toBe(count);
    // PDex: the performer is the member; a Consent naming someone else is not a valid choice.
    const mine = (await choices(m.patient)).length;
    const broken = await authed(srv, token).post('/fhir/Consent').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...choiceConsent(m.patient, 'deny'), performer: [{ reference: 'Practitioner/someone' }] }));
    expect(broken.status).toBe(422);
    expect((broken.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect((await choices(m.patient)).length).toBe(mine);
  });
});
