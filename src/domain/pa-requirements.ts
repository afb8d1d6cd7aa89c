/**
 * What an ordered service needs before the program pays for it: a prior authorization, documentation,
 * a PCC/PCP referral, an authorized ordering provider, a pre-admission screening. Pure functions over
 * a rule set, which is data the payer's staff maintain (apis/prior-auth/pa-rules-store.ts keeps its
 * versions); nothing here reads a store or a clock.
 *
 * The rule set carries:
 *  - `services`: the items and services that need PA, by code system and code (or a range of codes of one
 *    length), per plan type, with effective dates of service; each may name the Questionnaire (DTR) that
 *    documents it, the quantity under which no PA is needed, the program's service limit, and when a
 *    request can be approved without a reviewer;
 *  - `referral`: PCC Plan / Primary Care ACO referral requirement (All-Provider Bulletin 403: from
 *    2025-08-01, urgent care exempt by place of service 20 or admit code 02, retroactive up to a year);
 *  - `orp`: services that must carry an authorized, enrolled ordering/referring/prescribing provider;
 *  - `screening`: MassHealth pre-admission screening for elective inpatient stays (ICD codes only,
 *    requested at least 7 days ahead).
 * The published list of items and services needing PA is `publishedServices(rules)`.
 */
import { isPlanTypeCode, PLAN_TYPE_CODES, type PlanTypeCode } from './plan-types.js';
import { CODE_SYSTEM } from './systems.js';

/** Code systems the rules name services in. */
export const SERVICE_CODE_SYSTEMS = {
  cpt: CODE_SYSTEM.cpt,
  hcpcs: CODE_SYSTEM.hcpcs,
  icd10pcs: CODE_SYSTEM.icd10pcs,
  revenue: CODE_SYSTEM.nubcRevenue,
} as const;

export type ServiceCodeSystem = keyof typeof SERVICE_CODE_SYSTEMS;

export const SERVICE_CODE_SYSTEM_NAMES: Readonly<Record<ServiceCodeSystem, string>> = {
  cpt: 'CPT',
  hcpcs: 'HCPCS',
  icd10pcs: 'ICD-10-PCS',
  revenue: 'Revenue code',
};

/** Other spellings of the same code systems seen in IG examples (PAS writes HCPCS with http:). */
const SERVICE_CODE_SYSTEM_ALIASES: Readonly<Record<string, ServiceCodeSystem>> = {
  'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets': 'hcpcs',
  'https://www.cms.gov/Medicare/Coding/ICD10': 'icd10pcs',
  'http://www.nlm.nih.gov/research/umls/hcpcs': 'hcpcs',
};

/** The rules' name for a code system URI, or undefined for one the rules do not use. */
export function serviceCodeSystem(uri: string | undefined): ServiceCodeSystem | undefined {
  if (uri === undefined) return undefined;
  return (Object.keys(SERVICE_CODE_SYSTEMS) as ServiceCodeSystem[]).find((k) => SERVICE_CODE_SYSTEMS[k] === uri) ?? (Object.hasOwn(SERVICE_CODE_SYSTEM_ALIASES, uri) ? SERVICE_CODE_SYSTEM_ALIASES[uri] : undefined);
}

/** Drug codes: a request coded in these is a drug request, outside the PA rule (CMS-0057-F excludes drugs). */
export const DRUG_CODE_SYSTEMS: readonly string[] = [CODE_SYSTEM.ndc, CODE_SYSTEM.rxnorm];

export type DocumentationKind = 'clinical' | 'admin' | 'both';

/** An answer a Questionnaire item must have for a request to be approved without a reviewer. */
export interface RequiredAnswer {
  linkId: string;
  /** The answer: a boolean, a number (at least), a code, or a string. */
  equals?: boolean | string;
  atLeast?: number;
}

export interface PaServiceRule {
  /** Stable key, lower-case letters, digits and '-'. */
  id: string;
  system: ServiceCodeSystem;
  /** One code, or `FIRST-LAST`: every code of the same length between them (inclusive, by character). */
  code: string;
  display: string;
  /** Heading the published list groups the service under. */
  category: string;
  /** Plan types for which the service needs PA. */
  planTypes: PlanTypeCode[];
  /** First date of service the rule applies to (YYYY-MM-DD). */
  from: string;
  /** Last date of service it applies to; absent while in force. */
  to?: string;
  /** PA is needed only when the requested quantity is above this (e.g. the first 12 visits need none). */
  paFreeQuantity?: number;
  /** The program's service limit per request; more is denied (quantity-exceeds-limit). */
  maxQuantity?: number;
  /** DTR: the Questionnaire (canonical URL, optionally `|version`) the documentation is collected with. */
  questionnaire?: string;
  documentation?: DocumentationKind;
  /** Approved without a reviewer when the documentation answers all of these and the quantity is within limits. */
  autoApprove?: { answers: RequiredAnswer[]; maxQuantity?: number };
  /** Free text shown with the service on the published list. */
  notes?: string;
}

export interface ReferralRule {
  planTypes: PlanTypeCode[];
  /** First date of service referrals are required (2025-08-01 after the 2020 suspension). */
  from: string;
  to?: string;
  /** Professional places of service that are urgent care (CMS POS 20). */
  urgentCarePlacesOfService: string[];
  /** Institutional admission types that are urgent care (NUBC "2", which the program writes 02). */
  urgentCareAdmissionTypes: string[];
  /** A referral can be issued up to this many days after the date of service. */
  retroactiveDays: number;
}

export interface OrpService {
  /** The ORP service category (therapy, dme-and-supplies, …). */
  service: string;
  system: ServiceCodeSystem;
  code: string;
}

export interface OrpRule {
  from: string;
  planTypes: PlanTypeCode[];
  /** Provider types (PT-xx) that may order, refer or prescribe. */
  authorizedProviderTypes: string[];
  services: OrpService[];
}

export interface ScreeningRule {
  planTypes: PlanTypeCode[];
  from: string;
  /** Days between the request and the admission, at least. */
  leadDays: number;
}

export interface PaRuleSet {
  services: PaServiceRule[];
  referral: ReferralRule;
  orp: OrpRule;
  screening: ScreeningRule;
}

// ---------------------------------------------------------------------------------------------------
// Validation: the admin endpoints accept a rule set (or one service) only when this finds no problem.

const DAY_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const CODE_RE = /^[A-Za-z0-9.]{1,16}$/;
const PT_RE = /^PT-\d{2}$/;

function isDay(v: unknown): v is string {
  // Round trip: Date.parse rolls 2025-02-30 over to March rather than refusing it.
  return typeof v === 'string' && DAY_RE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
}

const isServiceCodeSystem = (v: unknown): v is ServiceCodeSystem => typeof v === 'string' && Object.hasOwn(SERVICE_CODE_SYSTEMS, v);

/** `[first, last]` of a code or a range; undefined when malformed. */
export function codeRange(code: string): [string, string] | undefined {
  const parts = code.split('-');
  if (parts.length === 1 && CODE_RE.test(code)) return [code, code];
  if (parts.length !== 2) return undefined;
  const [a, b] = parts;
  if (!CODE_RE.test(a) || !CODE_RE.test(b) || a.length !== b.length || a > b) return undefined;
  return [a, b];
}

/** True when the code (of the same system) is the rule's code or inside its range. */
export function codeMatches(ruleCode: string, code: string): boolean {
  const range = codeRange(ruleCode.toUpperCase());
  if (!range) return false;
  const c = code.toUpperCase();
  return c.length === range[0].length && c >= range[0] && c <= range[1];
}

function planList(v: unknown, where: string, problems: string[]): void {
  if (!Array.isArray(v) || v.length === 0 || !v.every((p) => typeof p === 'string' && isPlanTypeCode(p))) {
    problems.push(`${where}: planTypes must list one or more of ${PLAN_TYPE_CODES.join(', ')}`);
  }
}

function period(o: { from?: unknown; to?: unknown }, where: string, problems: string[]): void {
  if (!isDay(o.from)) problems.push(`${where}: from must be a date (YYYY-MM-DD)`);
  if (o.to !== undefined && (!isDay(o.to) || (isDay(o.from) && o.to < o.from))) problems.push(`${where}: to must be a date on or after from`);
}

function positive(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Problems with one service rule (empty when it is valid). */
export function serviceRuleProblems(s: unknown, where = 'service'): string[] {
  const problems: string[] = [];
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return [`${where}: must be an object`];
  const r = s as Record<string, unknown>;
  const known = new Set(['id', 'system', 'code', 'display', 'category', 'planTypes', 'from', 'to', 'paFreeQuantity', 'maxQuantity', 'questionnaire', 'documentation', 'autoApprove', 'notes']);
  for (const k of Object.keys(r)) if (!known.has(k)) problems.push(`${where}: unknown field ${k}`);
  if (typeof r.id !== 'string' || !ID_RE.test(r.id)) problems.push(`${where}: id must be lower-case letters, digits and '-' (at most 64)`);
  if (!isServiceCodeSystem(r.system)) problems.push(`${where}: system must be one of ${Object.keys(SERVICE_CODE_SYSTEMS).join(', ')}`);
  if (typeof r.code !== 'string' || !codeRange(r.code)) problems.push(`${where}: code must be a code or FIRST-LAST of codes of one length`);
  for (const k of ['display', 'category'] as const) if (typeof r[k] !== 'string' || !(r[k] as string).trim() || (r[k] as string).length > 300) problems.push(`${where}: ${k} is required (at most 300 characters)`);
  planList(r.planTypes, where, problems);
  period(r, where, problems);
  for (const k of ['paFreeQuantity', 'maxQuantity'] as const) if (r[k] !== undefined && !positive(r[k])) problems.push(`${where}: ${k} must be a number ≥ 0`);
  if (r.questionnaire !== undefined && (typeof r.questionnaire !== 'string' || !/^https?:\/\/\S{1,400}$/.test(r.questionnaire))) problems.push(`${where}: questionnaire must be a canonical URL`);
  if (r.documentation !== undefined && !['clinical', 'admin', 'both'].includes(r.documentation as string)) problems.push(`${where}: documentation must be clinical, admin or both`);
  if (r.notes !== undefined && (typeof r.notes !== 'string' || r.notes.length > 2000)) problems.push(`${where}: notes must be text (at most 2,000 characters)`);
  if (r.autoApprove !== undefined) {
    const a = r.autoApprove as { answers?: unknown; maxQuantity?: unknown };
    if (typeof a !== 'object' || a === null || !Array.isArray(a.answers)) problems.push(`${where}: autoApprove.answers must be a list`);
    else {
      if (r.questionnaire === undefined && a.answers.length > 0) problems.push(`${where}: autoApprove.answers need a questionnaire`);
      a.answers.forEach((x: unknown, i) => {
        const q = x as Partial<RequiredAnswer> | null;
        const ok = q !== null && typeof q === 'object' && typeof q.linkId === 'string' && q.linkId.length > 0 && (typeof q.equals === 'boolean' || typeof q.equals === 'string' || positive(q.atLeast));
        if (!ok) problems.push(`${where}: autoApprove.answers[${i}] needs a linkId and equals (boolean or text) or atLeast (number)`);
      });
      if (a.maxQuantity !== undefined && !positive(a.maxQuantity)) problems.push(`${where}: autoApprove.maxQuantity must be a number ≥ 0`);
    }
  }
  return problems;
}

/** Problems with a whole rule set (empty when it is valid). */
export function ruleSetProblems(v: unknown): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['the rule set must be an object'];
  const r = v as Partial<Record<keyof PaRuleSet, unknown>>;
  const problems: string[] = [];
  if (!Array.isArray(r.services)) problems.push('services must be a list');
  else {
    r.services.forEach((s, i) => problems.push(...serviceRuleProblems(s, `services[${i}]`)));
    const ids = r.services.map((s: unknown) => (typeof s === 'object' && s !== null ? (s as { id?: unknown }).id : undefined)).filter((id) => id !== undefined);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) problems.push(`services: id ${String(dup)} is used twice`);
  }
  const referral = r.referral as Partial<ReferralRule> | undefined;
  if (!referral || typeof referral !== 'object') problems.push('referral is required');
  else {
    planList(referral.planTypes, 'referral', problems);
    period(referral, 'referral', problems);
    for (const k of ['urgentCarePlacesOfService', 'urgentCareAdmissionTypes'] as const) {
      if (!Array.isArray(referral[k]) || !referral[k].every((c) => typeof c === 'string' && /^\d{1,3}$/.test(c))) problems.push(`referral: ${k} must list codes of digits`);
    }
    if (!Number.isInteger(referral.retroactiveDays) || (referral.retroactiveDays as number) < 0) problems.push('referral: retroactiveDays must be a whole number ≥ 0');
  }
  const orp = r.orp as Partial<OrpRule> | undefined;
  if (!orp || typeof orp !== 'object') problems.push('orp is required');
  else {
    planList(orp.planTypes, 'orp', problems);
    period(orp, 'orp', problems);
    if (!Array.isArray(orp.authorizedProviderTypes) || !orp.authorizedProviderTypes.every((t) => typeof t === 'string' && PT_RE.test(t))) problems.push('orp: authorizedProviderTypes must list PT-xx codes');
    if (!Array.isArray(orp.services)) problems.push('orp: services must be a list');
    else
      orp.services.forEach((s, i) => {
        const ok = typeof s === 'object' && s !== null && typeof s.service === 'string' && ID_RE.test(s.service) && isServiceCodeSystem(s.system) && typeof s.code === 'string' && codeRange(s.code) !== undefined;
        if (!ok) problems.push(`orp: services[${i}] needs service (an id), system and code (or range)`);
      });
  }
  const screening = r.screening as Partial<ScreeningRule> | undefined;
  if (!screening || typeof screening !== 'object') problems.push('screening is required');
  else {
    planList(screening.planTypes, 'screening', problems);
    period(screening, 'screening', problems);
    if (!Number.isInteger(screening.leadDays) || (screening.leadDays as number) < 0) problems.push('screening: leadDays must be a whole number ≥ 0');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** One ordered item or service, as CRD and PAS see it. */
export interface OrderedService {
  /** Code system URI and code of the item/service. */
  system: string;
  code: string;
  display?: string;
  quantity?: number;
  /** Date of service (or admission), YYYY-MM-DD; today when the order does not say. */
  serviceDate: string;
  /** CMS place of service (professional), e.g. 20 = urgent care. */
  placeOfService?: string;
  /** NUBC admission type (institutional), e.g. 2/02 = urgent. */
  admissionType?: string;
  /** The order is an inpatient admission (encounter class IMP, claim type institutional). */
  inpatient?: boolean;
}

export interface CoverageFacts {
  /** The member's plan type on the date of service; undefined when not enrolled then. */
  plan: PlanTypeCode | undefined;
  /** Today (YYYY-MM-DD): lead times are counted from it. */
  today: string;
  /** The performing provider is the member's PCC/PCP; undefined when the order names no performer. */
  byPrimaryCare?: boolean;
  /** A referral from the PCC/PCP for this service is on file. */
  referralOnFile?: boolean;
  /** The ordering provider's type (PT-xx); undefined when unknown. */
  orderingProviderType?: string;
  /** The ordering provider is enrolled with the program. */
  orderingProviderEnrolled?: boolean;
}

export type PaNeeded = 'no-auth' | 'auth-needed' | 'conditional';

export interface CoverageDetermination {
  covered: 'covered' | 'not-covered';
  paNeeded: PaNeeded;
  /** The documentation a request needs (DTR), when PA is needed. */
  docNeeded?: DocumentationKind;
  questionnaire?: string;
  /** The service rule that decided, when one matched. */
  rule?: PaServiceRule;
  /** What is missing from the order to answer exactly. */
  infoNeeded: Array<'performer' | 'ordering-provider'>;
  referral: { needed: boolean; onFile?: boolean; reason: string };
  orp: { required: boolean; service?: string; authorized?: boolean; reason: string };
  screening: { required: boolean; leadTimeMet?: boolean; reason: string };
  /** Plain-language reasons, one per finding, in the order found. */
  reasons: string[];
}

function inForce(p: { from: string; to?: string }, day: string): boolean {
  return day >= p.from && (p.to === undefined || day <= p.to);
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
}

/** The service rule for a code on a date and plan, if any (the first in the list that matches). */
export function matchingServiceRule(rules: PaRuleSet, s: Pick<OrderedService, 'system' | 'code' | 'serviceDate'>, plan: PlanTypeCode): PaServiceRule | undefined {
  const system = serviceCodeSystem(s.system);
  if (!system) return undefined;
  return rules.services.find((r) => r.system === system && codeMatches(r.code, s.code) && r.planTypes.includes(plan) && inForce(r, s.serviceDate));
}

function orpService(rules: PaRuleSet, s: OrderedService): string | undefined {
  const system = serviceCodeSystem(s.system);
  return system ? rules.orp.services.find((o) => o.system === system && codeMatches(o.code, s.code))?.service : undefined;
}

function isUrgentCare(rules: PaRuleSet, s: OrderedService): boolean {
  if (s.placeOfService !== undefined && rules.referral.urgentCarePlacesOfService.includes(s.placeOfService)) return true;
  const admission = s.admissionType?.replace(/^0+(?=\d)/, '');
  return admission !== undefined && rules.referral.urgentCareAdmissionTypes.some((c) => c.replace(/^0+(?=\d)/, '') === admission);
}

/** Elective: NUBC admission type 3, or not stated (an ordered admission is planned); emergency, urgent, newborn and trauma are not. */
function isElective(s: OrderedService): boolean {
  const admission = s.admissionType?.replace(/^0+(?=\d)/, '');
  return admission === undefined || admission === '3';
}

/**
 * What the program requires for an ordered service. A drug never reaches here (the caller refuses
 * drug requests: CMS-0057-F excludes drugs from the PA rule); a member not enrolled on the date of
 * service is "not covered".
 */
export function determineCoverage(rules: PaRuleSet, s: OrderedService, f: CoverageFacts): CoverageDetermination {
  const reasons: string[] = [];
  const infoNeeded: CoverageDetermination['infoNeeded'] = [];
  const none = { referral: { needed: false, reason: '' }, orp: { required: false, reason: '' }, screening: { required: false, reason: '' } };
  if (!f.plan) {
    return { covered: 'not-covered', paNeeded: 'no-auth', infoNeeded, ...none, reasons: [`The member is not enrolled with the program on ${s.serviceDate}.`] };
  }
  const plan = f.plan;
  const rule = matchingServiceRule(rules, s, plan);
  let paNeeded: PaNeeded = 'no-auth';
  if (rule) {
    if (rule.paFreeQuantity === undefined) paNeeded = 'auth-needed';
    else if (s.quantity === undefined) paNeeded = 'conditional';
    else paNeeded = s.quantity > rule.paFreeQuantity ? 'auth-needed' : 'no-auth';
    if (paNeeded === 'auth-needed') reasons.push(`Prior authorization is required for ${rule.display} (${SERVICE_CODE_SYSTEM_NAMES[rule.system]} ${s.code}).`);
    if (paNeeded === 'conditional') reasons.push(`Prior authorization is required for ${rule.display} above ${rule.paFreeQuantity} per request; the order gives no quantity.`);
    if (paNeeded === 'no-auth') reasons.push(`No prior authorization is needed for up to ${rule.paFreeQuantity} of ${rule.display}.`);
  } else {
    reasons.push(`No prior authorization is needed for this service (${s.code}) under the ${plan} plan.`);
  }

  // Pre-admission screening: elective inpatient stays, in ICD codes, requested ahead of the admission.
  const screening: CoverageDetermination['screening'] = { required: false, reason: '' };
  if (s.inpatient && isElective(s) && rules.screening.planTypes.includes(plan) && inForce(rules.screening, s.serviceDate)) {
    screening.required = true;
    screening.leadTimeMet = daysBetween(f.today, s.serviceDate) >= rules.screening.leadDays;
    const icd = serviceCodeSystem(s.system) === 'icd10pcs';
    screening.reason = icd
      ? `An elective inpatient admission needs a pre-admission screening, requested at least ${rules.screening.leadDays} days before admission${screening.leadTimeMet ? '' : ` (the admission on ${s.serviceDate} is less than ${rules.screening.leadDays} days away)`}.`
      : `An elective inpatient admission needs a pre-admission screening, coded in ICD-10-PCS only (not ${serviceCodeSystem(s.system) ? SERVICE_CODE_SYSTEM_NAMES[serviceCodeSystem(s.system) as ServiceCodeSystem] : 'this code system'}).`;
    if (paNeeded === 'no-auth') paNeeded = 'auth-needed';
    reasons.push(screening.reason);
  }

  // PCC Plan / Primary Care ACO referral (not a prior authorization).
  const referral: CoverageDetermination['referral'] = { needed: false, reason: '' };
  if (rules.referral.planTypes.includes(plan) && inForce(rules.referral, s.serviceDate)) {
    if (isUrgentCare(rules, s)) referral.reason = 'Urgent care needs no referral.';
    else if (f.byPrimaryCare === true) referral.reason = "The member's PCC/PCP performs the service; no referral is needed.";
    else if (f.byPrimaryCare === undefined) {
      infoNeeded.push('performer');
      referral.needed = true;
      referral.onFile = f.referralOnFile ?? false;
      referral.reason = `The member is in the ${plan === 'PCC' ? 'PCC Plan' : 'Primary Care ACO'}: a service by anyone other than their PCC/PCP needs the PCC/PCP's referral on file (it may be issued up to ${rules.referral.retroactiveDays} days after the date of service).`;
    } else {
      referral.needed = true;
      referral.onFile = f.referralOnFile ?? false;
      referral.reason = referral.onFile
        ? "A referral from the member's PCC/PCP is on file for this service."
        : `The member is in the ${plan === 'PCC' ? 'PCC Plan' : 'Primary Care ACO'}: this service needs a referral from their PCC/PCP on file (it may be issued up to ${rules.referral.retroactiveDays} days after the date of service), or the claim is not paid.`;
    }
    if (referral.reason) reasons.push(referral.reason);
  }

  // Ordering, referring and prescribing provider.
  const orp: CoverageDetermination['orp'] = { required: false, reason: '' };
  const orpFor = orpService(rules, s);
  if (orpFor && rules.orp.planTypes.includes(plan) && inForce(rules.orp, s.serviceDate)) {
    orp.required = true;
    orp.service = orpFor;
    if (f.orderingProviderType === undefined) {
      infoNeeded.push('ordering-provider');
      orp.reason = `This service (${orpFor}) must carry the NPI of an authorized, enrolled ordering or referring provider.`;
    } else {
      orp.authorized = rules.orp.authorizedProviderTypes.includes(f.orderingProviderType) && f.orderingProviderEnrolled !== false;
      orp.reason = orp.authorized
        ? `The ordering provider's type (${f.orderingProviderType}) may order this service.`
        : f.orderingProviderEnrolled === false
          ? 'The ordering provider is not enrolled with the program; this service needs an enrolled ordering or referring provider.'
          : `The ordering provider's type (${f.orderingProviderType}) is not authorized to order, refer or prescribe; this service needs one of ${rules.orp.authorizedProviderTypes.join(', ')}.`;
    }
    reasons.push(orp.reason);
  }

  const documentation = paNeeded !== 'no-auth' && rule?.questionnaire ? { docNeeded: rule.documentation ?? 'clinical', questionnaire: rule.questionnaire } : {};
  return { covered: 'covered', paNeeded, ...documentation, ...(rule ? { rule } : {}), infoNeeded, referral, orp, screening, reasons };
}

/** The published list: every service rule in force on the day or starting later (upcoming ones are published too), ordered by category then code. */
export function publishedServices(rules: PaRuleSet, day: string): PaServiceRule[] {
  return rules.services
    .filter((r) => r.to === undefined || r.to >= day)
    .slice()
    .sort((a, b) => a.category.localeCompare(b.category) || a.system.localeCompare(b.system) || a.code.localeCompare(b.code));
}
