/**
 * The member's Payer-to-Payer choices, after sign-in (CMS-0057-F 42 CFR 431.61(b): we ask another
 * payer for the member's data only when the member opted in, and the member may withdraw at any time).
 * One card per other payer on file: what that payer is to them, their choice now in plain words, and
 * one POST form with the one button that changes it. No JavaScript; every form carries the CSRF value.
 */
import { type SafeHtml, html, hiddenInputs, renderPage } from '../html.js';

export interface ExchangePayerChoice {
  /** `Organization/<id>`: the value the form sends back. */
  payer: string;
  /** The plan's name, or undefined when the Organization has none. */
  name?: string;
  /** Previous (ended), concurrent (covering the member now), or both when several coverages are on file. */
  kinds: ReadonlyArray<'previous' | 'concurrent'>;
  /** The member's IDs at that plan. */
  memberIds: readonly string[];
  /** The opt-in in force: until when (YYYY-MM-DD). */
  optIn?: { end?: string };
}

export interface PayerExchangeChoiceParams {
  userName: string;
  payers: readonly ExchangePayerChoice[];
  /** URL the forms POST to. */
  action: string;
  /** CSRF token, sent with every form. */
  hidden: Record<string, string>;
  accountUrl: string;
  notice?: string;
}

/** "March 3, 2030", or the text as given when it is not a date. */
export function formatDay(day: string): string {
  const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

const planName = (p: ExchangePayerChoice): string => p.name ?? 'Your other health plan';

function what(p: ExchangePayerChoice): string {
  const before = p.kinds.includes('previous');
  const now = p.kinds.includes('concurrent');
  if (before && now) return 'You had this plan before, and you have it now too.';
  return now ? 'You have this plan now, at the same time as us.' : 'You had this plan before us.';
}

function payerCard(p: PayerExchangeChoiceParams, payer: ExchangePayerChoice, i: number): SafeHtml {
  const headingId = `payer-${i}`;
  const name = planName(payer);
  const on = payer.optIn !== undefined;
  return html`<section class="card" aria-labelledby="${headingId}">
<h2 id="${headingId}">${name}</h2>
<p>${what(payer)}${payer.memberIds.length > 0 ? html` Your member ID there: <b>${payer.memberIds.join(', ')}</b>.` : ''}</p>
${
  on
    ? html`<p><strong>You said yes.</strong> We may ask this plan for your health records${payer.optIn?.end ? html` until <time datetime="${payer.optIn.end}">${formatDay(payer.optIn.end)}</time>` : ''}.</p>`
    : html`<p><strong>You have not said yes.</strong> We do not ask this plan for your health records.</p>`
}
<form method="post" action="${p.action}">
${hiddenInputs(p.hidden)}<input type="hidden" name="payer" value="${payer.payer}">
<input type="hidden" name="choice" value="${on ? 'out' : 'in'}">
${
  on
    ? html`<button type="submit" class="button danger">Stop getting my records<span class="visually-hidden"> from ${name}</span></button>`
    : html`<button type="submit" class="button primary">Yes, get my records<span class="visually-hidden"> from ${name}</span></button>`
}
</form>
</section>`;
}

export function payerExchangeChoicePage(p: PayerExchangeChoiceParams): string {
  const body = html`<h1>Getting your records from your other health plans</h1>
${p.notice ? html`<div class="notice" role="status"><p>${p.notice}</p></div>` : ''}
<p>You are signed in as <b>${p.userName}</b>.</p>
<p>With your OK, we ask your other health plans for your health records from the last five years.
We ask only the plans you say yes to. You can stop at any time.</p>
${
  p.payers.length > 0
    ? p.payers.map((payer, i) => payerCard(p, payer, i))
    : html`<p class="empty">We have no other health plans on file for you.
If you had another health plan in the last five years, or you have one now, call Member Customer Service. They can add it.</p>`
}
<p>If you stop, we do not ask that plan again. Records we already got stay with us.</p>
<p><a href="/payer-exchange">Learn more about getting your records from other health plans</a></p>
<p><a href="${p.accountUrl}">Back to your account</a></p>`;
  return renderPage({ title: 'Your other health plans', body });
}
