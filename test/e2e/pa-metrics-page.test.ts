/**
 * The public prior-authorization metrics page in headless Chromium, on the demo data: it renders with
 * its stylesheet under the strict CSP, both charts show bars whose numbers are the JSON download's, the
 * key figures on the page are the JSON's, the CSV downloads from its link, the services search filters
 * the list, nothing scrolls sideways on a phone, and screenshots are kept in test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { chromiumMissing, launchChromium, warnIfSkipped } from './browser-launch.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

warnIfSkipped('pa-metrics-page.test.ts');

interface Report {
  year: number;
  standard: { approved: number; partiallyApproved: number; denied: number; pended: number; approvedPercent: number | null; deniedPercent: number | null; distribution: number[] };
  expedited: { approved: number; approvedPercent: number | null; distribution: number[] };
  approvedAfterAppealPercent: number | null;
  itemsAndServices: Array<{ display: string; code: string }>;
}

describe.skipIf(chromiumMissing)('public prior-authorization metrics page in Chromium', { timeout: 30_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let report: Report;
  const year = new Date().getUTCFullYear() - 1;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ SEED_MEMBERS: '40' });
    report = (await (await fetch(`${srv.url}/metrics/prior-auth/${year}.json`)).json()) as Report;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    const res = await page.goto(`${srv.url}/metrics/prior-auth?year=${year}`);
    expect(res?.status()).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await srv?.stop();
  });

  it('when the page opens without a login, then it shows the year, its stylesheet applies and the CSP is not violated', async () => {
    expect(await page.locator('h1').innerText()).toContain(String(year));
    expect(await page.evaluate(() => getComputedStyle(document.body).fontSize)).toBe('18px');
    expect(cspViolations).toEqual([]);
    expect(report.standard.approved + report.expedited.approved).toBeGreaterThan(0);
  });

  it('when the charts show, then their bars are visible and carry the JSON numbers', async () => {
    const outcomes = page.locator('#chart-outcomes');
    expect(await outcomes.isVisible()).toBe(true);
    const bar = async (chart: string, row: string, series: string): Promise<number> => Number(await page.locator(`#${chart} g.bar-row[data-label="${row}"] rect[data-series="${series}"]`).getAttribute('data-value'));
    expect(await bar('chart-outcomes', 'Standard', 'Approved')).toBe(report.standard.approved);
    expect(await bar('chart-outcomes', 'Standard', 'Denied')).toBe(report.standard.denied);
    expect(await bar('chart-outcomes', 'Expedited', 'Approved')).toBe(report.expedited.approved);
    const box = await page.locator('#chart-outcomes rect[data-series="Approved"]').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(0);
    const times = await page.locator('#chart-times rect[data-series="Standard"]').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value'))));
    expect(times).toEqual(report.standard.distribution);
  });

  it('when the key figures are read, then they are the JSON percentages', async () => {
    const text = async (id: string): Promise<string> => page.locator(`#${id}`).innerText();
    const pctText = (v: number | null): string => (v === null ? 'no determined requests' : `${v.toFixed(1)}%`);
    expect(await text('standard-approved')).toBe(pctText(report.standard.approvedPercent));
    expect(await text('standard-denied')).toBe(pctText(report.standard.deniedPercent));
    expect(await text('expedited-approved')).toBe(pctText(report.expedited.approvedPercent));
    expect(await text('approved-after-appeal')).toBe(pctText(report.approvedAfterAppealPercent));
  });

  it('when the CSV link is followed, then the file downloads with the same approval percentages', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a', { hasText: 'CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`prior-authorization-metrics-${year}.csv`);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    const approved = csv.split('\r\n').find((l) => l.startsWith('approved,'))?.split(',');
    expect(approved?.[1]).toBe(report.standard.approvedPercent === null ? '' : String(report.standard.approvedPercent));
  });

  it('when the services list is searched, then only matching items and services stay', async () => {
    const target = report.itemsAndServices[0];
    await page.locator('#q').fill(target.code);
    await Promise.all([page.waitForNavigation(), page.locator('form[role="search"] button').click()]);
    const rows = await page.locator('table.services tbody tr').count();
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(rows).toBeLessThan(report.itemsAndServices.length);
    expect(await page.locator('table.services tbody').innerText()).toContain(target.code);
  });

  it('when shown on a phone (390×844), then nothing scrolls sideways and screenshots are saved', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.goto(`${srv.url}/metrics/prior-auth?year=${year}`);
    await page.screenshot({ path: join(ARTIFACTS, 'pa-metrics-desktop.png'), fullPage: true });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p2 = await phone.newPage();
    await p2.goto(`${srv.url}/metrics/prior-auth?year=${year}`);
    const size = await p2.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    // The charts' 14-unit text as drawn, in CSS pixels: readable on the phone, not outsized on the desktop.
    const textPx = (q: typeof page): Promise<number[]> => q.evaluate(() => [...document.querySelectorAll('svg.chart')].map((svg) => ((svg as SVGSVGElement).getScreenCTM()?.a ?? 0) * 14));
    const phoneText = await textPx(p2);
    const desktopText = await textPx(page);
    // Both charts, cut from the full page (an element screenshot is offset under mobile emulation).
    const charts = await p2.evaluate(() => {
      const a = document.querySelector('#chart-outcomes')!.getBoundingClientRect();
      const b = document.querySelector('#chart-times')!.getBoundingClientRect();
      return { x: 0, y: a.top + window.scrollY - 8, width: window.innerWidth, height: b.bottom - a.top + 16 };
    });
    await p2.screenshot({ path: join(ARTIFACTS, 'pa-metrics-phone-charts.png'), fullPage: true, clip: charts });
    await p2.screenshot({ path: join(ARTIFACTS, 'pa-metrics-phone.png'), fullPage: true });
    await phone.close();
    // The layout keeps the phone's width (a page wider than the screen makes mobile Chromium zoom out,
    // which widens innerWidth too), and nothing overflows it.
    expect(size.innerWidth).toBe(390);
    expect(size.scrollWidth).toBeLessThanOrEqual(390);
    expect(phoneText).toHaveLength(2);
    for (const px of phoneText) expect(px).toBeGreaterThanOrEqual(13);
    for (const px of desktopText) expect(px).toBeLessThanOrEqual(24);
  });
});
