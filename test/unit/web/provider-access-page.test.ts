/**
 * The public Provider Access page (CMS-0057-F, 42 CFR 431.61(a): plain-language material for members on
 * the API, its benefits and opting out, and for providers on how to use the API and attribution), served
 * through `publicPages` on a small express app: headers, accessibility structure, the facts each reader
 * needs, escaping of the deployment URLs, and a reading-level measure of the member part.
 */
import express, { type Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../../src/http/audience.js';
import { publicPages } from '../../../src/web/routes/public-pages.js';
import { MEMBER_CONTACT_PLACEHOLDER, patientAccessPage } from '../../../src/web/pages/patient-access-page.js';
import { PROVIDER_CONTACT_PLACEHOLDER, PROVIDER_EXPORT_TYPES, providerAccessPage } from '../../../src/web/pages/provider-access-page.js';
import { allTags, decode, stripTags } from '../../helpers/html.js';

const ISSUER = 'https://medicaid.example.org';
const FHIR_BASE = `${ISSUER}/fhir`;

function appWith(deps: { fhirBase: string; issuer: string }): Express {
  const app = express();
  publicPages(app, deps);
  return app;
}

async function fetchPage(deps = { fhirBase: FHIR_BASE, issuer: ISSUER }): Promise<{ status: number; headers: Record<string, string>; page: string }> {
  const res = await request(appWith(deps)).get('/provider-access');
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

/** The markup of one part of the page: a `<section>` named by its h2. */
function part(page: string, id: 'members' | 'providers'): string {
  const m = new RegExp(`<section aria-labelledby="${id}">([\\s\\S]*?)</section>`).exec(page);
  expect(m, `section ${id}`).not.toBeNull();
  return m?.[1] ?? '';
}

/** What a member reads: <main> without the provider part, each block element ending a sentence. */
function memberText(page: string): string {
  const main = /<main\b[^>]*>([\s\S]*?)<\/main>/.exec(page)?.[1] ?? '';
  const withoutProviders = main.replace(/<section aria-labelledby="providers">[\s\S]*?<\/section>/, '');
  expect(withoutProviders.length, 'the provider part was found and removed').toBeLessThan(main.length);
  return decode(withoutProviders.replace(/<\/(p|li|h[1-6]|div)>/g, '. ').replace(/<[^>]*>/g, ' '));
}

// The same measures as the Patient Access page's test, so both pages are held to one standard.
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

describe('GET /provider-access', () => {
  it('when anyone asks, without signing in, then it answers 200 HTML that shared caches may keep', async () => {
    const { status, headers } = await fetchPage();
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });

  it('when served, then it carries the same strict Content-Security-Policy as /patient-access (no scripts, own stylesheet, never framed)', async () => {
    const { headers, page } = await fetchPage();
    const patient = await request(appWith({ fhirBase: FHIR_BASE, issuer: ISSUER })).get('/patient-access');
    expect(headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(headers['content-security-policy']).toBe(patient.headers['content-security-policy']);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).toContain('<link rel="stylesheet" href="/assets/site.css">');
  });

  it('when the route is registered, then it is declared for the public audience', () => {
    const app = appWith({ fhirBase: FHIR_BASE, issuer: ISSUER });
    expect(declaredRoutes(app)).toContainEqual(expect.objectContaining({ method: 'get', path: '/provider-access', audiences: ['public'] }));
  });

  it('when rendered twice for the same deployment, then the page is the same (no per-visitor data)', () => {
    expect(providerAccessPage({ fhirBase: FHIR_BASE, issuer: ISSUER })).toBe(providerAccessPage({ fhirBase: FHIR_BASE, issuer: ISSUER }));
  });
});

describe('provider access page structure (accessibility)', async () => {
  const { page } = await fetchPage();

  it('when rendered, then it has a language, a phone viewport and the header, nav, main and footer landmarks', () => {
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const landmark of ['header', 'nav', 'main', 'footer']) expect(page, landmark).toMatch(new RegExp(`<${landmark}\\b`));
  });

  it('when rendered, then there is exactly one h1, it comes first, and the two parts are h2 "For members" and "For providers"', () => {
    const hs = headings(page);
    expect(hs.filter((h) => h.level === 1)).toHaveLength(1);
    expect(hs[0].level).toBe(1);
    expect(hs[0].text).toContain('Provider Access API');
    const h2 = hs.filter((h) => h.level === 2).map((h) => h.text);
    expect(h2).toEqual(expect.arrayContaining(['For members', 'For providers']));
    expect(h2.indexOf('For members')).toBeLessThan(h2.indexOf('For providers'));
  });

  it('when rendered, then heading levels never skip one going down (h1 → h2 → h3)', () => {
    const hs = headings(page);
    expect(hs.length).toBeGreaterThan(10);
    for (let i = 1; i < hs.length; i++) {
      expect(hs[i].level, `"${hs[i].text}" after "${hs[i - 1].text}"`).toBeLessThanOrEqual(hs[i - 1].level + 1);
    }
  });

  it('when rendered, then every heading and every link has text, no link says only "here", and ids are unique', () => {
    for (const h of headings(page)) expect(h.text).not.toBe('');
    const all = links(page);
    expect(all.length).toBeGreaterThan(10);
    for (const a of all) {
      expect(a.text, `link to ${a.href}`).not.toBe('');
      expect(a.text.toLowerCase()).not.toMatch(/^(here|click here|more|read more|link)$/);
    }
    expect(new Set(ids(page)).size).toBe(ids(page).length);
  });

  it('when a link points inside the page, then its target exists', () => {
    const inPage = links(page).filter((a) => a.href.startsWith('#'));
    expect(inPage.length).toBeGreaterThan(10);
    for (const a of inPage) expect(ids(page), a.href).toContain(a.href.slice(1));
  });

  it('when every section is a region, then it is named by its own heading', () => {
    for (const m of page.matchAll(/<section aria-labelledby="([^"]*)">\s*<h2 id="([^"]*)">/g)) expect(m[2]).toBe(m[1]);
    expect([...page.matchAll(/<section\b/g)].length).toBe([...page.matchAll(/<section aria-labelledby="[^"]*">\s*<h2 id=/g)].length);
  });
});

describe('provider access page, the member part', async () => {
  const { page } = await fetchPage();
  const members = part(page, 'members');
  const text = stripTags(members);
  const memberLinks = links(members);

  it('when a member wants to opt out or back in, then the account page is linked and named, and the app and phone ways are given', () => {
    const account = memberLinks.filter((a) => a.href === `${ISSUER}/account/provider-access`);
    expect(account).toHaveLength(1);
    expect(account[0].text).toMatch(/account/);
    expect(text).toContain(`${ISSUER}/account/provider-access`);
    expect(text).toContain('opt out at any time');
    expect(text).toContain('opt back in at any time');
    expect(text).toContain('Use a health app you trust that offers this choice');
    expect(text).toContain('Call Member Customer Service');
    expect(text).toContain(MEMBER_CONTACT_PLACEHOLDER);
  });

  it('when a member reads about opting out, then they learn they are in by default and that it takes effect at once, even for requests in progress', () => {
    expect(text).toContain('You are in Provider Access unless you say no');
    expect(text).toContain('Your choice counts right away');
    expect(text).toContain('we stop sharing at once');
    expect(text).toContain('This includes requests that we are still working on');
  });

  it('when a member reads what opting out means, then benefits and care stay the same and providers may still ask them directly', () => {
    expect(text).toContain('Opting out does not change your Medicaid benefits');
    expect(text).toContain('It does not change your care');
    expect(text).toContain('other ways the law allows');
    expect(text).toContain('they can still ask you for it');
  });

  it('when a member reads what is shared, then the kinds of data, the 2016 start and the benefits are stated', () => {
    for (const kind of ['Claims and visits', 'Health records', 'Prior authorizations']) expect(text, kind).toContain(kind);
    expect(text).toContain('January 1, 2016');
    expect(text).toContain('You may not need the same test twice');
    expect(text).toContain('CMS-0057-F');
  });

  it('when a member reads what is not shared, then amounts paid or owed and drug prior authorizations are excluded', () => {
    const notShared = /<h3 id="not-shared">[\s\S]*?<\/ul>/.exec(members)?.[0] ?? '';
    const items = stripTags(notShared);
    expect(items).toContain('what you paid or owe');
    expect(items).toContain('what we paid your providers');
    expect(items).toContain('prior authorizations for prescription drugs');
  });

  it('when a member reads which providers, then only in-network providers linked to them who say they treat them are named', () => {
    expect(text).toContain('Only providers in our network can get it');
    expect(text).toContain('primary care provider (your PCC or PCP)');
    expect(text).toContain('the provider has treated you');
    expect(text).toContain('A provider must also tell us that they treat you');
  });

  it('when a member wants to see their own data, then the Patient Access page is linked', () => {
    expect(memberLinks.map((a) => a.href)).toContain('/patient-access');
  });

  it('when the Patient Access page is read, then it links back to this page', () => {
    expect(links(patientAccessPage({ fhirBase: FHIR_BASE, issuer: ISSUER })).map((a) => a.href)).toContain('/provider-access');
  });
});

describe('provider access page, the provider part', async () => {
  const { page } = await fetchPage();
  const providers = part(page, 'providers');
  const text = stripTags(providers);
  const byText = new Map(links(providers).map((a) => [a.text, a.href]));

  it('when a provider looks for the endpoints, then the FHIR base, CapabilityStatement and SMART configuration (with its token endpoint) are given', () => {
    expect(text).toContain(`FHIR base URL: ${FHIR_BASE}`);
    const hrefs = links(providers).map((a) => a.href);
    expect(hrefs).toEqual(expect.arrayContaining([`${FHIR_BASE}/metadata`, `${FHIR_BASE}/.well-known/smart-configuration`]));
    expect(text).toContain('token_endpoint');
  });

  it('when a provider reads how to get the data, then Group export, member match, data export and per-member access are named', () => {
    expect(text).toContain(`${FHIR_BASE}/Group/[id]/$export`);
    expect(text).toContain(`${FHIR_BASE}/Group/$provider-member-match`);
    expect(text).toContain(`${FHIR_BASE}/Group/[id]/$davinci-data-export`);
    expect(text).toContain(`${FHIR_BASE}/Patient/[id]/$everything`);
    expect(text).toContain('patient=[id]');
    expect(text).toContain('Prefer: respond-async');
  });

  it('when a provider picks an exportType, then the three PDex provider codes are listed and provider-delta says _since is required', () => {
    const codes = PROVIDER_EXPORT_TYPES.map((t) => t.code);
    expect(codes).toEqual([
      'hl7.fhir.us.davinci-pdex#provider-download',
      'hl7.fhir.us.davinci-pdex#provider-delta',
      'hl7.fhir.us.davinci-pdex#provider-snapshot',
    ]);
    for (const code of codes) expect(text, code).toContain(code);
    expect(text).toMatch(/provider-delta\s*: [^;]*_since; _since is then required/);
  });

  it('when a provider reads what is left out, then remittances, cost-sharing, drug prior authorizations and opted-out members are excluded', () => {
    const excluded = stripTags(/<h3 id="provider-excluded">[\s\S]*?<\/ul>/.exec(providers)?.[0] ?? '');
    expect(excluded).toContain('provider remittances');
    expect(excluded).toContain('enrollee cost-sharing');
    expect(excluded).toContain('prior authorizations for prescription drugs');
    expect(excluded).toContain('opted out');
  });

  it('when a provider reads who may use it and how attribution works, then enrollment, Backend Services, the Primary User and the checks at each request are stated', () => {
    expect(text).toContain('In-network providers enrolled with the Medicaid program');
    expect(text).toContain('SMART Backend Services client');
    expect(text).toContain('Primary User');
    expect(text).toContain('PID/SLs');
    expect(text).toContain('Primary Care Clinician (PCC)');
    expect(text).toContain('recent claims');
    expect(text).toContain('treatment attestation');
    expect(text).toContain('the member must be enrolled on that day and attributed to your organization');
    expect(text).toContain('Members who opted out are left out');
  });

  it('when a provider looks for the standards, then Bulk Data 2.0, PDex 2.2, SMART Backend Services and ATR are linked', () => {
    expect(byText.get('Bulk Data Access 2.0')).toBe('https://hl7.org/fhir/uv/bulkdata/STU2/');
    expect(byText.get('Da Vinci PDex 2.2')).toBe('https://hl7.org/fhir/us/davinci-pdex/STU2.2/');
    expect(byText.get('SMART Backend Services')).toBe('https://hl7.org/fhir/smart-app-launch/backend-services.html');
    expect(byText.get('Da Vinci ATR')).toBe('https://hl7.org/fhir/us/davinci-atr/');
  });

  it('when the program has not given its contact details yet, then a visible placeholder says so', () => {
    expect(text).toContain(PROVIDER_CONTACT_PLACEHOLDER);
    expect(PROVIDER_CONTACT_PLACEHOLDER).toMatch(/^\[To be filled in by the program: .*\]$/);
  });
});

describe('provider access page reading level (member part)', async () => {
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

describe('provider access page escaping', () => {
  it('when the FHIR base or issuer holds markup or quotes, then it is shown as text and never becomes a tag or attribute', async () => {
    const evil = '<script>alert(1)</script>';
    const { page } = await fetchPage({ fhirBase: `https://x.example/fhir${evil}`, issuer: 'https://x.example/a" onmouseover="alert(1)' });
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('https://x.example/fhir&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('" onmouseover=');
    for (const m of page.matchAll(/<[a-z][a-z0-9]*\b([^>]*)>/g)) {
      for (const name of attributes(m[1]).keys()) expect(name.startsWith('on'), name).toBe(false);
    }
    expect(links(page).map((a) => a.href)).toContain('https://x.example/a" onmouseover="alert(1)/account/provider-access');
  });
});
