/**
 * Tiny HTML reading helpers for the server-rendered pages' tests: our pages always double-quote
 * attributes, so regular expressions are enough.
 */

export interface Tag {
  name: string;
  attrs: Map<string, string>;
  start: number;
}

export function decode(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Every start tag of the page with its (decoded) attributes. */
export function allTags(page: string): Tag[] {
  const out: Tag[] = [];
  for (const m of page.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>/g)) {
    const attrs = new Map<string, string>();
    for (const a of m[2].matchAll(/([^\s"'=/]+)(?:="([^"]*)")?/g)) attrs.set(a[1].toLowerCase(), decode(a[2] ?? ''));
    out.push({ name: m[1].toLowerCase(), attrs, start: m.index ?? 0 });
  }
  return out;
}

/** Text without tags, entities decoded, whitespace collapsed. */
export const stripTags = (s: string): string => decode(s.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
