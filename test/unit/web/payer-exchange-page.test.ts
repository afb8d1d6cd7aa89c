/**
 * The public Payer-to-Payer page (CMS-0057-F, 42 CFR 431.61(b): plain-language material for members on
 * the exchange, its benefits, opting in and withdrawing), served by `payerExchangePublicPage` on a small
 * express app: headers, accessibility structure, the facts a member needs, escaping of the deployment
 * URL, and a reading-level measure (the same measures as the Provider Access page's test).
 */
import express, { type Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../../src/http/audience.js';
import { payerExchangePublicPage } from '../../../src/apis/payer-to-payer/member-opt-in-routes.js';
import { MEMBER_CONTACT_PLACEHOLDER } from '../../../src/web/pages/patient-access-page.js';
import { payerExchangePage } from '../../../src/web/pages/payer-exchange-page.js';
import { allTags, decode, stripTags } from '../../helpers/html.js';

const ISSUER = 'https://medicaid.example.org';

function appWith(issuer = ISSUER): Express {
  const app = express();
  payerExchangePublicPage(app, issuer);
  return app;
}

async function fetchPage(issuer = ISSUER): Promise<{ status: number; headers: Record<string, string>; page: string }> {
  const res = await request(appWith(issuer)).get('/payer-exchange');
  return { status: res.status, headers: res.headers as Record<string, string>, page: res.text };
}

const attributes = (tagInner: string): Map<string, string> => allTags(`<a ${tagInner}>`)[0].attrs;
const links = (page: string): Array<{ href: string; text: string }> =>
  [...page.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/g)].map((m) => ({ href: attributes(m[1]).get('href') ?? '', text: stripTags(m[2]) }));
const headings = (page: string): Array<{ level: number; text: string }> =>
  [...page.matchAll(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/g)].map((m) => ({ level: Number(m[1]), text: stripTags(m[2]) }));
const ids = (page: string): string[] => [...page.matchAll(/\sid="([^"]*)"/g)].map((m) => decode(m[1]));
/** The text of one section, named by its h2 id. */
const section = (page: string, id: string): string => stripTags(new RegExp(`<section aria-labelledby="${id}">([\\s\\S]*?)</section>`).exec(page)?.[1] ?? '');

/** What a member reads: <main>, each block element ending a sentence. */
function mainText(page: string): string {
  const main = /<main\b[^>]*>([\s\S]*?)<\/main>/.exec(page)?.[1] ?? '';
  return decode(main.replace(/<\/(p|li|h[1-6]|div)>/g, '. ').replace(/<[^>]*>/g, ' '));
}

function sentences(text: string): string[][] {
  return text
    .split(/[.!?:]+(?:\s|$)/)
    .map((s) => s.split(/\s+/).filter((w) => /[A-Za-z0-9]/.test(w)))
    .filter((words) => words.length > 0);
}

/** Vowel groups, less a silent final e: the usual estimate behind Flesch–Kincaid. */
function syllables(word: string): number {
  const w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (w.length === 0) return 0;
  const groups = w.replace(/(?:[^laeiouy]es|ed|[^laeiouy]e)$/, '').match(/[aeiouy]+/g);
  return Math.max(1, groups?.length ?? 0);
}

/** Flesch–Kincaid grade level: 0.39 (words/sentences) + 11.8 (syllables/words) − 15.59. */
function gradeLevel(all: string[][]): number {
  const words = all.flat();
  const syl = words.reduce((n, w) => n + syllables(w), 0);
  return 0.39 * (words.length / all.length) + 11.8 * (syl / words.length) - 15.59;
}

describe('GET /payer-exchange', () => {
  it('when anyone asks, without signing in, then it answers 200 HTML that shared caches may keep', async () => {
    const { status, headers } = await fetchPage();
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });

  it('when served, then it carries the strict Content-Security-Policy of the other public pages (no scripts, own stylesheet, never framed)', async () => {
    const { headers, page } = await fetchPage();
    expect(headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).toContain('<link rel="stylesheet" href="/assets/site.css">');
  });

  it('when the route is registered, then it is declared for the public audience', () => {
    expect(declaredRoutes(appWith())).toContainEqual(expect.objectContaining({ method: 'get', path: '/payer-exchange', audiences: ['public'] }));
  });

  it('when rendered twice for the same deployment, then the page is the same (no per-visitor data)', () => {
    expect(payerExchangePage({ issuer: ISSUER })).toBe(payerExchangePage({ issuer: ISSUER }));
  });
});

describe('payer exchange page structure (accessibility)', async () => {
  const { page } = await fetchPage();

  it('when rendered, then it has a language, a phone viewport and the header, nav, main and footer landmarks', () => {
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const landmark of ['header', 'nav', 'main', 'footer']) expect(page, landmark).toMatch(new RegExp(`<${landmark}\\b`));
    expect([...page.matchAll(/<main\b/g)]).toHaveLength(1);
  });

  it('when rendered, then there is exactly one h1, it comes first, and heading levels never skip one going down', () => {
    const hs = headings(page);
    expect(hs.filter((h) => h.level === 1)).toHaveLength(1);
    expect(hs[0].level).toBe(1);
    expect(hs[0].text).toContain('Payer-to-Payer');
    expect(hs.length).toBeGreaterThan(8);
    for (let i = 1; i < hs.length; i++) expect(hs[i].level, `"${hs[i].text}" after "${hs[i - 1].text}"`).toBeLessThanOrEqual(hs[i - 1].level + 1);
  });

  it('when rendered, then every heading and link has text, no link says only "here", ids are unique and in-page links have targets', () => {
    for (const h of headings(page)) expect(h.text).not.toBe('');
    const all = links(page);
    for (const a of all) {
      expect(a.text, `link to ${a.href}`).not.toBe('');
      expect(a.text.toLowerCase()).not.toMatch(/^(here|click here|more|read more|link)$/);
    }
    expect(new Set(ids(page)).size).toBe(ids(page).length);
    const inPage = all.filter((a) => a.href.startsWith('#'));
    expect(inPage.length).toBeGreaterThan(8);
    for (const a of inPage) expect(ids(page), a.href).toContain(a.href.slice(1));
  });

  it('when every section is a region, then it is named by its own heading', () => {
    const sections = [...page.matchAll(/<section aria-labelledby="([^"]*)">\s*<h2 id="([^"]*)">/g)];
    expect(sections.length).toBeGreaterThan(5);
    for (const m of sections) expect(m[2]).toBe(m[1]);
    expect([...page.matchAll(/<section\b/g)].length).toBe(sections.length);
  });
});

describe('payer exchange page content', async () => {
  const { page } = await fetchPage();
  const text = stripTags(page);

  it('when a member reads what moves, then claims, health records and prior authorizations of the last five years are named', () => {
    const shared = section(page, 'shared');
    for (const kind of ['Claims and visits', 'Health records', 'Prior authorizations']) expect(shared, kind).toContain(kind);
    expect(shared).toContain('last five years');
    expect(text).toContain('CMS-0057-F');
  });

  it('when a member reads what does not move, then payment amounts, drug prior authorizations and denied ones are excluded', () => {
    const notShared = section(page, 'not-shared');
    expect(notShared).toContain('what you paid or owe');
    expect(notShared).toContain('what the other plan paid your providers');
    expect(notShared).toContain('prior authorizations for prescription drugs');
    expect(notShared).toContain('prior authorizations that were denied');
  });

  it('when a member reads from whom, then previous and concurrent plans are named and asked about at enrollment', () => {
    const who = section(page, 'who');
    expect(who).toContain('When you enroll, we ask you about your other health plans');
    expect(who).toContain('a previous plan');
    expect(who).toContain('a concurrent plan');
    expect(who).toContain('at least every three months');
  });

  it('when a member reads how to say yes, then opting in is required, is per plan, lasts five years, and the account page is linked and named', () => {
    const optIn = section(page, 'opt-in');
    expect(optIn).toContain('We only ask another plan if you say yes');
    expect(optIn).toContain('If you do nothing, we do not ask');
    expect(optIn).toContain('You say yes for each plan on its own');
    expect(optIn).toContain('Your yes lasts five years');
    expect(optIn).toContain(`${ISSUER}/account/payer-exchange`);
    expect(optIn).toContain('Call Member Customer Service');
    const account = links(page).filter((a) => a.href === `${ISSUER}/account/payer-exchange`);
    expect(account).toHaveLength(1);
    expect(account[0].text).toMatch(/account/);
  });

  it('when a member reads how to stop, then withdrawing is possible at any time, counts at once, and stops further requests', () => {
    const withdraw = section(page, 'withdraw');
    expect(withdraw).toContain('You can take back your yes at any time');
    expect(withdraw).toContain('withdrawing');
    expect(withdraw).toContain('Your choice counts right away');
    expect(withdraw).toContain('we do not ask that plan again');
  });

  it('when a member reads what saying no means, then benefits and care stay the same, and the Patient Access page and contact are given', () => {
    expect(section(page, 'after')).toContain('Saying no does not change your Medicaid benefits');
    expect(links(page).map((a) => a.href)).toContain('/patient-access');
    expect(section(page, 'help')).toContain(MEMBER_CONTACT_PLACEHOLDER);
  });

  it('when a member reads about a new plan asking us, then we send only with their OK to that plan', () => {
    expect(section(page, 'other-way')).toContain('We send them only if you told that plan yes');
  });
});

describe('payer exchange page reading level', async () => {
  const { page } = await fetchPage();
  const all = sentences(mainText(page));

  it('when the text is measured, then sentences average fewer than 12 words and none is over 25', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.flat().length / all.length).toBeLessThan(12);
    const longest = all.reduce((a, b) => (b.length > a.length ? b : a));
    expect(longest.length, longest.join(' ')).toBeLessThanOrEqual(25);
  });

  it('when the text is measured, then its Flesch–Kincaid grade is 8 or lower', () => {
    expect(gradeLevel(all)).toBeLessThanOrEqual(8);
  });
});

describe('payer exchange page escaping', () => {
  it('when the issuer holds markup or quotes, then it is shown as text and never becomes a tag or attribute', async () => {
    const { page } = await fetchPage('https://x.example/a" onmouseover="alert(1)<script>');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain('" onmouseover=');
    for (const m of page.matchAll(/<[a-z][a-z0-9]*\b([^>]*)>/g)) {
      for (const name of attributes(m[1]).keys()) expect(name.startsWith('on'), name).toBe(false);
    }
    expect(links(page).map((a) => a.href)).toContain('https://x.example/a" onmouseover="alert(1)<script>/account/payer-exchange');
  });
});
