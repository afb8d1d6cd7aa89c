/**
 * The public Patient Access page in a real browser at a phone's size (390×844 CSS pixels, a current
 * iPhone): it loads from the real server with its stylesheet under the strict CSP, nothing makes the
 * page scroll sideways (WCAG 2.2 §1.4.10 Reflow), and a screenshot is kept for review.
 *
 * Needs `publicPages` mounted in createApp (src/app.ts); until then GET /patient-access is a 404 and
 * the first test says so.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { chromiumMissing, launchChromium, warnIfSkipped } from './browser-launch.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
const PHONE = { width: 390, height: 844 };

warnIfSkipped('patient-access-page.test.ts');

describe.skipIf(chromiumMissing)('public Patient Access page on a phone in Chromium', { timeout: 20_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let status: number | undefined;
  const cspViolations: string[] = [];

  /** Every test starts here, so an unmounted route fails each one at once with the reason. */
  const expectLoaded = (): void => expect(status, 'GET /patient-access (is publicPages mounted in src/app.ts?)').toBe(200);

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    status = (await page.goto(`${srv.url}/patient-access`))?.status();
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await srv?.stop();
  });

  it('when a member opens /patient-access without signing in, then the page loads with its heading and stylesheet and no CSP violation', async () => {
    expectLoaded();
    await expect.poll(() => page.locator('h1').innerText()).toContain('Patient Access API');
    // site.css sets the body text to 1.125rem; 18px proves the stylesheet was allowed and applied.
    expect(await page.evaluate(() => getComputedStyle(document.body).fontSize)).toBe('18px');
    expect(cspViolations).toEqual([]);
  });

  it('when shown at 390×844, then nothing scrolls sideways (WCAG 1.4.10 Reflow) and a screenshot is saved', async () => {
    expectLoaded();
    const size = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(size.innerWidth).toBe(PHONE.width);
    expect(size.scrollWidth).toBeLessThanOrEqual(size.innerWidth);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'patient-access-page.png'), fullPage: true });
  });

  it('when a member follows the link to remove an app, then it reaches the account sign-in', async () => {
    expectLoaded();
    await Promise.all([page.waitForURL((u) => u.pathname === '/auth/login'), page.getByRole('link', { name: /account page/ }).click()]);
    await expect.poll(() => page.locator('h1').innerText()).toBe('Sign in');
  });
});
