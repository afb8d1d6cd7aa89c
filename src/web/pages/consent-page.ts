/**
 * Consent page: the user sees which app is asking and what for, in plain language, and approves or
 * denies. SMART App Launch 2.x lets the server grant fewer scopes than asked (the token response's
 * `scope` says what was granted), so each scope is a checkbox the user may clear.
 *
 * Scopes the launch cannot work without (e.g. `launch/patient`, `openid`) are shown checked and
 * disabled. A disabled checkbox is never submitted (HTML "constructing the entry list" skips disabled
 * controls), so a hidden input carries its value.
 */
import { type SafeHtml, html, hiddenInputs, renderPage } from '../html.js';

export interface ConsentScope {
  value: string;
  description: string;
  required?: boolean;
}

export interface ConsentPageParams {
  action: string;
  hidden: Record<string, string>;
  clientName: string;
  userName?: string;
  patientName?: string;
  scopes: ConsentScope[];
}

function scopeItem(s: ConsentScope, i: number): SafeHtml {
  const id = `scope-${i}`;
  if (s.required) {
    return html`<li class="check">
<input type="checkbox" id="${id}" checked disabled aria-describedby="${id}-needed">
<input type="hidden" name="scope" value="${s.value}">
<label for="${id}">${s.description}</label>
<span class="hint" id="${id}-needed">Needed for the app to work.</span>
</li>`;
  }
  return html`<li class="check">
<input type="checkbox" id="${id}" name="scope" value="${s.value}" checked>
<label for="${id}">${s.description}</label>
</li>`;
}

export function consentPage(p: ConsentPageParams): string {
  const body = html`<h1>Allow <span class="app-name">${p.clientName}</span> to see your information?</h1>
${p.userName ? html`<p>You are signed in as <b>${p.userName}</b>.</p>` : ''}
${p.patientName ? html`<p>Information about: <b>${p.patientName}</b></p>` : ''}
<form method="post" action="${p.action}" class="stack">
${hiddenInputs(p.hidden)}<fieldset>
<legend>This app is asking to:</legend>
<ul class="checks">
${p.scopes.map(scopeItem)}
</ul>
</fieldset>
<details class="technical">
<summary>Technical details</summary>
<ul>
${p.scopes.map((s) => html`<li><code>${s.value}</code></li>`)}
</ul>
</details>
<p>You can uncheck anything you do not want to share.
You can remove this app's access at any time on <a href="/account">your account page</a>.</p>
<p>Only allow apps you trust.</p>
<div class="actions">
<button type="submit" name="decision" value="approve" class="button primary">Allow</button>
<button type="submit" name="decision" value="deny" class="button secondary">Don't allow</button>
</div>
</form>`;
  return renderPage({ title: `Allow ${p.clientName}?`, body });
}
