/**
 * The public prior-authorization metrics page (CMS-0057-F: published by March 31 for the previous year).
 * No login, no scripts. For a chosen year:
 *  - the figures with plain-language labels;
 *  - charts as inline SVG, each with a title and a table holding the same numbers (WCAG 1.1.1): the
 *    decisions by standard/expedited, and how long decisions took;
 *  - the items and services that need prior authorization, with a search box (a GET form);
 *  - downloads as JSON and CSV, and the exact definitions used.
 * Colours meet WCAG AA contrast on white; bars also carry their numbers as text.
 */
import { html, renderPage, type SafeHtml } from '../html.js';
import type { PaMetrics, PriorityFigures } from '../../domain/pa-metrics.js';

export interface PublishedService {
  id: string;
  category: string;
  codeSystem: string;
  code: string;
  display: string;
  planTypes: string[];
  effectiveFrom: string;
  effectiveTo?: string;
}

export interface MetricsPageParams {
  /** A year's figures as published (metrics-routes.ts): with when, how they are counted, and the services list. */
  report: PaMetrics & { generatedAt: string; definitions: Record<string, string>; itemsAndServices: PublishedService[] };
  query: string;
  years: number[];
}

const DEFINITION_LABELS: Readonly<Record<string, string>> = {
  requests: 'Requests counted',
  determined: 'Determined requests',
  approvedPercent: 'Approved',
  deniedPercent: 'Denied',
  approvedAfterAppeal: 'Approved after appeal',
  extendedThenApproved: 'More time to decide, then approved',
  timeToDetermination: 'Time to decide',
  distribution: 'How long decisions took',
  itemsAndServices: 'Items and services that need prior authorization',
};

const BUCKET_LABELS = ['1 hour or less', '1 to 24 hours', '1 to 3 days', '3 to 7 days', '7 to 14 days', '14 to 21 days', 'More than 21 days'];
/** Dark enough for text-level contrast on white (WCAG AA ≥ 4.5:1). */
const COLOURS = { approved: '#1a6b3c', partial: '#5a4a00', denied: '#a1262a', pended: '#38464f', withdrawn: '#5b2a86', standard: '#1f4e8c', expedited: '#8a3b00' };

const percent = (v: number | null): string => (v === null ? 'no determined requests' : `${v.toFixed(1)}%`);
const hoursText = (v: number | null): string => (v === null ? '—' : v < 48 ? `${v.toFixed(1)} hours` : `${(v / 24).toFixed(1)} days (${v.toFixed(1)} hours)`);

/**
 * A horizontal bar chart: one row per label (the label above its bar), segments per series, each row's
 * total written beside its bar, the legend below. The drawing is 320 units wide with 14-unit text, so it
 * reads at about 14 px on a phone (where it fills the width) and is capped near 22 px on a desktop (CSS
 * `max-width`); nothing sits beside a label, so long labels never squeeze the bars.
 */
function barChart(id: string, title: string, rows: Array<{ label: string; segments: Array<{ name: string; value: number; colour: string }> }>): SafeHtml {
  const width = 320;
  const labelHeight = 18;
  const barHeight = 22;
  const gap = 12;
  const rowHeight = labelHeight + barHeight + gap;
  const totalWidth = 56; // room for the total beside the longest bar
  const legendColumn = 160;
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0)));
  const scale = (width - totalWidth) / max;
  const legend = rows[0]?.segments ?? [];
  const legendTop = rows.length * rowHeight + 4;
  const height = legendTop + Math.ceil(legend.length / 2) * 22;
  return html`<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
    <title id="${id}-title">${title}</title>
    ${rows.map((r, i) => {
      let x = 0;
      const top = i * rowHeight;
      const barTop = top + labelHeight;
      const total = r.segments.reduce((a, s) => a + s.value, 0);
      return html`<g class="bar-row" data-label="${r.label}">
        <text x="0" y="${top + 14}" fill="#1b1b1b" font-size="14" font-weight="700">${r.label}</text>
        ${r.segments.map((s) => {
          const w = s.value * scale;
          const rect = html`<rect class="bar" data-series="${s.name}" data-value="${s.value}" x="${x.toFixed(1)}" y="${barTop}" width="${w.toFixed(1)}" height="${barHeight}" fill="${s.colour}"><title>${s.name}: ${s.value}</title></rect>`;
          x += w;
          return rect;
        })}
        <text x="${(x + 6).toFixed(1)}" y="${barTop + barHeight / 2 + 5}" fill="#1b1b1b" font-size="14">${total}</text>
      </g>`;
    })}
    <g class="legend" transform="translate(0 ${legendTop})">
      ${legend.map((s, i) => html`<rect x="${(i % 2) * legendColumn}" y="${Math.floor(i / 2) * 22}" width="14" height="14" fill="${s.colour}"></rect><text x="${(i % 2) * legendColumn + 20}" y="${Math.floor(i / 2) * 22 + 12}" fill="#1b1b1b" font-size="14">${s.name}</text>`)}
    </g>
  </svg>`;
}

function outcomeRows(r: MetricsPageParams['report']) {
  const of = (f: PriorityFigures) => [
    { name: 'Approved', value: f.approved, colour: COLOURS.approved },
    { name: 'Approved, modified', value: f.partiallyApproved, colour: COLOURS.partial },
    { name: 'Denied', value: f.denied, colour: COLOURS.denied },
    { name: 'Still pending', value: f.pended, colour: COLOURS.pended },
    { name: 'Withdrawn', value: f.withdrawn + f.cancelled, colour: COLOURS.withdrawn },
  ];
  return [
    { label: 'Standard', segments: of(r.standard) },
    { label: 'Expedited', segments: of(r.expedited) },
  ];
}

export function paMetricsPage(p: MetricsPageParams): string {
  const r = p.report;
  const q = p.query.trim().toLowerCase();
  const services = q ? r.itemsAndServices.filter((s) => `${s.display} ${s.code} ${s.category} ${s.codeSystem}`.toLowerCase().includes(q)) : r.itemsAndServices;
  const timeRows = BUCKET_LABELS.map((label, i) => ({
    label,
    segments: [
      { name: 'Standard', value: r.standard.distribution[i] ?? 0, colour: COLOURS.standard },
      { name: 'Expedited', value: r.expedited.distribution[i] ?? 0, colour: COLOURS.expedited },
    ],
  }));
  return renderPage({
    title: `Prior authorization metrics ${r.year}`,
    body: html`
      <main class="metrics">
        <h1>Prior authorization metrics for ${r.year}</h1>
        <p>How the program decided requests for prior authorization of items and services (not drugs) in ${r.year}, as federal rules require (CMS-0057-F).
          Figures as of ${r.generatedAt.slice(0, 10)}.</p>
        <form method="get" action="/metrics/prior-auth" class="inline">
          <label for="year">Year</label>
          <select id="year" name="year">${p.years.map((y) => html`<option value="${y}"${y === r.year ? html` selected` : ''}>${y}</option>`)}</select>
          <button type="submit">Show</button>
        </form>
        <p>Download: <a href="/metrics/prior-auth/${r.year}.json" download>JSON</a> · <a href="/metrics/prior-auth/${r.year}.csv" download>CSV</a></p>

        <h2>Key figures</h2>
        <dl class="figures">
          <div><dt>Standard requests approved</dt><dd id="standard-approved">${percent(r.standard.approvedPercent)}</dd></div>
          <div><dt>Standard requests denied</dt><dd id="standard-denied">${percent(r.standard.deniedPercent)}</dd></div>
          <div><dt>Expedited (urgent) requests approved</dt><dd id="expedited-approved">${percent(r.expedited.approvedPercent)}</dd></div>
          <div><dt>Expedited (urgent) requests denied</dt><dd id="expedited-denied">${percent(r.expedited.deniedPercent)}</dd></div>
          <div><dt>Requests approved after an appeal</dt><dd id="approved-after-appeal">${percent(r.approvedAfterAppealPercent)}</dd></div>
          <div><dt>Requests given more time to decide, then approved</dt><dd id="extended-then-approved">${percent(r.extendedThenApprovedPercent)}</dd></div>
          <div><dt>Average time to decide a standard request</dt><dd id="standard-average">${hoursText(r.standard.averageHours)}</dd></div>
          <div><dt>Median time to decide a standard request</dt><dd id="standard-median">${hoursText(r.standard.medianHours)}</dd></div>
          <div><dt>Average time to decide an expedited request</dt><dd id="expedited-average">${hoursText(r.expedited.averageHours)}</dd></div>
          <div><dt>Median time to decide an expedited request</dt><dd id="expedited-median">${hoursText(r.expedited.medianHours)}</dd></div>
        </dl>

        <h2>Decisions, standard and expedited</h2>
        <figure>
          ${barChart('chart-outcomes', `Decisions on requests submitted in ${r.year}, standard and expedited`, outcomeRows(r))}
          <figcaption>The same numbers as the table below.</figcaption>
        </figure>
        <table>
          <caption>Decisions on requests submitted in ${r.year}</caption>
          <thead><tr><th scope="col">Decision</th><th scope="col">Standard</th><th scope="col">Expedited</th></tr></thead>
          <tbody>
            <tr><th scope="row">Approved</th><td>${r.standard.approved}</td><td>${r.expedited.approved}</td></tr>
            <tr><th scope="row">Approved with modifications</th><td>${r.standard.partiallyApproved}</td><td>${r.expedited.partiallyApproved}</td></tr>
            <tr><th scope="row">Denied</th><td>${r.standard.denied}</td><td>${r.expedited.denied}</td></tr>
            <tr><th scope="row">Still pending</th><td>${r.standard.pended}</td><td>${r.expedited.pended}</td></tr>
            <tr><th scope="row">Withdrawn or cancelled</th><td>${r.standard.withdrawn + r.standard.cancelled}</td><td>${r.expedited.withdrawn + r.expedited.cancelled}</td></tr>
            <tr><th scope="row">All requests</th><td>${r.standard.submitted}</td><td>${r.expedited.submitted}</td></tr>
          </tbody>
        </table>

        <h2>How long decisions took</h2>
        <figure>
          ${barChart('chart-times', `Determined requests by time to decision, ${r.year}`, timeRows)}
          <figcaption>The same numbers as the table below.</figcaption>
        </figure>
        <table>
          <caption>Determined requests by time from receipt to decision</caption>
          <thead><tr><th scope="col">Time to decision</th><th scope="col">Standard</th><th scope="col">Expedited</th></tr></thead>
          <tbody>${BUCKET_LABELS.map((label, i) => html`<tr><th scope="row">${label}</th><td>${r.standard.distribution[i] ?? 0}</td><td>${r.expedited.distribution[i] ?? 0}</td></tr>`)}</tbody>
        </table>

        <h2 id="services">Items and services that need prior authorization</h2>
        <form method="get" action="/metrics/prior-auth#services" role="search">
          <input type="hidden" name="year" value="${r.year}">
          <label for="q">Search by name or code</label>
          <input id="q" name="q" value="${p.query}" maxlength="100">
          <button type="submit">Search</button>
        </form>
        <p>${services.length} of ${r.itemsAndServices.length} items and services${q ? html` match “${p.query}”` : ''}.</p>
        <!-- On a phone the rows stack as cards (site.css); the ARIA roles keep the table's meaning when CSS changes its display. -->
        <table class="services" role="table">
          <caption>Items and services that need prior authorization</caption>
          <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Item or service</th><th scope="col" role="columnheader">Code</th><th scope="col" role="columnheader">Category</th><th scope="col" role="columnheader">Plans</th><th scope="col" role="columnheader">Since</th></tr></thead>
          <tbody role="rowgroup">${services.map((s) => html`<tr role="row"><th scope="row" role="rowheader">${s.display}</th><td class="code" role="cell" data-label="Code">${s.codeSystem} ${s.code}</td><td role="cell" data-label="Category">${s.category}</td><td role="cell" data-label="Plans">${s.planTypes.join(', ')}</td><td role="cell" data-label="Since">${s.effectiveFrom}${s.effectiveTo ? html` to ${s.effectiveTo}` : ''}</td></tr>`)}</tbody>
        </table>

        <h2>How these figures are counted</h2>
        <dl class="definitions">${Object.entries(r.definitions).map(([k, v]) => html`<div><dt>${DEFINITION_LABELS[k] ?? k}</dt><dd>${v}</dd></div>`)}</dl>
      </main>`,
  });
}
