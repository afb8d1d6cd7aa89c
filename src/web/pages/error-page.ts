/**
 * A page for errors the user must read instead of a redirect back to the app, e.g. an unknown client
 * or a redirect_uri that is not registered: RFC 6749 §4.1.2.1 says the server must not redirect then.
 */
import { html, renderPage } from '../html.js';

export function errorPage(p: { title: string; message: string }): string {
  const body = html`<h1>${p.title}</h1>
<div class="error" role="alert"><p>${p.message}</p></div>
<p>You can close this page and go back to the app.</p>`;
  return renderPage({ title: `Error: ${p.title}`, body });
}
