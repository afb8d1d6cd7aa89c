import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('site.css colour contrast', () => {
  const css = readFileSync(new URL('../../../src/web/assets/site.css', import.meta.url), 'utf8');
  const colours = new Map([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]]));

  function luminance(hex: string): number {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  // WCAG 2.2 relative luminance and contrast ratio definitions.
  function contrast(a: string, b: string): number {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  it('when the formula is checked on black and white, then it gives 21:1', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });

  const pairs: Array<[string, string]> = [
    ['text', 'bg'],
    ['muted', 'bg'],
    ['link', 'bg'],
    ['primary', 'bg'],
    ['on-primary', 'primary'],
    ['secondary-text', 'secondary-bg'],
    ['on-danger', 'danger'],
    ['error-text', 'error-bg'],
    ['notice-text', 'notice-bg'],
    ['header-text', 'header-bg'],
    ['text', 'card-bg'],
    ['link', 'card-bg'],
  ];
  for (const [fg, bg] of pairs) {
    it(`when --${fg} text sits on --${bg}, then contrast is at least 4.5:1 (WCAG 1.4.3)`, () => {
      const a = colours.get(fg);
      const b = colours.get(bg);
      expect(a, `--${fg} defined`).toBeDefined();
      expect(b, `--${bg} defined`).toBeDefined();
      expect(contrast(a ?? '', b ?? '')).toBeGreaterThanOrEqual(4.5);
    });
  }

  it('when a control has keyboard focus, then a visible outline is drawn', () => {
    expect(css).toMatch(/:focus-visible\s*\{[^}]*outline:\s*3px solid/);
    expect(contrast(colours.get('focus') ?? '', colours.get('bg') ?? '')).toBeGreaterThanOrEqual(3);
  });
});
