/**
 * The standalone launch driven by the SMART project's own client library, `fhirclient` (client-js),
 * with its Node adapter, as an app developer would write it: `smart(req, res, storage).authorize()` on
 * /launch (discovery from `${iss}/.well-known/smart-configuration`, PKCE S256, state) and `.ready()`
 * on /callback (code exchange), then `client.request()` against the FHIR API. Headless Chromium plays
 * the member (sign-in and consent). If the library and the server disagree on any step of SMART App
 * Launch 2.x, this is where it shows.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import smart from 'fhirclient';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  APP_SCOPE,
  chromiumMissing,
  displayName,
  escapeHtml,
  launchChromium,
  registerPublicApp,
  sendHtml,
  signInAsMember,
  startLocalApp,
  warnIfSkipped,
  type DemoMember,
  type LocalApp,
} from './browser-launch.js';

const APP_NAME = 'Client-js Benefits (e2e)';
/** The app's own session cookie; not `smart_session`, which the server sets on the same host. */
const APP_COOKIE = 'app_sid';

type Storage = NonNullable<Parameters<typeof smart>[2]>;
type SmartClient = Awaited<ReturnType<ReturnType<typeof smart>['ready']>>;

/** What the app saw after ready(), for the Node-side assertions. */
interface Seen {
  patientId: string | null;
  fhirUser: string | null;
  userType: string | null;
  scope?: string;
  accessToken?: string;
  refreshToken?: string;
  patientName: string;
  eobCount: number;
}

warnIfSkipped('fhirclient-launch.test.ts');

/** fhirclient's Node adapter keeps its launch state in a storage object; here, a Map per browser session cookie. */
function sessionStorageFor(sessions: Map<string, Map<string, unknown>>, req: IncomingMessage, res: ServerResponse): Storage {
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === APP_COOKIE)?.[1];
  let id = cookie && sessions.has(cookie) ? cookie : undefined;
  if (!id) {
    id = randomBytes(16).toString('base64url');
    sessions.set(id, new Map());
    res.setHeader('Set-Cookie', `${APP_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
  }
  const data = sessions.get(id) as Map<string, unknown>;
  return {
    get: async (key: string) => data.get(key),
    set: async (key: string, value: unknown) => {
      data.set(key, value);
      return value;
    },
    unset: async (key: string) => data.delete(key),
  };
}

describe.skipIf(chromiumMissing)('fhirclient (client-js) standalone launch against the server', { timeout: 20_000 }, () => {
  let srv: TestServer;
  let app: LocalApp;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let clientId: string;
  let password: string;
  let members: DemoMember[];
  const sessions = new Map<string, Map<string, unknown>>();
  const seen: Seen[] = [];
  const failures: string[] = [];

  async function show(client: SmartClient, res: ServerResponse): Promise<void> {
    const patientId = client.patient.id;
    if (!patientId) throw new Error('the token response named no patient');
    const patient = await client.request<Patient>(`Patient/${patientId}`);
    const eobs = await client.request<Bundle>(`ExplanationOfBenefit?patient=${encodeURIComponent(patientId)}`);
    const view: Seen = {
      patientId,
      fhirUser: client.getFhirUser(),
      userType: client.getUserType(),
      scope: client.state.tokenResponse?.scope,
      accessToken: client.state.tokenResponse?.access_token,
      refreshToken: client.state.tokenResponse?.refresh_token,
      patientName: displayName(patient),
      eobCount: eobs.total ?? eobs.entry?.length ?? 0,
    };
    seen.push(view);
    sendHtml(res, 200, `<h1>Hello, <span id="patient-name">${escapeHtml(view.patientName)}</span></h1><p>Claims on file: <span id="eob-count">${view.eobCount}</span></p>`);
  }

  async function appPage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const api = smart(req, res, sessionStorageFor(sessions, req, res));
    try {
      if (url.pathname === '/launch') {
        await api.authorize({ clientId, scope: APP_SCOPE, redirectUri: '/callback', iss: srv.baseUrl });
        return;
      }
      if (url.pathname === '/callback') return await show(await api.ready(), res);
      if (url.pathname === '/refresh') {
        // SMART App Launch 2.x §Refresh access token: fhirclient's default leaves client_id out of a
        // public client's refresh request, as the spec allows; the server must accept it.
        const client = await api.ready();
        await client.refresh();
        return await show(client, res);
      }
      sendHtml(res, 404, '<p>Not found</p>');
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  beforeAll(async () => {
    srv = await startTestServer({ SEED_MEMBERS: '3' });
    if (!srv.demo) throw new Error('the test server created no demo logins');
    password = srv.demo.password;
    members = srv.demo.members;
    app = await startLocalApp(appPage);
    clientId = await registerPublicApp(srv, APP_NAME, `${app.url}/callback`);
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await srv?.stop();
  });

  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext();
    return context.newPage();
  }

  async function launchAndDecide(page: Page, member: DemoMember, decision: 'Allow' | "Don't allow"): Promise<void> {
    await page.goto(`${app.url}/launch`);
    await signInAsMember(page, APP_NAME, member, password);
    expect(new URL(page.url()).pathname).toBe('/auth/consent');
    expect(await page.locator('h1 .app-name').innerText()).toBe(APP_NAME);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${app.url}/callback`)), page.getByRole('button', { name: decision, exact: true }).click()]);
  }

  it("when the member allows a fhirclient app, then ready() completes the code exchange and the app reads the member's Patient and claims", async () => {
    const member = members[0];
    const page = await freshPage();
    await launchAndDecide(page, member, 'Allow');

    expect(failures).toEqual([]);
    expect(await page.locator('#patient-name').innerText()).toBe(member.name);
    expect(Number(await page.locator('#eob-count').innerText())).toBeGreaterThan(0);
    const view = seen.at(-1) as Seen;
    expect(view.patientId).toBe(srv.demo?.members[0].patient);
    // fhirclient reads fhirUser from the (unverified) id_token and keeps the last two segments.
    expect(view.fhirUser).toBe(`Patient/${view.patientId}`);
    expect(view.userType).toBe('Patient');
    expect(view.scope?.split(' ').sort()).toEqual(APP_SCOPE.split(' ').sort());
    expect(view.refreshToken).toEqual(expect.any(String));
  });

  it('when the fhirclient app refreshes its token, then it gets a new access token and refresh token that still read the Patient', async () => {
    const page = await freshPage();
    await launchAndDecide(page, members[1], 'Allow');
    const before = seen.at(-1) as Seen;

    await page.goto(`${app.url}/refresh`);
    expect(failures).toEqual([]);
    expect(await page.locator('#patient-name').innerText()).toBe(members[1].name);
    const after = seen.at(-1) as Seen;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toEqual(expect.any(String));
    expect(after.refreshToken).not.toBe(before.refreshToken);
  });

  it("when the member clicks Don't allow, then fhirclient's ready() rejects with access_denied and the app gets no token", async () => {
    const page = await freshPage();
    const count = seen.length;
    await launchAndDecide(page, members[2], "Don't allow");

    expect(await page.locator('#app-error').innerText()).toMatch(/^access_denied/);
    expect(failures.at(-1)).toMatch(/^access_denied/);
    expect(seen).toHaveLength(count);
  });
});
