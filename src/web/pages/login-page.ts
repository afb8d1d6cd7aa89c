/**
 * Sign-in page of the authorization server (SMART App Launch 2.x, standalone launch: the server
 * authenticates the user before asking for consent). Members sign in with Member ID, date of birth and
 * password; provider and payer staff with a user name and password.
 *
 * No JavaScript: the switch between the two kinds is a tiny GET form that reloads this page with
 * `kind` and the same hidden values.
 */
import { type SafeHtml, html, hiddenInputs, renderPage } from '../html.js';

export type LoginKind = 'member' | 'user';

export interface LoginPageParams {
  action: string;
  hidden: Record<string, string>;
  clientName?: string;
  kind: LoginKind;
  error?: string;
  values?: { login?: string; birthDate?: string };
}

const ERROR_ID = 'login-error';

/** ids for aria-describedby: the field's own hint first, then the page error if any. */
function describedBy(hintId: string | undefined, hasError: boolean): SafeHtml {
  const ids = [hintId, hasError ? ERROR_ID : undefined].filter((x): x is string => x !== undefined);
  if (ids.length === 0) return html``;
  return html` aria-describedby="${ids.join(' ')}"${hasError ? html` aria-invalid="true"` : ''}`;
}

function memberFields(p: LoginPageParams, hasError: boolean): SafeHtml {
  return html`<div class="field">
<label for="login">Member ID</label>
<p class="hint" id="login-hint">It is on your Medicaid card.</p>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${p.values?.login ?? ''}"${describedBy('login-hint', hasError)}>
</div>
<div class="field">
<label for="birth_date">Date of birth</label>
<input id="birth_date" name="birth_date" type="date" autocomplete="bday" required value="${p.values?.birthDate ?? ''}"${describedBy(undefined, hasError)}>
</div>`;
}

function userFields(p: LoginPageParams, hasError: boolean): SafeHtml {
  return html`<div class="field">
<label for="login">User name</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${p.values?.login ?? ''}"${describedBy(undefined, hasError)}>
</div>`;
}

/** The other kind of sign-in: same URL, same hidden values, `kind` flipped. */
function switchKindForm(p: LoginPageParams, rest: Record<string, string>): SafeHtml {
  const other: LoginKind = p.kind === 'member' ? 'user' : 'member';
  const label = p.kind === 'member' ? 'Provider or payer staff? Sign in here' : 'Medicaid member? Sign in here';
  return html`<form class="switch-kind" method="get" action="${p.action}">
${hiddenInputs(rest)}<input type="hidden" name="kind" value="${other}">
<button type="submit" class="link-button">${label}</button>
</form>`;
}

export function loginPage(p: LoginPageParams): string {
  // `kind` is set by this page itself; a caller-provided one would submit twice.
  const { kind: _ignored, ...rest } = p.hidden;
  const hasError = p.error !== undefined && p.error !== '';
  const heading = p.kind === 'member' ? 'Sign in' : 'Staff sign in';
  const body = html`<h1>${heading}</h1>
${p.clientName ? html`<p class="lead">Sign in to let <b>${p.clientName}</b> see your health information.</p>` : ''}
${p.kind === 'user' ? html`<p>For provider staff and payer staff.</p>` : ''}
${hasError ? html`<div class="error" id="${ERROR_ID}" role="alert"><p>${p.error}</p></div>` : ''}
<form method="post" action="${p.action}" class="stack">
${hiddenInputs(rest)}<input type="hidden" name="kind" value="${p.kind}">
${p.kind === 'member' ? memberFields(p, hasError) : userFields(p, hasError)}
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${describedBy(undefined, hasError)}>
</div>
<button type="submit" class="button primary">Sign in</button>
</form>
${switchKindForm(p, rest)}`;
  // "Error:" first in the title so screen reader users hear it as soon as the page loads (WCAG 3.3.1).
  return renderPage({ title: hasError ? `Error: ${heading}` : heading, body });
}
