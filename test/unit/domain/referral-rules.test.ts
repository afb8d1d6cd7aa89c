import { describe, expect, it } from 'vitest';
import { PLAN_TYPES, isPlanTypeCode, planType } from '../../../src/domain/plan-types.js';
import {
  isReferralRequired,
  isReferralTimely,
  isRetroactiveReferral,
  isUrgentCare,
  planRequiresReferralOn,
  requiresOrp,
} from '../../../src/domain/referral-rules.js';

describe('PCC Plan and Primary Care ACO referral rules', () => {
  it('when a PCC Plan member is seen by a specialist on or after 2025-08-01, then a referral is required', () => {
    expect(isReferralRequired({ plan: 'PCC', serviceDate: '2025-08-01', byPrimaryCareProvider: false })).toBe(true);
    expect(isReferralRequired({ plan: 'PCACO', serviceDate: '2026-02-10', byPrimaryCareProvider: false })).toBe(true);
  });

  it('when the service falls in the COVID-19 suspension (2020-03-20 to 2025-07-31), then no referral is required', () => {
    expect(planRequiresReferralOn('PCC', '2020-03-20')).toBe(false);
    expect(planRequiresReferralOn('PCACO', '2025-07-31')).toBe(false);
  });

  it('when the service predates the suspension, then the referral rule applied', () => {
    expect(planRequiresReferralOn('PCC', '2019-11-02')).toBe(true);
  });

  it('when the member is fee-for-service or in managed care, then the PCC referral rule never applies', () => {
    expect(isReferralRequired({ plan: 'FFS', serviceDate: '2026-01-05', byPrimaryCareProvider: false })).toBe(false);
    expect(isReferralRequired({ plan: 'MCO', serviceDate: '2026-01-05', byPrimaryCareProvider: false })).toBe(false);
  });

  it('when the member sees their own PCC/PCP, then no referral is required', () => {
    expect(isReferralRequired({ plan: 'PCC', serviceDate: '2026-01-05', byPrimaryCareProvider: true })).toBe(false);
  });

  it('when the claim is urgent care (POS 20 or admit code 02), then no referral is required', () => {
    expect(isReferralRequired({ plan: 'PCC', serviceDate: '2026-01-05', byPrimaryCareProvider: false, placeOfService: '20' })).toBe(false);
    expect(isReferralRequired({ plan: 'PCACO', serviceDate: '2026-01-05', byPrimaryCareProvider: false, admissionType: '02' })).toBe(false);
    expect(isUrgentCare({ admissionType: '2' })).toBe(true);
    expect(isUrgentCare({ placeOfService: '11', admissionType: '1' })).toBe(false);
  });

  it('when the service is exempt, then no referral is required', () => {
    expect(isReferralRequired({ plan: 'PCC', serviceDate: '2026-01-05', byPrimaryCareProvider: false, exempt: true })).toBe(false);
  });

  it('when a referral is issued up to a year after the service, then it is timely and retroactive', () => {
    expect(isReferralTimely('2026-03-01', '2025-09-01')).toBe(true);
    expect(isRetroactiveReferral('2026-03-01', '2025-09-01')).toBe(true);
    expect(isReferralTimely('2025-08-30', '2025-09-01')).toBe(true);
    expect(isRetroactiveReferral('2025-08-30', '2025-09-01')).toBe(false);
  });

  it('when a referral is issued more than a year after the service, then it is not timely', () => {
    expect(isReferralTimely('2026-09-02', '2025-09-01')).toBe(false);
  });

  it('when a service is DME, labs or therapy, then it needs an ORP provider', () => {
    expect(requiresOrp('dme-and-supplies')).toBe(true);
    expect(requiresOrp('labs-and-diagnostic-tests')).toBe(true);
    expect(requiresOrp('therapy')).toBe(true);
    expect(requiresOrp('office-visit')).toBe(false);
  });
});

describe('plan types', () => {
  it('when the plan is PCC Plan or Primary Care ACO, then referrals are required from 2025-08-01', () => {
    expect(planType('PCC').referralRequiredFrom).toBe('2025-08-01');
    expect(planType('PCACO').referralRequiredFrom).toBe('2025-08-01');
    expect(planType('FFS').referralRequiredFrom).toBeUndefined();
    expect(planType('MCO').referralRequiredFrom).toBeUndefined();
  });

  it('when claims go to a managed care entity, then the ORP edits do not apply', () => {
    expect(PLAN_TYPES.MCO.orpEditsApply).toBe(false);
    expect(PLAN_TYPES.FFS.orpEditsApply).toBe(true);
  });

  it('when a string is checked as a plan code, then only the four codes are accepted', () => {
    expect(['FFS', 'PCC', 'PCACO', 'MCO'].every(isPlanTypeCode)).toBe(true);
    expect(isPlanTypeCode('HMO')).toBe(false);
  });
});
