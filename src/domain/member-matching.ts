/**
 * Member matching (HRex `$member-match`, PDex `$bulk-member-match`): is the person another payer (or a
 * provider) describes one of our members? Pure scoring, no store: the API layer finds candidates and
 * records every decision with its score so staff can review match quality.
 *
 * The rules are configuration (MEMBER_MATCH_RULES): which fields count, compared exactly or normalised
 * (case, accents, punctuation), with a weight each, some required; and a threshold.
 *  - A required field must be present in the request and equal for a candidate to be considered.
 *  - Any other field adds its weight when both sides have it and a value agrees, subtracts it when both
 *    have it and none agrees, and counts 0 when either side lacks it.
 *  - A candidate matches when its score reaches the threshold. Exactly one such candidate is a match;
 *    two or more are ambiguous and never resolved by picking one (HRex: "no unique match" → 422).
 *
 * The default is the program's own rule (MISSION.md: eligibility by last name + first name + date of
 * birth + gender), plus the member ID when the request carries one: a different member ID sinks the
 * score below the threshold, the same one confirms it.
 */
import type { Coverage, Patient } from '@medplum/fhirtypes';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from './systems.js';

export const MATCH_FIELDS = ['family', 'given', 'birthDate', 'gender', 'memberId', 'postalCode', 'phone', 'email'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

export interface MatchRule {
  field: MatchField;
  /** `normalised`: case, accents, spaces and punctuation ignored; `exact`: as given (trimmed). */
  compare: 'exact' | 'normalised';
  weight: number;
  required: boolean;
}

export interface MatchConfig {
  rules: MatchRule[];
  threshold: number;
}

export const DEFAULT_MATCH_CONFIG: MatchConfig = {
  rules: [
    { field: 'family', compare: 'normalised', weight: 20, required: true },
    { field: 'given', compare: 'normalised', weight: 20, required: true },
    { field: 'birthDate', compare: 'exact', weight: 20, required: true },
    { field: 'gender', compare: 'exact', weight: 20, required: true },
    { field: 'memberId', compare: 'exact', weight: 20, required: false },
  ],
  threshold: 80,
};

/** The values of each field one side has (a person may have several names, phones …). */
export type MatchValues = Partial<Record<MatchField, string[]>>;

export type FieldResult = 'equal' | 'different' | 'missing';

export interface ScoredCandidate {
  patient: string;
  score: number;
  /** False when a required field is missing or different: not a candidate whatever the score. */
  eligible: boolean;
  fields: Partial<Record<MatchField, FieldResult>>;
}

export type MatchOutcome = { outcome: 'matched'; patient: string; score: number } | { outcome: 'none' } | { outcome: 'ambiguous'; patients: string[] };

const clean = (values: Array<string | undefined>): string[] => [...new Set(values.map((v) => v?.trim()).filter((v): v is string => v !== undefined && v.length > 0 && v.length <= 200))];

/** The member ID type code of HRex's MemberIdentifier (v2-0203 MB). */
const MEMBER_ID_TYPE = 'MB';

/**
 * The values a Patient (and, for the member ID, the Coverage it is matched with) offers to each field.
 * The member ID is ours only where it can be: the Coverage to match is the coverage with us
 * (`subscriberId`, an MB-typed identifier), while the submitted Patient is the requester's own record,
 * whose MB identifiers are theirs; of the Patient only an identifier in our member-ID system counts.
 */
export function matchValues(patient: Patient, coverage?: Coverage): MatchValues {
  const names = patient.name ?? [];
  const isMemberType = (i: { type?: { coding?: Array<{ system?: string; code?: string }> } }) =>
    (i.type?.coding ?? []).some((c) => c.code === MEMBER_ID_TYPE && (c.system === undefined || c.system === CODE_SYSTEM.identifierType));
  const memberIds = [
    coverage?.subscriberId,
    ...(coverage?.identifier ?? []).filter((i) => i.system === IDENTIFIER_SYSTEM.memberId || isMemberType(i)).map((i) => i.value),
    ...(patient.identifier ?? []).filter((i) => i.system === IDENTIFIER_SYSTEM.memberId).map((i) => i.value),
  ];
  const telecom = patient.telecom ?? [];
  return {
    family: clean(names.map((n) => n.family)),
    given: clean(names.flatMap((n) => n.given ?? [])),
    birthDate: clean([patient.birthDate]),
    gender: clean([patient.gender]),
    memberId: clean(memberIds),
    postalCode: clean((patient.address ?? []).map((a) => a.postalCode?.slice(0, 5))),
    phone: clean(telecom.filter((t) => t.system === 'phone').map((t) => t.value?.replace(/\D/g, '').slice(-10))),
    email: clean(telecom.filter((t) => t.system === 'email').map((t) => t.value?.toLowerCase())),
  };
}

/** Case, accents, whitespace and punctuation ignored ("O'Brien-Smith" = "obriensmith"). */
export function normalisedName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function agree(rule: MatchRule, a: string[], b: string[]): boolean {
  const key = rule.compare === 'normalised' ? normalisedName : (v: string) => v;
  const theirs = new Set(b.map(key));
  return a.some((v) => theirs.has(key(v)));
}

/** How well one candidate (our member's values) fits the request, rule by rule. */
export function scoreCandidate(config: MatchConfig, request: MatchValues, patient: string, candidate: MatchValues): ScoredCandidate {
  let score = 0;
  let eligible = true;
  const fields: ScoredCandidate['fields'] = {};
  for (const rule of config.rules) {
    const a = request[rule.field] ?? [];
    const b = candidate[rule.field] ?? [];
    const result: FieldResult = a.length === 0 || b.length === 0 ? 'missing' : agree(rule, a, b) ? 'equal' : 'different';
    fields[rule.field] = result;
    if (rule.required && result !== 'equal') eligible = false;
    if (result === 'equal') score += rule.weight;
    else if (result === 'different' && !rule.required) score -= rule.weight;
  }
  return { patient, score, eligible, fields };
}

/** The decision over every scored candidate: one above the threshold matches; several never do. */
export function decide(config: MatchConfig, scored: readonly ScoredCandidate[]): MatchOutcome {
  const above = scored.filter((s) => s.eligible && s.score >= config.threshold);
  if (above.length === 0) return { outcome: 'none' };
  if (above.length > 1) return { outcome: 'ambiguous', patients: above.map((s) => s.patient).sort() };
  return { outcome: 'matched', patient: above[0].patient, score: above[0].score };
}

/** Problems with a configuration (empty when usable): a threshold nothing can reach, unknown fields … */
export function configProblems(config: MatchConfig): string[] {
  const problems: string[] = [];
  const seen = new Set<MatchField>();
  for (const r of config.rules) {
    if (seen.has(r.field)) problems.push(`${r.field} has two rules`);
    seen.add(r.field);
    if (r.weight < 0) problems.push(`${r.field}: weight must not be negative`);
  }
  const best = config.rules.reduce((n, r) => n + r.weight, 0);
  if (config.threshold > best) problems.push(`threshold ${config.threshold} is above the best possible score ${best}`);
  if (config.threshold <= 0) problems.push('threshold must be above 0 (a match needs evidence)');
  if (!config.rules.some((r) => r.required) && config.rules.length > 0 && config.threshold <= Math.max(...config.rules.map((r) => r.weight))) {
    problems.push('with no required field, the threshold must need more than one field to agree');
  }
  return problems;
}
