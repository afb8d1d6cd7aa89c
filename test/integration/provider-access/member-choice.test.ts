/**
 * A member opts out of Provider Access, and back in, on `/account/provider-access` after signing in;
 * the choice is a PDex pdex-provider-consent Consent, and the form refuses a missing or wrong CSRF value.
 * The member's own app may record the choice too (a Consent written with its token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Consent } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { cookieOf, hiddenField, submitLogin } from '../../helpers/smart-login.js';
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
