/**
 * The member's account page: the apps they authorized, what each can see, and a button to remove each
 * one (the issue's "a member page lists the apps they authorized and revokes any of them"; revoking a
 * grant ends its tokens as RFC 7009 revocation does). One POST form per app, no JavaScript.
 */
import { type SafeHtml, html, hiddenInputs, renderPage } from '../html.js';

export interface AuthorizedApp {
  grantId: string;
  clientName: string;
  /** Already in plain language. */
  scopes: string[];
  /** ISO 8601 instant. */
  authorizedAt: string;
}

export interface AccountPageParams {
  userName: string;
  apps: AuthorizedApp[];
  /** URL the "Remove access" forms POST to. */
  action: string;
  /** CSRF token and the like, sent with every form on the page. */
  hidden: Record<string, string>;
  notice?: string;
  logoutAction: string;
  /** IANA zone the dates are shown in; UTC when absent. */
  timeZone?: string;
}

/** "March 3, 2025", or the text as given when it is not a date (never throw on a bad record). */
export function formatAuthorizedDate(iso: string, timeZone = 'UTC'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone }).format(d);
}

function appCard(p: AccountPageParams, app: AuthorizedApp, i: number): SafeHtml {
  const headingId = `app-${i}`;
  return html`<section class="card" aria-labelledby="${headingId}">
<h2 id="${headingId}">${app.clientName}</h2>
${
  app.scopes.length > 0
    ? html`<p>What it can see:</p>
<ul>
${app.scopes.map((s) => html`<li>${s}</li>\n`)}</ul>`
    : ''
}
<p>You allowed this on <time datetime="${app.authorizedAt}">${formatAuthorizedDate(app.authorizedAt, p.timeZone)}</time>.</p>
<form method="post" action="${p.action}">
${hiddenInputs(p.hidden)}<input type="hidden" name="grant_id" value="${app.grantId}">
<button type="submit" class="button danger">Remove access<span class="visually-hidden"> for ${app.clientName}</span></button>
</form>
</section>`;
}

export function accountPage(p: AccountPageParams): string {
  const body = html`<h1>Apps that can see your information</h1>
<p>You are signed in as <b>${p.userName}</b>.</p>
${p.notice ? html`<div class="notice" role="status"><p>${p.notice}</p></div>` : ''}
${
  p.apps.length > 0
    ? html`<p>If you remove an app, it can no longer get your information. You can allow it again later.</p>
${p.apps.map((app, i) => appCard(p, app, i))}`
    : html`<p class="empty">No apps can see your information right now.</p>`
}
<form method="post" action="${p.logoutAction}" class="sign-out">
${hiddenInputs(p.hidden)}<button type="submit" class="button secondary">Sign out</button>
</form>`;
  return renderPage({ title: 'Apps that can see your information', body });
}
