/**
 * Who works where in the synthetic provider directory: staff mix per organization kind and
 * group specialty (provider type, NUCC taxonomy, credential), and naming/id conventions.
 */
import { providerType, type ProviderType } from '../../domain/provider-types.js';

export type OrgKind = 'group' | 'hospital' | 'chc' | 'urgent-care' | 'lab' | 'pharmacy' | 'dme' | 'dental';
export type GroupSpecialty = 'primary-care' | 'cardiology' | 'orthopedics' | 'behavioral' | 'therapy' | 'vision' | 'chiropractic';

export interface StaffSpec {
  type: string;
  taxonomy: { code: string; display: string };
  suffix: string;
  pcp?: boolean;
}

const T = {
  family: { code: '207Q00000X', display: 'Family Medicine Physician' },
  internal: { code: '207R00000X', display: 'Internal Medicine Physician' },
  pediatrics: { code: '208000000X', display: 'Pediatrics Physician' },
  cardiology: { code: '207RC0000X', display: 'Cardiovascular Disease Physician' },
  orthopedics: { code: '207X00000X', display: 'Orthopaedic Surgery Physician' },
  hospitalist: { code: '208M00000X', display: 'Hospitalist' },
  emergency: { code: '207P00000X', display: 'Emergency Medicine Physician' },
  dentist: { code: '1223G0001X', display: 'General Practice Dentist' },
} as const;

function staff(type: string, suffix: string, taxonomy?: { code: string; display: string }, pcp = false): StaffSpec {
  const pt = requireType(type);
  return { type, suffix, taxonomy: taxonomy ?? pt.taxonomy, pcp };
}

export function requireType(code: string): ProviderType {
  const pt = providerType(code);
  if (!pt) throw new Error(`unknown provider type ${code}`);
  return pt;
}

export const STAFF_BY_SPECIALTY: Readonly<Record<GroupSpecialty, readonly StaffSpec[]>> = {
  'primary-care': [staff('PT-01', 'MD', T.family, true), staff('PT-01', 'MD', T.internal, true), staff('PT-01', 'MD', T.pediatrics, true), staff('PT-17', 'NP', undefined, true), staff('PT-39', 'PA-C', undefined, true)],
  cardiology: [staff('PT-01', 'MD', T.cardiology), staff('PT-17', 'NP')],
  orthopedics: [staff('PT-01', 'MD', T.orthopedics), staff('PT-39', 'PA-C')],
  behavioral: [staff('PT-05', 'PhD'), staff('PT-92', 'LICSW'), staff('PT-78', 'APRN')],
  therapy: [staff('PT-46', 'DPT')],
  vision: [staff('PT-02', 'OD')],
  chiropractic: [staff('PT-03', 'DC')],
};

export const STAFF_BY_KIND: Partial<Readonly<Record<OrgKind, readonly StaffSpec[]>>> = {
  hospital: [staff('PT-01', 'MD', T.hospitalist), staff('PT-01', 'MD', T.emergency), staff('PT-51', 'CRNA')],
  chc: [staff('PT-01', 'MD', T.family, true), staff('PT-17', 'NP', undefined, true), staff('PT-57', 'APRN')],
  'urgent-care': [staff('PT-01', 'MD', T.emergency), staff('PT-39', 'PA-C')],
  dental: [staff('PT-10', 'DMD', T.dentist)],
};

export const ORG_TYPE: Readonly<Record<OrgKind, string>> = {
  group: 'PT-91',
  hospital: 'PT-70',
  chc: 'PT-20',
  'urgent-care': 'PT-25',
  lab: 'PT-43',
  pharmacy: 'PT-50',
  dme: 'PT-42',
  dental: 'PT-91',
};

export const SPECIALTY_NAMES: Readonly<Record<GroupSpecialty, string>> = {
  'primary-care': 'Family Health Associates',
  cardiology: 'Cardiology Group',
  orthopedics: 'Orthopedic Associates',
  behavioral: 'Behavioral Health Partners',
  therapy: 'Physical Therapy',
  vision: 'Eye Care',
  chiropractic: 'Chiropractic Center',
};

export const KIND_NAMES: Readonly<Record<OrgKind, string>> = {
  group: 'Medical Group',
  hospital: 'Regional Medical Center',
  chc: 'Community Health Center',
  'urgent-care': 'Urgent Care',
  lab: 'Clinical Laboratory',
  pharmacy: 'Community Pharmacy',
  dme: 'Medical Supply',
  dental: 'Family Dental',
};

export const ID_PREFIX: Readonly<Record<OrgKind, string>> = {
  group: 'grp',
  hospital: 'hosp',
  chc: 'chc',
  'urgent-care': 'uc',
  lab: 'lab',
  pharmacy: 'rx',
  dme: 'dme',
  dental: 'dent',
};

export const OTHER_PAYERS = ['Bay Colony Health Plan', 'Pioneer Valley Health Insurance', 'Granite State Medicaid Plan'];
