/**
 * How many claims of each type a member has, and on which days: utilization rates per year of
 * enrollment (or a requested total), spread over the member's coverage from 2016-01-01 to a few
 * days before `now` so every claim is adjudicated by then.
 */
import { addDays, daysBetween, maxDay, minDay } from '../dates.js';
import type { Rng } from '../prng.js';
import { HISTORY_START } from './enrollment.js';
import { ageOn, type CoverageSpan, type MemberRun } from './member-context.js';

export type ClaimKind = 'professional' | 'pharmacy' | 'outpatient' | 'inpatient' | 'oral';

export const CLAIM_KINDS: readonly ClaimKind[] = ['professional', 'pharmacy', 'outpatient', 'inpatient', 'oral'];

export interface ServiceWindow {
  coverage: CoverageSpan;
  from: string;
  to: string;
}

export interface PlannedClaim {
  kind: ClaimKind;
  day: string;
  coverage: CoverageSpan;
}

/** Days on which claims can fall, per coverage span. */
export function serviceWindows(run: MemberRun): ServiceWindow[] {
  const last = addDays(run.nowDay, -5);
  const windows: ServiceWindow[] = [];
  for (const coverage of run.profile.coverages) {
    const from = maxDay(coverage.start, HISTORY_START);
    const to = minDay(coverage.end ?? last, last);
    if (from <= to) windows.push({ coverage, from, to });
  }
  return windows;
}

/** A random day in the windows (uniform over days), optionally not before `notBefore`. */
export function randomServiceDay(rng: Rng, windows: readonly ServiceWindow[], notBefore?: string): { day: string; coverage: CoverageSpan } | undefined {
  const usable = windows
    .map((w) => ({ ...w, from: notBefore ? maxDay(w.from, notBefore) : w.from }))
    .filter((w) => w.from <= w.to);
  const total = usable.reduce((s, w) => s + daysBetween(w.from, w.to) + 1, 0);
  if (total === 0) return undefined;
  let r = rng.int(0, total - 1);
  for (const w of usable) {
    const len = daysBetween(w.from, w.to) + 1;
    if (r < len) return { day: addDays(w.from, r), coverage: w.coverage };
    r -= len;
  }
  return undefined;
}

/** Claims per year of coverage, by kind. */
const RATES: Readonly<Record<ClaimKind, number>> = {
  professional: 0.7,
  pharmacy: 1.0,
  outpatient: 0.12,
  inpatient: 0.02,
  oral: 0.16,
};

const WEIGHTS: Readonly<Record<ClaimKind, number>> = { professional: 55, pharmacy: 18, outpatient: 11, inpatient: 4, oral: 12 };

export function planClaims(run: MemberRun, windows: readonly ServiceWindow[], requested: number | undefined, hasChronicDrug: boolean): PlannedClaim[] {
  const { rng, profile, nowDay } = run;
  const years = windows.reduce((s, w) => s + (daysBetween(w.from, w.to) + 1) / 365.25, 0);
  if (years <= 0) return [];
  const kinds: ClaimKind[] = [];
  if (requested !== undefined) {
    // Every type at least once when there is room for it, the rest by weight.
    if (requested >= CLAIM_KINDS.length) kinds.push(...CLAIM_KINDS);
    while (kinds.length < requested) kinds.push(rng.weighted(CLAIM_KINDS.map((k) => [k, WEIGHTS[k]] as const)));
  } else {
    const age = ageOn(profile.birthDate, nowDay);
    for (const kind of CLAIM_KINDS) {
      let rate = RATES[kind];
      if (kind === 'pharmacy') rate = hasChronicDrug ? rate : 0.1;
      if (kind === 'oral' && age < 21) rate *= 1.8;
      if (kind === 'inpatient' && age > 60) rate *= 2.5;
      const n = rng.poisson(Math.min(rate * years, 40));
      for (let i = 0; i < n; i++) kinds.push(kind);
    }
  }
  const planned: PlannedClaim[] = [];
  for (const kind of kinds) {
    const at = randomServiceDay(rng, windows);
    if (at) planned.push({ kind, day: at.day, coverage: at.coverage });
  }
  planned.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return planned;
}

