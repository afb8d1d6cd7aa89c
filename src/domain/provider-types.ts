/**
 * MassHealth provider types (PT-xx).
 *
 * The ORP-authorized types are from the MassHealth Provider Training Forum (July 2025),
 * "Authorized ORP Provider Types", implementing ACA § 6401(b) and All Provider Bulletins
 * 286/361/376/380/391: only these individual types (including interns and residents) may be
 * the ordering, referring or prescribing provider on a claim, and they must be enrolled.
 *
 * The other codes are used by the synthetic data for individuals and entities that cannot be
 * ORP providers. Their numbers are placeholders (`source: 'placeholder'`): confirm them against
 * the MMIS provider type list before relying on them outside demo data.
 */

export type ProviderTypeCode = `PT-${string}`;

export interface ProviderType {
  code: ProviderTypeCode;
  display: string;
  /** Individual practitioner or entity (organization). */
  kind: 'individual' | 'entity';
  /** May appear as ordering, referring or prescribing provider on a claim. */
  orpAuthorized: boolean;
  /** NUCC taxonomy code typical for the type (careTeam.qualification, PractitionerRole.specialty). */
  taxonomy: { code: string; display: string };
  /** 'seed': from the program's published list; 'placeholder': number to be confirmed. */
  source: 'seed' | 'placeholder';
}

function individual(code: ProviderTypeCode, display: string, orp: boolean, taxCode: string, taxDisplay: string, source: ProviderType['source'] = 'seed'): ProviderType {
  return { code, display, kind: 'individual', orpAuthorized: orp, taxonomy: { code: taxCode, display: taxDisplay }, source };
}

function entity(code: ProviderTypeCode, display: string, taxCode: string, taxDisplay: string): ProviderType {
  return { code, display, kind: 'entity', orpAuthorized: false, taxonomy: { code: taxCode, display: taxDisplay }, source: 'placeholder' };
}

export const PROVIDER_TYPES: readonly ProviderType[] = [
  individual('PT-01', 'Physician', true, '207Q00000X', 'Family Medicine Physician'),
  individual('PT-02', 'Optometrist', true, '152W00000X', 'Optometrist'),
  individual('PT-05', 'Psychologist', true, '103T00000X', 'Psychologist'),
  individual('PT-06', 'Podiatrist', true, '213E00000X', 'Podiatrist'),
  individual('PT-08', 'Certified Nurse Midwife', true, '367A00000X', 'Advanced Practice Midwife'),
  individual('PT-10', 'Dentist', true, '122300000X', 'Dentist'),
  individual('PT-17', 'Certified Nurse Practitioner', true, '363L00000X', 'Nurse Practitioner'),
  individual('PT-39', 'Physician Assistant', true, '363A00000X', 'Physician Assistant'),
  individual('PT-51', 'Certified Registered Nurse Anesthetist', true, '367500000X', 'Certified Registered Nurse Anesthetist'),
  individual('PT-57', 'Clinical Nurse Specialist', true, '364S00000X', 'Clinical Nurse Specialist'),
  individual('PT-78', 'Psychiatric Clinical Nurse Specialist', true, '364SP0808X', 'Psychiatric/Mental Health Clinical Nurse Specialist'),
  individual('PT-90', 'Pharmacist (if authorized to prescribe)', true, '183500000X', 'Pharmacist'),
  individual('PT-92', 'Licensed Independent Clinical Social Worker', true, '1041C0700X', 'Clinical Social Worker'),
  individual('PT-03', 'Chiropractor', false, '111N00000X', 'Chiropractor', 'placeholder'),
  individual('PT-46', 'Therapist (PT/OT/ST)', false, '225100000X', 'Physical Therapist', 'placeholder'),
  individual('PT-48', 'Audiologist', false, '231H00000X', 'Audiologist', 'placeholder'),
  individual('PT-53', 'Acupuncturist', false, '171100000X', 'Acupuncturist', 'placeholder'),
  entity('PT-91', 'Group Practice Organization', '193200000X', 'Multi-Specialty Group'),
  entity('PT-70', 'Acute Inpatient Hospital', '282N00000X', 'General Acute Care Hospital'),
  entity('PT-80', 'Acute Outpatient Hospital', '282N00000X', 'General Acute Care Hospital'),
  entity('PT-20', 'Community Health Center', '261QF0400X', 'Federally Qualified Health Center (FQHC)'),
  entity('PT-43', 'Certified Independent Laboratory', '291U00000X', 'Clinical Medical Laboratory'),
  entity('PT-50', 'Pharmacy', '3336C0003X', 'Community/Retail Pharmacy'),
  entity('PT-42', 'Durable Medical Equipment Supplier', '332B00000X', 'Durable Medical Equipment & Medical Supplies'),
  entity('PT-25', 'Urgent Care Center', '261QU0200X', 'Urgent Care Clinic/Center'),
];

const BY_CODE = new Map(PROVIDER_TYPES.map((t) => [t.code, t]));

/** The ORP-authorized provider type codes, from the program's published list. */
export const ORP_AUTHORIZED_PROVIDER_TYPES: readonly ProviderTypeCode[] = PROVIDER_TYPES.filter((t) => t.orpAuthorized).map((t) => t.code);

/** The provider type for a code (`PT-01` or `01`), or undefined. */
export function providerType(code: string): ProviderType | undefined {
  const normalized = /^\d{2}$/.test(code) ? `PT-${code}` : code.toUpperCase();
  return BY_CODE.get(normalized as ProviderTypeCode);
}

/** True when a provider of this type may be the ordering, referring or prescribing provider. */
export function isOrpAuthorized(code: string): boolean {
  return providerType(code)?.orpAuthorized ?? false;
}
