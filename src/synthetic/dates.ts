/** Calendar arithmetic on UTC days (YYYY-MM-DD) and instants, for deterministic synthetic dates. */
import type { Rng } from './prng.js';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The UTC day of an epoch-ms value. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch ms of the start (00:00Z) of a day or of an instant. */
export function msOf(dayOrInstant: string): number {
  return Date.parse(dayOrInstant.length === 10 ? `${dayOrInstant}T00:00:00Z` : dayOrInstant);
}

export function addDays(day: string, days: number): string {
  return dayOf(msOf(day) + days * DAY_MS);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((msOf(to) - msOf(from)) / DAY_MS);
}

/** FHIR instant without milliseconds, e.g. 2024-05-01T14:30:00Z. */
export function instant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

export function maxDay(a: string, b: string): string {
  return a > b ? a : b;
}

/** A uniformly random day in [from, to] (inclusive). */
export function randomDay(rng: Rng, from: string, to: string): string {
  const span = daysBetween(from, to);
  return span <= 0 ? from : addDays(from, rng.int(0, span));
}

/** A random instant on the day, during business hours (local Boston time ≈ UTC-5, so 13:00–22:59Z). */
export function businessInstant(rng: Rng, day: string): string {
  return instant(msOf(day) + rng.int(13, 22) * HOUR_MS + rng.int(0, 59) * 60_000);
}
