/**
 * PCC Plan / Primary Care ACO referral rules and ordering/referring (ORP) service rules.
 *
 * Sources (MassHealth Provider Training Forum, July 2025; All-Provider Bulletin 403):
 * - Referral requirements were suspended on 2020-03-20 (COVID-19) and are reinstated for
 *   dates of service on or after 2025-08-01 for PCC Plan and Primary Care ACO members.
 * - Services by anyone other than the member's PCC/PCP need the PCC/PCP's referral on file,
 *   unless exempt (130 CMR 450.118(J)(5), 450.119(I)); without it the claim is not paid.
 * - A referral may be issued retroactively, up to one year after the date of service.
 * - Urgent care needs no referral; it is recognised by place of service 20 (professional)
 *   or admission type code 02 (institutional).
 * - A referral is not a prior authorization.
 */
import type { PlanTypeCode } from './plan-types.js';

/** First date of service on which PCC Plan / Primary Care ACO referrals are required again. */
export const REFERRAL_REINSTATEMENT_DAY = '2025-08-01';

/**
 * First date of service on which a missing referring/ordering provider NPI denies the claim
 * (edit 1200); before it the edit was informational only.
 */
export const ORP_EDIT_ENFORCED_FROM = '2025-08-01';

export interface RulePeriod {
  /** First date the rule applies (inclusive, YYYY-MM-DD); undefined = since the beginning. */
  from?: string;
  /** Last date the rule applies (inclusive); undefined = still in force. */
  to?: string;
  referralRequired: boolean;
}

/** Whether PCC Plan / Primary Care ACO members needed referrals, by date of service. */
export const PCC_REFERRAL_PERIODS: readonly RulePeriod[] = [
  { to: '2020-03-19', referralRequired: true },
  { from: '2020-03-20', to: '2025-07-31', referralRequired: false },
  { from: REFERRAL_REINSTATEMENT_DAY, referralRequired: true },
];

/** A referral can be issued up to this many days after the date of service. */
export const RETROACTIVE_REFERRAL_WINDOW_DAYS = 365;

/** Professional claims for urgent care bill this CMS place of service code. */
export const URGENT_CARE_PLACE_OF_SERVICE = '20';

/**
 * Institutional claims for urgent care bill admit code 02, i.e. NUBC Priority (Type) of
 * Admission or Visit "2" (Urgent); the program writes it with a leading zero.
 */
export const URGENT_CARE_ADMISSION_TYPE = '2';

function inPeriod(period: RulePeriod, date: string): boolean {
  return (period.from === undefined || date >= period.from) && (period.to === undefined || date <= period.to);
}

/** Date-only part of an ISO date or dateTime. */
function day(date: string): string {
  return date.slice(0, 10);
}

/** True when the plan's referral rule is in force on the date of service. */
export function planRequiresReferralOn(plan: PlanTypeCode, serviceDate: string): boolean {
  if (plan !== 'PCC' && plan !== 'PCACO') return false;
  const d = day(serviceDate);
  return PCC_REFERRAL_PERIODS.some((p) => p.referralRequired && inPeriod(p, d));
}

/** True when the claim bills urgent care (POS 20, or admission type 2 / "02"). */
export function isUrgentCare(claim: { placeOfService?: string; admissionType?: string }): boolean {
  if (claim.placeOfService === URGENT_CARE_PLACE_OF_SERVICE) return true;
  const admission = claim.admissionType?.replace(/^0+(?=\d)/, '');
  return admission === URGENT_CARE_ADMISSION_TYPE;
}

export interface ReferralQuestion {
  plan: PlanTypeCode;
  serviceDate: string;
  /** The rendering/billing provider is the member's PCC/PCP (or in the ACO's referral circle). */
  byPrimaryCareProvider: boolean;
  placeOfService?: string;
  admissionType?: string;
  /** The service is exempt under 130 CMR 450.118(J)(5) / 450.119(I). */
  exempt?: boolean;
}

/** True when the service needs a PCC/PCP referral on file to be payable. */
export function isReferralRequired(q: ReferralQuestion): boolean {
  if (q.byPrimaryCareProvider || q.exempt) return false;
  if (isUrgentCare(q)) return false;
  return planRequiresReferralOn(q.plan, q.serviceDate);
}

/** True when a referral issued on `issuedOn` can cover a service on `serviceDate`. */
export function isReferralTimely(issuedOn: string, serviceDate: string): boolean {
  const issued = Date.parse(day(issuedOn));
  const service = Date.parse(day(serviceDate));
  return issued - service <= RETROACTIVE_REFERRAL_WINDOW_DAYS * 86_400_000;
}

/** True when a referral issued on `issuedOn` for a service on `serviceDate` was issued after it. */
export function isRetroactiveReferral(issuedOn: string, serviceDate: string): boolean {
  return day(issuedOn) > day(serviceDate);
}

/** Services that must carry an authorized, enrolled ordering/referring/prescribing provider's NPI. */
export const ORP_REQUIRED_SERVICES = [
  'adult-day-health',
  'adult-foster-care',
  'dme-and-supplies',
  'eyeglasses',
  'group-adult-foster-care',
  'home-health',
  'independent-nursing',
  'labs-and-diagnostic-tests',
  'medications',
  'orthotics',
  'oxygen-respiratory-equipment',
  'prosthetics',
  'psychological-testing',
  'therapy',
] as const;

export type OrpRequiredService = (typeof ORP_REQUIRED_SERVICES)[number];

export function requiresOrp(service: string): service is OrpRequiredService {
  return (ORP_REQUIRED_SERVICES as readonly string[]).includes(service);
}
