/**
 * The reviewers' work queue (payer staff, after sign-in): pended prior-authorization requests, soonest
 * deadline first, each with its member, requester, what is pended and why, how long is left, and a form
 * to decide (approve, approve a smaller quantity, deny with a specific reason) or to extend a standard
 * request's timeframe. No JavaScript; every form carries the session's CSRF token.
 */
import { html, hiddenInputs, renderPage } from '../html.js';

export interface ReviewPageEntry {
  id: string;
  trackingNumber: string;
  patient: string;
  requestor?: string;
  priority: 'expedited' | 'standard';
  dueAt: string;
  hoursLeft: number;
  overdue: boolean;
  extended: boolean;
  appealOf?: string;
  items: Array<{ sequence: number; decision: string; note?: string }>;
}

export interface ReviewPageParams {
  userName: string;
  entries: readonly ReviewPageEntry[];
  reasons: ReadonlyArray<{ code: string; display: string }>;
  /** Base of the form actions: `${action}/${id}/decision`, `${action}/${id}/extension`. */
  action: string;
  hidden: Record<string, string>;
  notice?: string;
}

function left(e: ReviewPageEntry): string {
  if (e.overdue) return `overdue by ${Math.abs(e.hoursLeft)} h`;
  return e.hoursLeft < 48 ? `${e.hoursLeft} h left` : `${Math.round(e.hoursLeft / 24)} days left`;
}

export function paReviewPage(p: ReviewPageParams): string {
  return renderPage({
    title: 'Prior authorization review queue',
    body: html`
      <main>
        <h1>Prior authorization review queue</h1>
        ${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}
        <p>Signed in as ${p.userName}. ${p.entries.length} pended request${p.entries.length === 1 ? '' : 's'}, soonest deadline first.
          Decide within 72 hours (expedited) or 7 calendar days (standard); a standard request may be extended once, by up to 14 days.</p>
        ${p.entries.length === 0 ? html`<p>Nothing is waiting for review.</p>` : ''}
        ${p.entries.map(
          (e) => html`
            <section aria-labelledby="h-${e.id}">
              <h2 id="h-${e.id}">${e.trackingNumber} · ${e.priority}${e.appealOf ? ' · appeal' : ''} · <span class="${e.overdue || e.hoursLeft < 24 ? 'warning' : ''}">${left(e)}</span></h2>
              <p>Member ${e.patient}${e.requestor ? html`, requested by ${e.requestor}` : ''}. Due ${e.dueAt}${e.extended ? ' (extended)' : ''}.</p>
              <ul>${e.items.map((i) => html`<li>Item ${i.sequence}: ${i.decision}${i.note ? html` — ${i.note}` : ''}</li>`)}</ul>
              <form method="post" action="${p.action}/${e.id}/decision">
                ${hiddenInputs(p.hidden)}
                <fieldset>
                  <legend>Decision</legend>
                  <label><input type="radio" name="decision" value="approved" required> Approve</label>
                  <label><input type="radio" name="decision" value="denied"> Deny</label>
                  <label for="reason-${e.id}">Denial reason</label>
                  <select id="reason-${e.id}" name="reason">
                    <option value="">(for a denial)</option>
                    ${p.reasons.map((r) => html`<option value="${r.code}">${r.display}</option>`)}
                  </select>
                  <label for="note-${e.id}">Note to the provider</label>
                  <input id="note-${e.id}" name="note" maxlength="1000">
                  <button type="submit">Record decision</button>
                </fieldset>
              </form>
              ${e.priority === 'standard' && !e.extended
                ? html`<form method="post" action="${p.action}/${e.id}/extension">
                    ${hiddenInputs(p.hidden)}
                    <label for="ext-${e.id}">Reason to extend by 14 days</label>
                    <input id="ext-${e.id}" name="reason" required maxlength="500">
                    <button type="submit">Extend timeframe</button>
                  </form>`
                : ''}
            </section>`,
        )}
      </main>`,
  });
}
