/**
 * Escaping HTML templates for the server-rendered pages (login, consent, account, errors).
 *
 * Every value interpolated into `html\`...\`` is escaped unless it is already `SafeHtml`, so a client
 * name, a hidden field or an error message chosen by someone else can never become markup or break out of
 * a quoted attribute (OWASP XSS Prevention Cheat Sheet, rules #1 and #2). Pages always quote attributes
 * with `"`, which is what makes escaping `"` sufficient inside attributes.
 */

const brand: unique symbol = Symbol('SafeHtml');

/** Markup that is already safe to emit: built by `html` or declared trusted with `raw`. */
export class SafeHtml {
  readonly [brand] = true;
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What may be interpolated: text (escaped), SafeHtml (as is), lists of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the five characters that matter in text and in quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => entities[c]);
}

export function isSafeHtml(v: unknown): v is SafeHtml {
  return v instanceof SafeHtml;
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (isSafeHtml(v)) return v.value;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(v));
}

/** Tagged template: literal parts are trusted (they are source code), interpolations are escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Marks a trusted constant as markup. Never pass request data or stored data here. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/** Hidden inputs carrying state between steps (authorization request, CSRF token). */
export function hiddenInputs(hidden: Record<string, string>): SafeHtml {
  return html`${Object.entries(hidden).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`,
  )}`;
}

/** How the program is named in every page; no brand, per the product brief. */
export const PROGRAM_NAME = 'the Medicaid program';

/** Full document around a page body. The body must contain exactly one h1. */
export function renderPage(p: { title: string; body: SafeHtml }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} - Medicaid program</title>
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<p class="program-name">Medicaid program</p>
</header>
<main id="main" tabindex="-1">
${p.body}
</main>
<footer class="site-footer">
<p>This is a secure site of ${PROGRAM_NAME}. Only share your information with apps you trust.</p>
</footer>
</body>
</html>
`.value;
}
