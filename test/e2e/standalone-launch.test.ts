/**
 * A member's standalone launch in a real browser (SMART App Launch 2.x §App Launch: Launch and
 * Authorization, "standalone launch"): a small public app on 127.0.0.1 sends headless Chromium to the
 * authorization endpoint with PKCE S256; the member signs in with Member ID, date of birth and password,
 * reads the consent page and allows; the app exchanges the code and reads the member's Patient and
 * claims with the token. Also the "Don't allow" path (RFC 6749 §4.1.2.1 access_denied) and removing the
 * app on the account page (the SMART management_endpoint), after which its token is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Bundle, ExplanationOfBenefit, Patient } from '@medplum/fhirtypes';
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

const APP_NAME = 'Benefits Viewer (e2e)';
const FHIR_JSON = { Accept: 'application/fhir+json' };
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

interface TokenBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  patient?: string;
  id_token?: string;
  refresh_token?: string;
  error?: string;
}

interface Launch {
  state: string;
  verifier: string;
  nonce: string;
}

/** What the app's /callback saw, for the Node-side assertions. */
interface Callback {
  state: string | null;
  error?: string;
  token?: TokenBody;
  patientStatus?: number;
  patientName?: string;
  eobCount?: number;
  /** The distinct `patient` references of the claims returned. */
  eobPatients?: string[];
}

warnIfSkipped('standalone-launch.test.ts');

describe.skipIf(chromiumMissing)('standalone launch of a public SMART app in Chromium', { timeout: 20_000 }, () => {
  let srv: TestServer;
  let app: LocalApp;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let clientId: string;
  let password: string;
  let members: DemoMember[];
  const launches: Launch[] = [];
  const callbacks: Callback[] = [];

  const redirectUri = (): string => `${app.url}/callback`;

  /** The app's two pages: /launch starts the authorization request, /callback finishes it and shows the member's data. */
  async function appPage(res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/launch') {
      const discovery = (await (await fetch(`${srv.baseUrl}/.well-known/smart-configuration`)).json()) as { authorization_endpoint: string };
      const launch: Launch = { state: randomBytes(16).toString('base64url'), verifier: randomBytes(32).toString('base64url'), nonce: randomBytes(12).toString('base64url') };
      launches.push(launch);
      const target = new URL(discovery.authorization_endpoint);
      target.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri(),
        scope: APP_SCOPE,
        state: launch.state,
        nonce: launch.nonce,
        aud: srv.baseUrl,
        code_challenge: createHash('sha256').update(launch.verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      res.writeHead(302, { Location: target.toString() });
      res.end();
      return;
    }
    if (url.pathname !== '/callback') return sendHtml(res, 404, '<p>Not found</p>');
    const seen: Callback = { state: url.searchParams.get('state') };
    callbacks.push(seen);
    const launch = launches.find((l) => l.state === seen.state);
    if (!launch) return sendHtml(res, 400, '<p id="app-error">Unknown state</p>');
    const error = url.searchParams.get('error');
    if (error) {
      seen.error = error;
      return sendHtml(res, 200, `<h1>Not connected</h1><p id="app-denied">${escapeHtml(error)}</p>`);
    }
    const tokenRes = await fetch(`${srv.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '', redirect_uri: redirectUri(), client_id: clientId, code_verifier: launch.verifier }),
    });
    const token = (await tokenRes.json()) as TokenBody;
    seen.token = token;
    if (!token.access_token || !token.patient) return sendHtml(res, 502, `<p id="app-error">Token refused: ${escapeHtml(JSON.stringify(token))}</p>`);
    const auth = { ...FHIR_JSON, Authorization: `Bearer ${token.access_token}` };
    const patientRes = await fetch(`${srv.baseUrl}/Patient/${encodeURIComponent(token.patient)}`, { headers: auth });
    seen.patientStatus = patientRes.status;
    const patient = (await patientRes.json()) as Patient;
    const eobs = (await (await fetch(`${srv.baseUrl}/ExplanationOfBenefit?patient=${encodeURIComponent(token.patient)}`, { headers: auth })).json()) as Bundle;
    seen.patientName = displayName(patient);
    seen.eobCount = eobs.total ?? eobs.entry?.length ?? 0;
    seen.eobPatients = [...new Set(eobs.entry?.map((e) => (e.resource as ExplanationOfBenefit).patient?.reference ?? ''))];
    sendHtml(res, 200, `<h1>Hello, <span id="patient-name">${escapeHtml(seen.patientName)}</span></h1><p>Claims on file: <span id="eob-count">${seen.eobCount}</span></p>`);
  }

  beforeAll(async () => {
    srv = await startTestServer({ SEED_MEMBERS: '3' });
    if (!srv.demo) throw new Error('the test server created no demo logins');
    password = srv.demo.password;
    members = srv.demo.members;
    app = await startLocalApp((_req, res, url) => appPage(res, url));
    clientId = await registerPublicApp(srv, APP_NAME, redirectUri());
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

  /** App → authorization endpoint → sign-in page → consent page. */
  async function reachConsent(page: Page, member: DemoMember): Promise<void> {
    await page.goto(`${app.url}/launch`);
    await signInAsMember(page, APP_NAME, member, password);
    expect(new URL(page.url()).pathname).toBe('/auth/consent');
  }

  async function allow(page: Page): Promise<void> {
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri())), page.getByRole('button', { name: 'Allow', exact: true }).click()]);
  }

  it('when a member signs in and allows the app, then the app shows their name and claims and holds a verifiable id_token and a refresh token', async () => {
    const member = members[0];
    const page = await freshPage();
    await reachConsent(page, member);

    await expect.poll(() => page.locator('h1 .app-name').innerText()).toBe(APP_NAME);
    const labels = await page.locator('ul.checks label').allInnerTexts();
    expect(labels).toEqual(expect.arrayContaining(['Read and search all your health and insurance records', 'Know which member you chose to share', 'Keep access after you close the app, until you revoke it']));
    for (const raw of APP_SCOPE.split(' ')) expect(labels.join('\n')).not.toContain(raw);
    const boxes = await page.locator('ul.checks input[type=checkbox]').all();
    expect(boxes).toHaveLength(APP_SCOPE.split(' ').length);
    for (const box of boxes) expect(await box.isChecked()).toBe(true);
    // The member may untick what the app can work without; launch/patient and openid are fixed.
    expect(await page.locator('ul.checks input[name=scope][value="patient/*.rs"]').isEnabled()).toBe(true);
    expect(await page.locator('ul.checks input[type=checkbox]:disabled').count()).toBe(2);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'consent.png'), fullPage: true });

    await allow(page);
    expect(await page.locator('#patient-name').innerText()).toBe(member.name);
    expect(Number(await page.locator('#eob-count').innerText())).toBeGreaterThan(0);

    const seen = callbacks.at(-1) as Callback;
    const launch = launches.at(-1) as Launch;
    expect(seen.state).toBe(launch.state);
    expect(seen.patientStatus).toBe(200);
    expect(seen.eobPatients).toEqual([`Patient/${srv.demo?.members[0].patient}`]);
    const token = seen.token as TokenBody;
    expect(token.token_type).toBe('Bearer');
    expect(token.patient).toBe(srv.demo?.members[0].patient);
    expect(token.scope?.split(' ').sort()).toEqual(APP_SCOPE.split(' ').sort());
    expect(token.expires_in).toBeGreaterThan(0);
    expect(token.refresh_token).toEqual(expect.any(String));
    const { payload } = await jwtVerify(token.id_token as string, createRemoteJWKSet(new URL(`${srv.url}/.well-known/jwks.json`)), { issuer: srv.url, audience: clientId });
    expect(payload.fhirUser).toBe(`${srv.baseUrl}/Patient/${token.patient}`);
    expect(payload.nonce).toBe(launch.nonce);
  });

  it("when the member clicks Don't allow, then the app's callback gets error=access_denied with its own state and no code", async () => {
    const page = await freshPage();
    await reachConsent(page, members[1]);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri())), page.getByRole('button', { name: "Don't allow" }).click()]);

    expect(await page.locator('#app-denied').innerText()).toBe('access_denied');
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe((launches.at(-1) as Launch).state);
    expect(landed.searchParams.has('code')).toBe(false);
    expect((callbacks.at(-1) as Callback).error).toBe('access_denied');
  });

  it('when the member removes the app on the account page, then the app is gone from the page and its access and refresh tokens are refused', async () => {
    const page = await freshPage();
    await reachConsent(page, members[2]);
    await allow(page);
    const token = (callbacks.at(-1) as Callback).token as TokenBody;
    const bearer = { ...FHIR_JSON, Authorization: `Bearer ${token.access_token}` };
    const patientUrl = `${srv.baseUrl}/Patient/${token.patient}`;
    expect((await fetch(patientUrl, { headers: bearer })).status).toBe(200);

    await page.goto(`${srv.url}/account`);
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: APP_NAME }) });
    await expect.poll(() => card.count()).toBe(1);
    await Promise.all([page.waitForLoadState('load'), card.getByRole('button', { name: /Remove access/ }).click()]);
    await expect.poll(() => page.locator('[role=status]').innerText()).toContain(`${APP_NAME} can no longer see your information`);
    expect(await page.getByRole('heading', { name: APP_NAME }).count()).toBe(0);

    expect((await fetch(patientUrl, { headers: bearer })).status).toBe(401);
    const refreshed = await fetch(`${srv.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token ?? '', client_id: clientId }),
    });
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as TokenBody).error).toBe('invalid_grant');
  });
});
