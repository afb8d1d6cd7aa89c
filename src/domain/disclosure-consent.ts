/**
 * What every Consent recording a member's choice about disclosing their data has in common (HRex
 * hrex-consent for Payer-to-Payer, PDex pdex-provider-consent for Provider Access): a privacy Consent of
 * the information-disclosure category, the member as patient and as performer (the choice is the member's,
 * whoever keyed it in), made now. Each API adds its policy and provision.
 */
import type { Consent } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from './systems.js';

export function memberDisclosureConsent(profile: string, patient: string, now: Date): Consent {
  return {
    resourceType: 'Consent',
    meta: { profile: [profile] },
    status: 'active',
    scope: { coding: [{ system: CODE_SYSTEM.consentScope, code: 'patient-privacy', display: 'Privacy Consent' }] },
    category: [{ coding: [{ system: CODE_SYSTEM.actCode, code: 'IDSCL', display: 'information disclosure' }] }],
    patient: { reference: `Patient/${patient}` },
    dateTime: now.toISOString(),
    performer: [{ reference: `Patient/${patient}` }],
  };
}
