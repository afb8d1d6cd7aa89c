/**
 * The member's Payer-to-Payer page after sign-in (payer-exchange-choice-page.ts): one card per other
 * payer with the choice in plain words and one form whose button changes it; every form carries the
 * CSRF value, the payer and the choice; untrusted names are escaped; the page meets the accessibility
 * basics of the other account pages. Also `choicesByPayer`, which folds a member's coverages into one
 * entry per payer.
 */
import { describe, expect, it } from 'vitest';
import type { Consent } from '@medplum/fhirtypes';
import { formatDay, payerExchangeChoicePage, type PayerExchangeChoiceParams } from '../../../src/web/pages/payer-exchange-choice-page.js';
import { choicesByPayer } from '../../../src/apis/payer-to-payer/member-opt-in-routes.js';
import type { OtherPayer } from '../../../src/apis/payer-to-payer/member-choice.js';
import { allTags, stripTags } from '../../helpers/html.js';

const base: PayerExchangeChoiceParams = {
  userName: 'Ana Silva',
  payers: [
    { payer: 'Organization/old-plan', name: 'Old Plan', kinds: ['previous'], memberIds: ['OP-1'] },
    { payer: 'Organization/job-plan', name: 'Job Plan', kinds: ['concurrent'], memberIds: ['JP-9'], optIn: { end: '2031-05-02' } },
  ],
  action: 'https://m.example.org/account/payer-exchange',
  hidden: { csrf: 'tok' },
  accountUrl: 'https://m.example.org/account',
};

function forms(page: string): Array<{ attrs: Map<string, string>; inner: string; hidden: Map<string, string> }> {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
    attrs: allTags(`<form${m[1]}>`)[0].attrs,
    inner: m[2],
    hidden: new Map(allTags(m[2]).filter((t) => t.name === 'input' && t.attrs.get('type') === 'hidden').map((t) => [t.attrs.get('name') ?? '', t.attrs.get('value') ?? ''])),
  }));
}

/** Text as read: tags stripped, and no space before a full stop that followed an inline element. */
const textOf = (html: string): string => stripTags(html).replace(/ \./g, '.');
const cards = (page: string): string[] => [...page.matchAll(/<section class="card"[\s\S]*?<\/section>/g)].map((m) => m[0]);

describe('payer exchange choice page', () => {
  const page = payerExchangeChoicePage(base);

  it('when a member has two other payers, then there is one card and one POST form per payer, each with the CSRF value, the payer and the choice that changes it', () => {
    expect(cards(page)).toHaveLength(2);
    const f = forms(page);
    expect(f).toHaveLength(2);
    for (const form of f) {
      expect(form.attrs.get('method')).toBe('post');
      expect(form.attrs.get('action')).toBe(base.action);
      expect(form.hidden.get('csrf')).toBe('tok');
    }
    expect(f.map((x) => [x.hidden.get('payer'), x.hidden.get('choice')])).toEqual([
      ['Organization/old-plan', 'in'],
      ['Organization/job-plan', 'out'],
    ]);
  });

  it('when the member has not opted in for a payer, then the card says so and its button says yes, naming the plan for screen readers', () => {
    const [old] = cards(page);
    expect(textOf(old)).toContain('You have not said yes. We do not ask this plan for your health records.');
    expect(textOf(old)).toContain('You had this plan before us.');
    expect(textOf(old)).toContain('Your member ID there: OP-1');
    expect(old).toMatch(/<button type="submit" class="button primary">Yes, get my records<span class="visually-hidden"> from Old Plan<\/span><\/button>/);
  });

  it('when the member has opted in, then the card says until when, and its button stops it', () => {
    const [, job] = cards(page);
    expect(textOf(job)).toContain('You said yes. We may ask this plan for your health records until May 2, 2031.');
    expect(job).toContain('<time datetime="2031-05-02">');
    expect(textOf(job)).toContain('You have this plan now, at the same time as us.');
    expect(job).toMatch(/class="button danger">Stop getting my records<span class="visually-hidden"> from Job Plan/);
  });

  it('when a notice is given, then it is a status message; when none, there is none', () => {
    expect(payerExchangeChoicePage({ ...base, notice: 'Done.' })).toContain('<div class="notice" role="status"><p>Done.</p></div>');
    expect(page).not.toContain('role="status"');
  });

  it('when the member has no other payer on file, then there is no form and the page says how to add one', () => {
    const empty = payerExchangeChoicePage({ ...base, payers: [] });
    expect(forms(empty)).toHaveLength(0);
    expect(stripTags(empty)).toContain('We have no other health plans on file for you.');
    expect(stripTags(empty)).toContain('call Member Customer Service');
  });

  it('when rendered, then it has one h1, one main, unique ids, headings naming each card, the explanation and account links, and no script or inline style', () => {
    expect(page.match(/<h1\b/g)).toHaveLength(1);
    expect(page.match(/<main\b/g)).toHaveLength(1);
    const ids = allTags(page).map((t) => t.attrs.get('id')).filter((x): x is string => x !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of page.matchAll(/<section class="card" aria-labelledby="([^"]*)">\s*<h2 id="([^"]*)">/g)) expect(m[2]).toBe(m[1]);
    expect(page).toContain('href="/payer-exchange"');
    expect(page).toContain(`href="${base.accountUrl}"`);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\sstyle="/);
  });

  it("when a payer's name, a member ID or the user's name holds markup or quotes, then they are shown as text", () => {
    const evil = '<script>alert(1)</script>';
    const q = 'x" onmouseover="alert(1)';
    const bad = payerExchangeChoicePage({ ...base, userName: evil, payers: [{ payer: q, name: evil, kinds: ['previous'], memberIds: [q] }] });
    expect(bad).not.toMatch(/<script/i);
    expect(bad).not.toContain('" onmouseover=');
    // The quotes stay inside the attribute: read back, the value is exactly what was given.
    expect(forms(bad)[0].hidden.get('payer')).toBe(q);
  });

  it('when a day is formatted, then it reads as a date in words, and a value that is not a date is shown as given', () => {
    expect(formatDay('2030-03-03')).toBe('March 3, 2030');
    expect(formatDay('soon')).toBe('soon');
  });
});

describe('choicesByPayer', () => {
  const consent = (id: string, end: string): Consent => ({ resourceType: 'Consent', id, status: 'active', scope: {}, category: [], provision: { period: { start: '2026-01-01', end } } });
  const other = (payer: string, kind: OtherPayer['kind'], extra: Partial<OtherPayer> = {}): OtherPayer => ({ payer, identifiers: [], coverage: `cov-${payer}-${kind}`, kind, ...extra });

  it('when a member has two coverages with one payer, then that payer is one entry with both kinds and member IDs, and its opt-in', () => {
    const out = choicesByPayer([
      other('Organization/a', 'previous', { name: 'A', memberId: 'A-1' }),
      other('Organization/b', 'concurrent'),
      other('Organization/a', 'concurrent', { name: 'A', memberId: 'A-2', optIn: consent('c1', '2031-01-01') }),
    ]);
    expect(out).toEqual([
      { payer: 'Organization/a', name: 'A', kinds: ['previous', 'concurrent'], memberIds: ['A-1', 'A-2'], optIn: { end: '2031-01-01' } },
      { payer: 'Organization/b', kinds: ['concurrent'], memberIds: [] },
    ]);
  });

  it('when a payer with both kinds is shown, then the card says the member had it before and has it now', () => {
    const page = payerExchangeChoicePage({ ...base, payers: choicesByPayer([other('Organization/a', 'previous'), other('Organization/a', 'concurrent')]) });
    expect(stripTags(page)).toContain('You had this plan before, and you have it now too.');
    expect(stripTags(page)).toContain('Your other health plan');
  });
});
