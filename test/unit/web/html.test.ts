import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw, renderPage, SafeHtml } from '../../../src/web/html.js';

describe('escapeHtml', () => {
  it('when text holds markup and quote characters, then all five become entities', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('when text is already an entity, then it is escaped again (text is never trusted as markup)', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });
});

describe('html template', () => {
  it('when a string is interpolated, then it is escaped', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<p>${name}</p>`.value).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('when SafeHtml is interpolated, then it is kept as markup and not escaped twice', () => {
    const inner = html`<b>${'a & b'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a &amp; b</b></p>');
  });

  it('when an array is interpolated, then its items are joined, SafeHtml as is and strings escaped', () => {
    const items = [html`<li>1</li>`, '<li>2</li>'];
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>1</li>&lt;li&gt;2&lt;/li&gt;</ul>');
  });

  it('when null, undefined or false is interpolated, then nothing is rendered', () => {
    expect(html`[${null}${undefined}${false}]`.value).toBe('[]');
  });

  it('when a number is interpolated, then it is rendered as text', () => {
    expect(html`${3}`.value).toBe('3');
  });

  it('when raw() marks a trusted constant, then it passes through unchanged', () => {
    expect(html`${raw('<br>')}`.value).toBe('<br>');
    expect(raw('<br>')).toBeInstanceOf(SafeHtml);
  });

  it('when a value tries to leave a quoted attribute, then the quote is escaped', () => {
    const v = 'x" onmouseover="alert(1)';
    expect(html`<input value="${v}">`.value).toBe('<input value="x&quot; onmouseover=&quot;alert(1)">');
  });
});

describe('renderPage', () => {
  const page = renderPage({ title: 'A <title>', body: html`<h1>Hello</h1>` });

  it('when a page is rendered, then it is a full English document for phones with the site stylesheet', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<link rel="stylesheet" href="/assets/site.css">');
  });

  it('when a page is rendered, then it has a header with the program name, a main landmark and a footer', () => {
    expect(page).toMatch(/<header[^>]*>[\s\S]*Medicaid program[\s\S]*<\/header>/);
    expect(page).toMatch(/<main id="main"[^>]*>\s*<h1>Hello<\/h1>\s*<\/main>/);
    expect(page).toMatch(/<footer[^>]*>[\s\S]*<\/footer>/);
  });

  it('when the title holds markup, then it is escaped in <title>', () => {
    expect(page).toContain('<title>A &lt;title&gt; - Medicaid program</title>');
  });

  it('when a page is rendered, then it carries no script at all', () => {
    expect(page).not.toMatch(/<script/i);
  });
});
