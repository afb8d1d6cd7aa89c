/**
 * Provider users (MISSION.md "Delegated access") and the SMART EHR launch: a provider user opens an app
 * for one member attributed to their organization and the app's token reaches that member only; a launch
 * for a member not attributed is refused; a launch is usable only by the user who opened it. An
 * organization's Primary User grants subordinate users access to its own PID/SLs, never others', and
 * those grants decide which attributed members a subordinate can open an app for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Group, Location, PractitionerRole } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { authorize, authorizeQuery, cookieOf, pkcePair, smartLogin, submitLogin } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

let srv: TestServer;
let demo: DemoLogins;
let attributed: string;
let notAttributed: string;

const providerUser = () => ({ login: demo.provider?.login as string, password: demo.password });

/** A token of a provider user from a standalone launch with user/ scopes (no patient). */
async function providerToken(user = providerUser()): Promise<string> {
  const login = await smartLogin(srv, { clientId: demo.providerApp.client_id, redirectUri: demo.providerApp.redirect_uri, scope: 'openid fhirUser user/Organization.rs', user });
  return String((await login.tokenResponse()).access_token);
}

async function openLaunch(token: string, patient: string) {
  return authed(srv, token).post('/auth/launch').set('Content-Type', 'application/json').send({ patient });
}

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12' });
  demo = srv.demo as DemoLogins;
  expect(demo.provider).toBeDefined();
  const groups = await authed(srv).get('/fhir/Group?_count=100');
  const all = ((groups.body as Bundle).entry ?? []).map((e) => e.resource as Group);
  const mine = all.filter((g) => g.characteristic?.some((c) => c.valueReference?.reference === demo.provider?.organization));
  const members = new Set(mine.flatMap((g) => (g.member ?? []).filter((m) => !m.inactive && !m.period?.end).map((m) => m.entity.reference?.slice('Patient/'.length) as string)));
  const patients = await authed(srv).get('/fhir/Patient?_count=100&_elements=id');
  const ids = ((patients.body as Bundle).entry ?? []).map((e) => e.resource?.id as string);
  attributed = ids.find((id) => members.has(id)) as string;
  notAttributed = ids.find((id) => !all.some((g) => g.member?.some((m) => m.entity.reference === `Patient/${id}`) && mine.includes(g))) as string;
  expect(attributed).toBeDefined();
  expect(notAttributed).toBeDefined();
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('EHR launch by a provider user', () => {
  it('when the provider user opens an app for an attributed member, then the app token has that patient and reads only that member', async () => {
    const token = await providerToken();
    const opened = await openLaunch(token, attributed);
    expect(opened.status).toBe(201);
    expect(opened.body.iss).toBe(srv.baseUrl);
    const login = await smartLogin(srv, {
      clientId: demo.providerApp.client_id,
      redirectUri: demo.providerApp.redirect_uri,
      scope: 'launch openid fhirUser patient/*.rs',
      launch: String(opened.body.launch),
      user: providerUser(),
    });
    const tokens = await login.tokenResponse();
    expect(tokens.patient).toBe(attributed);
    const appToken = String(tokens.access_token);
    expect((await authed(srv, appToken).get(`/fhir/Patient/${attributed}`)).status).toBe(200);
    expect((await authed(srv, appToken).get(`/fhir/Patient/${notAttributed}`)).status).toBe(404);
    const eobs = await authed(srv, appToken).get('/fhir/ExplanationOfBenefit?_count=200');
    const patients = new Set(((eobs.body as Bundle).entry ?? []).map((e) => (e.resource as { patient?: { reference?: string } }).patient?.reference));
    expect([...patients]).toEqual([`Patient/${attributed}`]);
  });

  it('when the provider user asks to open an app for a member not attributed to their organization, then 403 and no launch', async () => {
    const res = await openLaunch(await providerToken(), notAttributed);
    expect(res.status).toBe(403);
    expect(res.body.launch).toBeUndefined();
  });

  it('when another user signs in to complete a launch they did not open, then the app gets access_denied and no code', async () => {
    const opened = await openLaunch(await providerToken(), attributed);
    const other = await authed(srv).post('/admin/users').set('Content-Type', 'application/json').send({ kind: 'staff', login: 'other-staff', password: 'another-long-password' });
    expect(other.status).toBe(201);
    const { challenge } = pkcePair();
    const query = authorizeQuery(srv, { clientId: demo.providerApp.client_id, redirectUri: demo.providerApp.redirect_uri, scope: 'launch openid patient/*.rs', launch: String(opened.body.launch), state: 'ehr-1', challenge });
    const toLogin = new URL(String((await authorize(srv, query)).headers.get('location')));
    const login = await submitLogin(srv, toLogin.searchParams.get('request') ?? undefined, { user: { login: 'other-staff', password: 'another-long-password' } });
    expect(login.status).toBe(303);
    const consent = await fetch(String(login.headers.get('location')), { redirect: 'manual', headers: { Cookie: cookieOf(login) } });
    expect(consent.status).toBe(303);
    const back = new URL(String(consent.headers.get('location')));
    expect(back.origin + back.pathname).toBe(demo.providerApp.redirect_uri);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('ehr-1');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('when a member token tries to open a launch, then 403', async () => {
    const m = demo.members[0];
    const login = await smartLogin(srv, { clientId: demo.patientApp.client_id, redirectUri: demo.patientApp.redirect_uri, scope: 'launch/patient patient/*.rs', member: { ...m, password: demo.password } });
    const res = await openLaunch(String((await login.tokenResponse()).access_token), m.patient);
    expect(res.status).toBe(403);
  });
});

describe('delegated access by the Primary User', () => {
  it('when the Primary User grants a subordinate some of its PID/SLs, then the user exists with exactly those; PID/SLs it does not hold are refused', async () => {
    const token = await providerToken();
    const own = demo.provider?.locations ?? [];
    expect(own.length).toBeGreaterThan(0);
    const ok = await authed(srv, token).post('/provider/users').set('Content-Type', 'application/json').send({ login: 'billing-partner', password: 'partner-password-1', locations: [own[0]], businessPartner: true });
    expect(ok.status).toBe(201);
    expect(ok.body.locations).toEqual([own[0]]);
    expect(ok.body.organization).toBe(demo.provider?.organization);
    expect(ok.body.passwordHash).toBeUndefined();
    const refused = await authed(srv, token).post('/provider/users').set('Content-Type', 'application/json').send({ login: 'overreach', password: 'partner-password-2', locations: ['999999999Z'] });
    expect(refused.status).toBe(400);
    const listed = await authed(srv, token).get('/provider/users');
    expect((listed.body as Array<{ login: string }>).map((u) => u.login)).toContain('billing-partner');
    expect((listed.body as Array<{ login: string }>).map((u) => u.login)).not.toContain('overreach');
  });

  it('when a subordinate (not the Primary User) tries to grant access, then 403', async () => {
    const token = await providerToken({ login: 'billing-partner', password: 'partner-password-1' });
    const res = await authed(srv, token).post('/provider/users').set('Content-Type', 'application/json').send({ login: 'x-user', password: 'partner-password-3', locations: [demo.provider?.locations?.[0]] });
    expect(res.status).toBe(403);
  });
});

/** The PID/SLs (Location identifiers) where a practitioner works for the organization, read through the FHIR API. */
async function pidSlsOfPractitioner(practitioner: string, organization: string): Promise<string[]> {
  const roles = await authed(srv).get(`/fhir/PractitionerRole?practitioner=${practitioner}&_count=50`);
  const locations = ((roles.body as Bundle).entry ?? [])
    .map((e) => e.resource as PractitionerRole)
    .filter((r) => r.organization?.reference === organization)
    .flatMap((r) => (r.location ?? []).map((l) => l.reference as string));
  const out: string[] = [];
  for (const ref of locations) {
    const loc = (await authed(srv).get(`/fhir/${ref}`)).body as Location;
    out.push(...(loc.identifier ?? []).filter((i) => i.system?.endsWith('/sid/pid-sl')).map((i) => i.value as string));
  }
  return out;
}

describe('PID/SL grants narrow which members a provider user reaches', () => {
  const organization = () => demo.provider?.organization as string;
  let member: string;
  let memberPidSl: string;

  beforeAll(async () => {
    // An attributed member whose attributed provider is a clinician, and the PID/SL that clinician works at.
    const groups = await authed(srv).get('/fhir/Group?_count=100');
    const mine = ((groups.body as Bundle).entry ?? []).map((e) => e.resource as Group).filter((g) => g.characteristic?.some((c) => c.valueReference?.reference === organization()));
    for (const entry of mine.flatMap((g) => g.member ?? [])) {
      const provider = entry.extension?.find((e) => e.url.endsWith('/ext-attributedProvider'))?.valueReference?.reference;
      if (entry.inactive || entry.period?.end || !provider?.startsWith('Practitioner/')) continue;
      const pidSls = await pidSlsOfPractitioner(provider, organization());
      if (pidSls.length === 0) continue;
      member = entry.entity.reference?.slice('Patient/'.length) as string;
      memberPidSl = pidSls[0];
      break;
    }
    expect(member).toBeDefined();
    expect(demo.provider?.locations).toContain(memberPidSl);
  });

  async function subordinate(login: string, locations: string[]): Promise<string> {
    const created = await authed(srv).post('/admin/users').set('Content-Type', 'application/json').send({ kind: 'provider', login, password: 'subordinate-password', organization: organization(), locations });
    expect(created.status).toBe(201);
    return providerToken({ login, password: 'subordinate-password' });
  }

  it('when a user granted the PID/SL the member is attributed through opens a launch, then 201', async () => {
    const res = await openLaunch(await subordinate('site-user', [memberPidSl]), member);
    expect(res.status).toBe(201);
    expect(res.body.launch).toEqual(expect.any(String));
  });

  it('when a user of the same organization granted only another PID/SL opens a launch for that member, then 403 and no launch', async () => {
    const other = memberPidSl === '000000001A' ? '000000002A' : '000000001A';
    const res = await openLaunch(await subordinate('other-site-user', [other]), member);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('access_denied');
    expect(res.body.error_description).toMatch(/PID\/SL/);
    expect(res.body.launch).toBeUndefined();
  });

  it('when a member is attributed to the organization as a whole (no service location), then the Primary User reaches them and a PID/SL-limited user does not', async () => {
    // Payer staff attribute the member to the organization itself (no clinician, so no PID/SL).
    const list = `attr-${organization().replace('Organization/', '')}`;
    const add = await authed(srv).post(`/admin/attribution/lists/${list}/members`).send({ patient: notAttributed, provider: organization(), start: '2020-01-01' });
    expect(add.status, JSON.stringify(add.body)).toBe(201);
    try {
      expect((await openLaunch(await providerToken(), notAttributed)).status).toBe(201);
      expect((await openLaunch(await subordinate('org-level-site-user', demo.provider?.locations ?? []), notAttributed)).status).toBe(403);
    } finally {
      expect((await authed(srv).delete(`/admin/attribution/lists/${list}/members/${notAttributed}`)).status).toBe(200);
    }
    // Removed: the Primary User no longer reaches the member.
    expect((await openLaunch(await providerToken(), notAttributed)).status).toBe(403);
  });
});
