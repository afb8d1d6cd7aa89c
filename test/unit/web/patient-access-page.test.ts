/**
 * The public Patient Access page (issue 4, "Plain language"), served through `publicPages` on a small
 * express app: headers, accessibility structure, the links members and developers need, escaping of
 * the deployment URLs, and a reading-level measure of the member text.
 */
import express, { type Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../../src/http/audience.js';
import { publicPages } from '../../../src/web/routes/public-pages.js';
import { DEVELOPER_CONTACT_PLACEHOLDER, MEMBER_CONTACT_PLACEHOLDER } from '../../../src/web/pages/patient-access-page.js';
import { allTags, decode, stripTags } from '../../helpers/html.js';

const ISSUER = 'https://medicaid.example.org';
const FHIR_BASE = `${ISSUER}/fhir`;

function appWith(deps: { fhirBase: string; issuer: string }): Express {
  const app = express();
  publicPages(app, deps);
  return app;
}

async function fetchPage(deps = { fhirBase: FHIR_BASE, issuer: ISSUER }): Promise<{ status: number; headers: Record<string, string>; page: string }> {
  const res = await request(appWith(deps)).get('/patient-access');
  return { status: res.status, headers: res.headers as Record<string, string>, page: res.text };
}

function attributes(tagInner: string): Map<string, string> {
  return allTags(`<a ${tagInner}>`)[0].attrs;
}

function links(page: string): Array<{ href: string; text: string }> {
  return [...page.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/g)].map((m) => ({ href: attributes(m[1]).get('href') ?? '', text: stripTags(m[2]) }));
}

function headings(page: string): Array<{ level: number; text: string }> {
  return [...page.matchAll(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/g)].map((m) => ({ level: Number(m[1]), text: stripTags(m[2]) }));
}

const ids = (page: string): string[] => [...page.matchAll(/\sid="([^"]*)"/g)].map((m) => decode(m[1]));

/** What a member reads: <main> without the developer section, each block element ending a sentence. */
function memberText(page: string): string {
  const main = /<main\b[^>]*>([\s\S]*?)<\/main>/.exec(page)?.[1] ?? '';
  const withoutDevelopers = main.replace(/<section aria-labelledby="developers">[\s\S]*?<\/section>/, '');
  expect(withoutDevelopers.length, 'the developer section was found and removed').toBeLessThan(main.length);
  return decode(withoutDevelopers.replace(/<\/(p|li|h[1-6]|div)>/g, '. ').replace(/<[^>]*>/g, ' '));
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

describe('readability measures', () => {
  it('when counted on known text, then sentences, words and syllables come out as expected', () => {
    const s = sentences('You can stop an app. It is your choice!');
    expect(s.map((x) => x.length)).toEqual([5, 4]);
    expect(['app', 'choice', 'information', 'the'].map(syllables)).toEqual([1, 1, 4, 1]);
    // "The cat sat on the mat." is the classic near-zero grade text.
    expect(gradeLevel(sentences('The cat sat on the mat.'))).toBeLessThan(0);
  });
});

describe('GET /patient-access', () => {
  it('when anyone asks, without signing in, then it answers 200 HTML that shared caches may keep', async () => {
    const { status, headers } = await fetchPage();
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });

  it('when served, then it carries the same strict Content-Security-Policy as the sign-in pages (no scripts, own stylesheet, never framed)', async () => {
    const { headers, page } = await fetchPage();
    expect(headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).toContain('<link rel="stylesheet" href="/assets/site.css">');
  });

  it('when the route is registered, then it is declared for the public audience', () => {
    const app = appWith({ fhirBase: FHIR_BASE, issuer: ISSUER });
    expect(declaredRoutes(app)).toContainEqual(expect.objectContaining({ method: 'get', path: '/patient-access', audiences: ['public'] }));
  });
});

describe('patient access page structure (accessibility)', async () => {
  const { page } = await fetchPage();

  it('when rendered, then it has a language, a phone viewport and the header, nav, main and footer landmarks', () => {
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const landmark of ['header', 'nav', 'main', 'footer']) expect(page, landmark).toMatch(new RegExp(`<${landmark}\\b`));
  });

  it('when rendered, then the first link skips to the main content', () => {
    expect(links(page)[0]).toEqual({ href: '#main', text: 'Skip to main content' });
    expect(ids(page)).toContain('main');
  });

  it('when rendered, then there is exactly one h1 and it comes first', () => {
    const hs = headings(page);
    expect(hs.filter((h) => h.level === 1)).toHaveLength(1);
    expect(hs[0].level).toBe(1);
    expect(hs[0].text).toContain('Patient Access API');
  });

  it('when rendered, then heading levels never skip one going down (h1 → h2 → h3)', () => {
    const hs = headings(page);
    expect(hs.length).toBeGreaterThan(5);
    for (let i = 1; i < hs.length; i++) {
      expect(hs[i].level, `"${hs[i].text}" after "${hs[i - 1].text}"`).toBeLessThanOrEqual(hs[i - 1].level + 1);
    }
  });

  it('when rendered, then every heading and every link has text, and ids are unique', () => {
    for (const h of headings(page)) expect(h.text).not.toBe('');
    const all = links(page);
    expect(all.length).toBeGreaterThan(5);
    for (const a of all) expect(a.text, `link to ${a.href}`).not.toBe('');
    expect(new Set(ids(page)).size).toBe(ids(page).length);
  });

  it('when a link says only "here" or "click", then it would not make sense alone, so there is none', () => {
    for (const a of links(page)) expect(a.text.toLowerCase()).not.toMatch(/^(here|click here|more|read more|link)$/);
  });

  it('when a link points inside the page, then its target exists', () => {
    const inPage = links(page).filter((a) => a.href.startsWith('#'));
    expect(inPage.length).toBeGreaterThan(5);
    for (const a of inPage) expect(ids(page), a.href).toContain(a.href.slice(1));
  });

  it('when every section is a region, then it is named by its own heading', () => {
    for (const m of page.matchAll(/<section aria-labelledby="([^"]*)">\s*<h2 id="([^"]*)">/g)) expect(m[2]).toBe(m[1]);
    expect([...page.matchAll(/<section\b/g)].length).toBe([...page.matchAll(/<section aria-labelledby="[^"]*">\s*<h2 id=/g)].length);
  });
});

describe('patient access page content', async () => {
  const { page } = await fetchPage();
  const text = stripTags(page);

  it('when a member wants to stop an app, then a link leads to the account page where they can remove it', () => {
    const account = links(page).filter((a) => a.href === `${ISSUER}/account`);
    expect(account).toHaveLength(1);
    expect(account[0].text).toMatch(/account page/);
    expect(text).toContain('Remove access');
  });

  it('when a developer reads on, then the FHIR base, SMART configuration, CapabilityStatement and registration endpoint are given', () => {
    expect(text).toContain(`FHIR base URL: ${FHIR_BASE}`);
    expect(links(page).map((a) => a.href)).toEqual(expect.arrayContaining([`${FHIR_BASE}/.well-known/smart-configuration`, `${FHIR_BASE}/metadata`]));
    expect(text).toContain(`${ISSUER}/auth/register`);
  });

  it('when a developer looks for the standards, then CARIN Blue Button 2.1, US Core 6.1 and Da Vinci PDex are linked', () => {
    const byText = new Map(links(page).map((a) => [a.text, a.href]));
    expect(byText.get('CARIN Blue Button 2.1')).toBe('https://hl7.org/fhir/us/carin-bb/STU2.1/');
    expect(byText.get('US Core 6.1')).toBe('https://hl7.org/fhir/us/core/STU6.1/');
    expect(byText.get('Da Vinci Payer Data Exchange (PDex)')).toBe('https://hl7.org/fhir/us/davinci-pdex/');
  });

  it('when a member reads what an app gets, then the rule, the 2016 start, the kinds of data and the drug exclusion are stated', () => {
    expect(text).toContain('CMS-0057-F');
    expect(text).toContain('January 1, 2016');
    for (const kind of ['Claims and visits', 'Health records', 'Prior authorizations', 'Your coverage']) {
      expect(headings(page).map((h) => h.text), kind).toContain(kind);
    }
    expect(text).toContain('what we paid');
    expect(text).toContain('what you owe');
    expect(text).toContain('the reason, if we said no');
    expect(text).toContain('the app can see the change right away');
    expect(text).toContain('Prior authorizations for prescription drugs are not included');
  });

  it('when a member connects an app, then the sign-in factors and the choice to untick or refuse are explained', () => {
    expect(text).toContain('Member ID, your date of birth and your password');
    expect(text).toContain(`It starts with ${ISSUER}/`);
    expect(text).toContain('Untick anything you do not want to share');
    expect(text).toContain("Don't allow");
  });

  it('when a member reads about privacy, then HIPAA, the privacy policy and where to complain are covered', () => {
    expect(text).toContain('Most health apps do not have to follow HIPAA');
    expect(text).toContain('read its privacy policy');
    const hrefs = links(page).map((a) => a.href);
    expect(hrefs).toContain('https://www.hhs.gov/ocr/complaints/');
    expect(hrefs).toContain('https://reportfraud.ftc.gov/');
  });

  it('when the program has not given its contact details yet, then visible placeholders say so', () => {
    expect(text).toContain(MEMBER_CONTACT_PLACEHOLDER);
    expect(text).toContain(DEVELOPER_CONTACT_PLACEHOLDER);
    expect(MEMBER_CONTACT_PLACEHOLDER).toMatch(/^\[To be filled in by the program: .*\]$/);
  });
});

describe('patient access page reading level', async () => {
  const { page } = await fetchPage();
  const member = sentences(memberText(page));

  it('when the member text is measured, then sentences average fewer than 12 words and none is over 25', () => {
    expect(member.length).toBeGreaterThan(40);
    const words = member.flat().length;
    expect(words / member.length).toBeLessThan(12);
    const longest = member.reduce((a, b) => (b.length > a.length ? b : a));
    expect(longest.length, longest.join(' ')).toBeLessThanOrEqual(25);
  });

  it('when the member text is measured, then its Flesch–Kincaid grade is 8 or lower', () => {
    expect(gradeLevel(member)).toBeLessThanOrEqual(8);
  });
});

describe('patient access page escaping', () => {
  it('when the FHIR base or issuer holds markup or quotes, then it is shown as text and never becomes a tag or attribute', async () => {
    const evil = '<script>alert(1)</script>';
    const { page } = await fetchPage({ fhirBase: `https://x.example/fhir${evil}`, issuer: 'https://x.example/a" onmouseover="alert(1)' });
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('https://x.example/fhir&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('" onmouseover=');
    for (const m of page.matchAll(/<[a-z][a-z0-9]*\b([^>]*)>/g)) {
      for (const name of attributes(m[1]).keys()) expect(name.startsWith('on'), name).toBe(false);
    }
    expect(links(page).map((a) => a.href)).toContain('https://x.example/a" onmouseover="alert(1)/account');
  });
});
