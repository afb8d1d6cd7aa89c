/**
 * MassHealth plan types a member can be enrolled in.
 *
 * PCC Plan and Primary Care ACO members need a referral from their PCC/PCP on file for services
 * by other providers for dates of service on or after 2025-08-01 (All-Provider Bulletin 403;
 * 130 CMR 450.118(J) and 450.119(I)). Ordering/referring (ORP) edits apply to fee-for-service
 * claims, not to claims submitted to managed care entities (Provider Training Forum, July 2025).
 */

export type PlanTypeCode = 'FFS' | 'PCC' | 'PCACO' | 'MCO';

export interface PlanType {
  code: PlanTypeCode;
  display: string;
  /** The member has a primary care clinician/provider on file (PCC or ACO PCP). */
  hasPrimaryCareAssignment: boolean;
  /** First date of service on which a PCC/PCP referral is required again; undefined when never. */
  referralRequiredFrom: string | undefined;
  /** MassHealth's ordering/referring/prescribing claim edits apply to the member's claims. */
  orpEditsApply: boolean;
  /** PHDSC Source of Payment Typology code for Coverage.type. */
  sourceOfPayment: { code: string; display: string };
}

export const PLAN_TYPES: Readonly<Record<PlanTypeCode, PlanType>> = {
  FFS: {
    code: 'FFS',
    display: 'MassHealth fee-for-service',
    hasPrimaryCareAssignment: false,
    referralRequiredFrom: undefined,
    orpEditsApply: true,
    sourceOfPayment: { code: '22', display: 'Medicaid (Non-managed Care Plan)' },
  },
  PCC: {
    code: 'PCC',
    display: 'Primary Care Clinician (PCC) Plan',
    hasPrimaryCareAssignment: true,
    referralRequiredFrom: '2025-08-01',
    orpEditsApply: true,
    sourceOfPayment: { code: '21', display: 'Medicaid (Managed Care)' },
  },
  PCACO: {
    code: 'PCACO',
    display: 'Primary Care ACO',
    hasPrimaryCareAssignment: true,
    referralRequiredFrom: '2025-08-01',
    orpEditsApply: true,
    sourceOfPayment: { code: '21', display: 'Medicaid (Managed Care)' },
  },
  MCO: {
    code: 'MCO',
    display: 'Managed care organization',
    hasPrimaryCareAssignment: true,
    referralRequiredFrom: undefined,
    orpEditsApply: false,
    sourceOfPayment: { code: '211', display: 'Medicaid HMO' },
  },
};

export const PLAN_TYPE_CODES: readonly PlanTypeCode[] = ['FFS', 'PCC', 'PCACO', 'MCO'];

export function isPlanTypeCode(value: string): value is PlanTypeCode {
  return (PLAN_TYPE_CODES as readonly string[]).includes(value);
}

export function planType(code: PlanTypeCode): PlanType {
  return PLAN_TYPES[code];
}

/** MassHealth benefit packages (coverage types), carried as Coverage.class:group. */
export const BENEFIT_PACKAGES = [
  { code: 'STANDARD', display: 'MassHealth Standard' },
  { code: 'COMMONHEALTH', display: 'MassHealth CommonHealth' },
  { code: 'CAREPLUS', display: 'MassHealth CarePlus' },
  { code: 'FAMILY-ASSISTANCE', display: 'MassHealth Family Assistance' },
] as const;
