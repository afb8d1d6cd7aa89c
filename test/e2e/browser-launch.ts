/**
 * What the browser tests share: headless Chromium from the system package (CI installs it in .ci/run),
 * a tiny "SMART app" web server on 127.0.0.1 port 0, registering that app as a public client, and the
 * member's steps on the sign-in page.
 *
 * Cookies are scoped by host, not port (RFC 6265 §8.5), so the app on 127.0.0.1 sees the server's
 * `smart_session` cookie too; an app that keeps its own cookie must use another name.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { HumanName, Patient } from '@medplum/fhirtypes';
import type { TestServer } from '../helpers/test-server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM_PATH);
export const SKIP_NOTE = `${CHROMIUM_PATH} is not installed, so the browser tests are skipped (.ci/run installs it with apt-get)`;

/** Standalone patient launch with OpenID Connect and a refresh token (SMART App Launch 2.x §Scopes). */
export const APP_SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs';

/** Prints why the browser tests of a file did not run; vitest only shows them as skipped. */
export function warnIfSkipped(file: string): void {
  if (chromiumMissing) console.warn(`${file}: ${SKIP_NOTE}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface LocalApp {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/** A node:http server for the app; a handler failure is answered as a 500 page naming the error, so the browser test shows it. */
export async function startLocalApp(handle: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>): Promise<LocalApp> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handle(req, res, url).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<h1>App error</h1><pre id="app-error">${escapeHtml(err instanceof Error ? err.message : String(err))}</pre>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html><head><title>Test app</title></head><body>${body}</body></html>`);
}

/** "Omar Diaz", as the demo logins name the member. */
export function displayName(patient: Patient): string {
  const name: HumanName | undefined = patient.name?.[0];
  return [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
}

/** Registers the app as a public client (no secret; PKCE protects the code) with the patient-app ceiling. */
export async function registerPublicApp(srv: TestServer, name: string, redirectUri: string): Promise<string> {
  const { client } = await srv.auth.deps.clients.register({
    name,
    role: 'app',
    authMethod: 'none',
    redirectUris: [redirectUri],
    scopes: ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access', 'patient/*.rs'],
  });
  return client._id;
}

export interface DemoMember {
  memberId: string;
  birthDate: string;
  name: string;
}

/** On the server's sign-in page: checks it names the app, fills the member fields and submits. Resolves on the next page. */
export async function signInAsMember(page: Page, appName: string, member: DemoMember, password: string): Promise<void> {
  expect(new URL(page.url()).pathname).toBe('/auth/login');
  expect(await page.locator('.lead').innerText()).toContain(appName);
  await page.getByLabel('Member ID').fill(member.memberId);
  await page.getByLabel('Date of birth').fill(member.birthDate);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/auth/login'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
}
