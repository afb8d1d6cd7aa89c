/**
 * The member's Provider Access choice, after sign-in (issue 5: members opt out, and back in, on a
 * member page). One form, no JavaScript: the current choice in plain words and the one button that
 * changes it. The choice is recorded as a PDex Consent and takes effect at once, for exports already
 * running too.
 */
import { html, hiddenInputs, renderPage } from '../html.js';

export interface ProviderAccessChoiceParams {
  userName: string;
  choice: 'in' | 'out';
  /** URL the form POSTs to. */
  action: string;
  /** CSRF token. */
  hidden: Record<string, string>;
  accountUrl: string;
  notice?: string;
}

export function providerAccessChoicePage(p: ProviderAccessChoiceParams): string {
  const sharing = p.choice === 'in';
  return renderPage({
    title: 'Sharing with your providers',
    body: html`
      <main>
        <h1>Sharing with your providers</h1>
        ${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}
        <p>Signed in as ${p.userName}.</p>
        <h2>Your choice now</h2>
        ${sharing
          ? html`<p><strong>Sharing is on.</strong> Providers in our network who treat you can get your health information from us.
              This includes your visits, conditions, lab results, medicines and prior authorizations (not for drugs). They do not get what you paid or what we paid them.</p>`
          : html`<p><strong>Sharing is off.</strong> Your providers cannot get your information from us through the Provider Access API.
              Your benefits and care stay the same.</p>`}
        <form method="post" action="${p.action}">
          ${hiddenInputs(p.hidden)}
          <input type="hidden" name="choice" value="${sharing ? 'out' : 'in'}">
          <button type="submit">${sharing ? 'Stop sharing with my providers' : 'Start sharing with my providers again'}</button>
        </form>
        <p>You can change this at any time. The change works at once, even for requests already in progress.</p>
        <p><a href="/provider-access">Learn more about Provider Access</a> · <a href="${p.accountUrl}">Back to your account</a></p>
      </main>`,
  });
}
