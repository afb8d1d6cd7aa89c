/**
 * The load scenarios and their targets. Each scenario rotates over many ids picked evenly across the
 * data set. Targets are ratios to a bare express 5 app serving the same bytes (the machine is shared
 * and noisy, so absolute req/s mean little), plus an absolute p99 latency bound.
 */

export type ScenarioKind = 'read' | 'search';

export interface Scenario {
  name: string;
  kind: ScenarioKind;
  description: string;
  paths: string[];
}

export const TARGETS = {
  /** Reads: at least half the throughput of bare express answering the same bytes. */
  readVsExpress: 0.5,
  /** Searches (including _revinclude): at least 0.3 of bare express. */
  searchVsExpress: 0.3,
  /** Every FHIR scenario: 99th percentile latency below this, at 16 connections. */
  p99Ms: 50,
  /** Opening the seeded data folder in a fresh process. */
  reloadMs: 15_000,
} as const;

export interface ScenarioSamples {
  patients: string[];
  eobs: string[];
  eobPatients: string[];
  /** Members with five or more years of history. */
  longHistoryPatients: string[];
}

/** `n` items spread evenly over `items` (all of them when there are fewer). */
export function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.floor((i * items.length) / n)]);
  return out;
}

export const SCENARIO_NAMES = ['read-patient', 'read-eob', 'search-eob-by-patient', 'revinclude-coverage', 'revinclude-eob', 'eob-include-all', 'everything'] as const;

export function buildScenarios(s: ScenarioSamples, only?: readonly string[]): Scenario[] {
  const e = encodeURIComponent;
  const all: Scenario[] = [
    { name: 'read-patient', kind: 'read', description: 'GET /fhir/Patient/<id>', paths: s.patients.map((id) => `/fhir/Patient/${e(id)}`) },
    {
      name: 'read-eob',
      kind: 'read',
      description: 'GET /fhir/ExplanationOfBenefit/<id>',
      paths: s.eobs.map((id) => `/fhir/ExplanationOfBenefit/${e(id)}`),
    },
    {
      name: 'search-eob-by-patient',
      kind: 'search',
      description: 'GET /fhir/ExplanationOfBenefit?patient=<id>',
      paths: s.eobPatients.map((id) => `/fhir/ExplanationOfBenefit?patient=${e(id)}`),
    },
    {
      name: 'revinclude-coverage',
      kind: 'search',
      description: 'GET /fhir/Patient?_id=<id>&_revinclude=Coverage:beneficiary',
      paths: s.patients.map((id) => `/fhir/Patient?_id=${e(id)}&_revinclude=Coverage:beneficiary`),
    },
    {
      name: 'revinclude-eob',
      kind: 'search',
      description: 'GET /fhir/Patient?_id=<id>&_revinclude=ExplanationOfBenefit:patient',
      paths: s.eobPatients.map((id) => `/fhir/Patient?_id=${e(id)}&_revinclude=ExplanationOfBenefit:patient`),
    },
    {
      name: 'eob-include-all',
      kind: 'search',
      description: 'GET /fhir/ExplanationOfBenefit?patient=<id>&_include=ExplanationOfBenefit:* (C4BB SHALL)',
      paths: s.eobPatients.map((id) => `/fhir/ExplanationOfBenefit?patient=${e(id)}&_include=ExplanationOfBenefit:*`),
    },
    {
      name: 'everything',
      kind: 'search',
      description: 'GET /fhir/Patient/<id>/$everything?_count=200 (members with 5+ years of history)',
      paths: s.longHistoryPatients.map((id) => `/fhir/Patient/${e(id)}/$everything?_count=200`),
    },
  ];
  return only ? all.filter((sc) => only.includes(sc.name)) : all;
}
