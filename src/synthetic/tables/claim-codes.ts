/** Claim coding tables for synthetic claims and prior authorizations (CPT, HCPCS, CDT, NUBC, MS-DRG). */
import type { OrpRequiredService } from '../../domain/referral-rules.js';
import type { Code } from './clinical-codes.js';

export interface ServiceLine {
  system: 'cpt' | 'hcpcs';
  code: string;
  display: string;
  /** Billed charge, USD. */
  charge: number;
}

export type ProfessionalKind =
  | 'primary-care'
  | 'preventive'
  | 'specialist'
  | 'behavioral'
  | 'urgent-care'
  | 'lab'
  | 'imaging'
  | 'therapy'
  | 'dme'
  | 'vision'
  | 'chiropractic';

export interface ProfessionalService {
  kind: ProfessionalKind;
  /** Which organizations bill it (directory organization kinds). */
  billedBy: 'group' | 'chc' | 'urgent-care' | 'lab' | 'dme' | 'hospital';
  /** Needs an ORP provider on the claim (the ordering/referring provider). */
  orp?: OrpRequiredService;
  /** CMS place of service. */
  placeOfService: Code;
  lines: readonly ServiceLine[];
}

const OFFICE: Code = { code: '11', display: 'Office' };
const URGENT: Code = { code: '20', display: 'Urgent Care Facility' };
const LAB: Code = { code: '81', display: 'Independent Laboratory' };
const HOME: Code = { code: '12', display: 'Home' };
const OUTPATIENT_HOSPITAL: Code = { code: '22', display: 'On Campus-Outpatient Hospital' };
const CHC: Code = { code: '50', display: 'Federally Qualified Health Center' };

export const PLACE_OF_SERVICE = { OFFICE, URGENT, LAB, HOME, OUTPATIENT_HOSPITAL, CHC } as const;

export const PROFESSIONAL_SERVICES: Readonly<Record<ProfessionalKind, ProfessionalService>> = {
  'primary-care': {
    kind: 'primary-care', billedBy: 'group', placeOfService: OFFICE,
    lines: [
      { system: 'cpt', code: '99213', display: 'Office or other outpatient visit, established patient, low MDM', charge: 145 },
      { system: 'cpt', code: '99214', display: 'Office or other outpatient visit, established patient, moderate MDM', charge: 210 },
    ],
  },
  preventive: {
    kind: 'preventive', billedBy: 'group', placeOfService: OFFICE,
    lines: [
      { system: 'cpt', code: '99395', display: 'Periodic comprehensive preventive medicine, established patient, 18-39 years', charge: 240 },
      { system: 'cpt', code: '99393', display: 'Periodic comprehensive preventive medicine, established patient, 5-11 years', charge: 190 },
    ],
  },
  specialist: {
    kind: 'specialist', billedBy: 'group', placeOfService: OFFICE,
    lines: [
      { system: 'cpt', code: '99204', display: 'Office or other outpatient visit, new patient, moderate MDM', charge: 320 },
      { system: 'cpt', code: '93000', display: 'Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report', charge: 85 },
      { system: 'cpt', code: '99203', display: 'Office or other outpatient visit, new patient, low MDM', charge: 230 },
    ],
  },
  behavioral: {
    kind: 'behavioral', billedBy: 'group', placeOfService: OFFICE,
    lines: [
      { system: 'cpt', code: '90834', display: 'Psychotherapy, 45 minutes with patient', charge: 160 },
      { system: 'cpt', code: '90837', display: 'Psychotherapy, 60 minutes with patient', charge: 210 },
    ],
  },
  'urgent-care': {
    kind: 'urgent-care', billedBy: 'urgent-care', placeOfService: URGENT,
    lines: [{ system: 'cpt', code: '99213', display: 'Office or other outpatient visit, established patient, low MDM', charge: 175 }],
  },
  lab: {
    kind: 'lab', billedBy: 'lab', placeOfService: LAB, orp: 'labs-and-diagnostic-tests',
    lines: [
      { system: 'cpt', code: '80053', display: 'Comprehensive metabolic panel', charge: 48 },
      { system: 'cpt', code: '83036', display: 'Hemoglobin; glycosylated (A1C)', charge: 32 },
      { system: 'cpt', code: '80061', display: 'Lipid panel', charge: 41 },
      { system: 'cpt', code: '85025', display: 'Complete blood count (CBC) with automated differential', charge: 24 },
    ],
  },
  imaging: {
    kind: 'imaging', billedBy: 'hospital', placeOfService: OUTPATIENT_HOSPITAL, orp: 'labs-and-diagnostic-tests',
    lines: [
      { system: 'cpt', code: '71046', display: 'Radiologic examination, chest; 2 views', charge: 120 },
      { system: 'cpt', code: '72148', display: 'Magnetic resonance imaging, spinal canal, lumbar; without contrast', charge: 1150 },
    ],
  },
  therapy: {
    kind: 'therapy', billedBy: 'group', placeOfService: OFFICE, orp: 'therapy',
    lines: [
      { system: 'cpt', code: '97110', display: 'Therapeutic procedure, each 15 minutes; therapeutic exercises', charge: 68 },
      { system: 'cpt', code: '97140', display: 'Manual therapy techniques, each 15 minutes', charge: 62 },
    ],
  },
  dme: {
    kind: 'dme', billedBy: 'dme', placeOfService: HOME, orp: 'dme-and-supplies',
    lines: [
      { system: 'hcpcs', code: 'E0114', display: 'Crutches, underarm, other than wood, adjustable or fixed, pair', charge: 65 },
      { system: 'hcpcs', code: 'A4253', display: 'Blood glucose test or reagent strips, per 50 strips', charge: 42 },
      { system: 'hcpcs', code: 'E0601', display: 'Continuous positive airway pressure (CPAP) device', charge: 890 },
    ],
  },
  vision: {
    kind: 'vision', billedBy: 'group', placeOfService: OFFICE, orp: 'eyeglasses',
    lines: [
      { system: 'cpt', code: '92014', display: 'Ophthalmological services: comprehensive, established patient', charge: 150 },
      { system: 'hcpcs', code: 'V2100', display: 'Sphere, single vision, plano to plus or minus 4.00, per lens', charge: 45 },
    ],
  },
  chiropractic: {
    kind: 'chiropractic', billedBy: 'group', placeOfService: OFFICE,
    lines: [{ system: 'cpt', code: '98940', display: 'Chiropractic manipulative treatment; spinal, 1-2 regions', charge: 55 }],
  },
};

export const CHC_PLACE_OF_SERVICE = CHC;

export interface InstitutionalStay {
  reason: Code;
  drg: Code;
  procedure?: Code;
  /** NUBC admission type: 1 emergency, 2 urgent, 3 elective. */
  admissionType: '1' | '2' | '3';
  days: [number, number];
  chargePerDay: number;
}

export const INPATIENT_STAYS: readonly InstitutionalStay[] = [
  { reason: { code: 'J18.9', display: 'Pneumonia, unspecified organism' }, drg: { code: '194', display: 'Simple pneumonia and pleurisy with CC' }, admissionType: '1', days: [2, 5], chargePerDay: 3900 },
  { reason: { code: 'I50.9', display: 'Heart failure, unspecified' }, drg: { code: '291', display: 'Heart failure and shock with MCC' }, admissionType: '1', days: [3, 7], chargePerDay: 4200 },
  { reason: { code: 'M17.11', display: 'Unilateral primary osteoarthritis, right knee' }, drg: { code: '470', display: 'Major hip and knee joint replacement or reattachment of lower extremity without MCC' }, procedure: { code: '0SRC0J9', display: 'Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach' }, admissionType: '3', days: [1, 3], chargePerDay: 9800 },
  { reason: { code: 'O80', display: 'Encounter for full-term uncomplicated delivery' }, drg: { code: '807', display: 'Vaginal delivery without sterilization/D&C without CC/MCC' }, procedure: { code: '10E0XZZ', display: 'Delivery of Products of Conception, External Approach' }, admissionType: '2', days: [1, 3], chargePerDay: 5200 },
  { reason: { code: 'A41.9', display: 'Sepsis, unspecified organism' }, drg: { code: '871', display: 'Septicemia or severe sepsis without MV >96 hours with MCC' }, admissionType: '1', days: [4, 9], chargePerDay: 4600 },
];

export interface OutpatientVisit {
  label: string;
  revenue: Code;
  line: ServiceLine;
  /** NUBC admission type for the visit; urgent care bills "2" (admit code 02). */
  admissionType: '1' | '2' | '3';
}

export const OUTPATIENT_VISITS: readonly OutpatientVisit[] = [
  { label: 'emergency', revenue: { code: '0450', display: 'Emergency room - general classification' }, line: { system: 'cpt', code: '99284', display: 'Emergency department visit, moderate MDM', charge: 1250 }, admissionType: '1' },
  { label: 'urgent-care', revenue: { code: '0456', display: 'Emergency room - urgent care' }, line: { system: 'cpt', code: '99213', display: 'Office or other outpatient visit, established patient, low MDM', charge: 380 }, admissionType: '2' },
  { label: 'clinic', revenue: { code: '0510', display: 'Clinic - general classification' }, line: { system: 'cpt', code: '99214', display: 'Office or other outpatient visit, established patient, moderate MDM', charge: 420 }, admissionType: '3' },
  { label: 'colonoscopy', revenue: { code: '0750', display: 'Gastrointestinal services - general classification' }, line: { system: 'cpt', code: '45378', display: 'Colonoscopy, flexible; diagnostic', charge: 2300 }, admissionType: '3' },
];

export const INPATIENT_REVENUE = {
  roomAndBoard: { code: '0120', display: 'Room & board - semi-private two beds - general classification' },
  pharmacy: { code: '0250', display: 'Pharmacy - general classification' },
  lab: { code: '0300', display: 'Laboratory - general classification' },
  operatingRoom: { code: '0360', display: 'Operating room services - general classification' },
} as const;

export const DENTAL_SERVICES: ReadonlyArray<{ code: string; display: string; charge: number; tooth?: boolean; childOnly?: boolean }> = [
  { code: 'D0120', display: 'Periodic oral evaluation - established patient', charge: 55 },
  { code: 'D1110', display: 'Prophylaxis - adult', charge: 95 },
  { code: 'D1120', display: 'Prophylaxis - child', charge: 70, childOnly: true },
  { code: 'D1206', display: 'Topical application of fluoride varnish', charge: 40, childOnly: true },
  { code: 'D0274', display: 'Bitewings - four radiographic images', charge: 70 },
  { code: 'D2391', display: 'Resin-based composite - one surface, posterior', charge: 165, tooth: true },
  { code: 'D7140', display: 'Extraction, erupted tooth or exposed root', charge: 180, tooth: true },
];

/** Items that need prior authorization (drugs excluded from CMS-0057-F PA requirements). */
export interface PaService {
  label: string;
  system: 'cpt' | 'hcpcs' | 'icd10pcs';
  code: string;
  display: string;
  quantity: [number, number];
  unit: string;
  /** Validity of an approval, days. */
  validDays: number;
  claimType: 'professional' | 'institutional';
  /** X12 service type code (PAS Claim.item.category). */
  serviceType: Code;
  diagnosis: Code;
}

const DME_PURCHASE: Code = { code: '12', display: 'Durable Medical Equipment Purchase' };
const DME_RENTAL: Code = { code: '18', display: 'Durable Medical Equipment Rental' };

export const PA_SERVICES: readonly PaService[] = [
  { label: 'cpap', system: 'hcpcs', code: 'E0601', display: 'Continuous positive airway pressure (CPAP) device', quantity: [1, 1], unit: 'device', validDays: 365, claimType: 'professional', serviceType: DME_PURCHASE, diagnosis: { code: 'G47.33', display: 'Obstructive sleep apnea (adult) (pediatric)' } },
  { label: 'hospital-bed', system: 'hcpcs', code: 'E0260', display: 'Hospital bed, semi-electric, with any type side rails, with mattress', quantity: [1, 1], unit: 'month', validDays: 180, claimType: 'professional', serviceType: DME_RENTAL, diagnosis: { code: 'M62.81', display: 'Muscle weakness (generalized)' } },
  { label: 'wheelchair', system: 'hcpcs', code: 'K0001', display: 'Standard wheelchair', quantity: [1, 1], unit: 'device', validDays: 365, claimType: 'professional', serviceType: DME_PURCHASE, diagnosis: { code: 'G82.20', display: 'Paraplegia, unspecified' } },
  { label: 'mri-brain', system: 'cpt', code: '70551', display: 'Magnetic resonance imaging, brain; without contrast material', quantity: [1, 1], unit: 'study', validDays: 60, claimType: 'professional', serviceType: { code: '62', display: 'MRI/CAT Scan' }, diagnosis: { code: 'R51.9', display: 'Headache, unspecified' } },
  { label: 'mri-lumbar', system: 'cpt', code: '72148', display: 'Magnetic resonance imaging, spinal canal, lumbar; without contrast', quantity: [1, 1], unit: 'study', validDays: 60, claimType: 'professional', serviceType: { code: '62', display: 'MRI/CAT Scan' }, diagnosis: { code: 'M54.50', display: 'Low back pain, unspecified' } },
  { label: 'physical-therapy', system: 'cpt', code: '97110', display: 'Therapeutic procedure, each 15 minutes; therapeutic exercises', quantity: [8, 24], unit: 'units', validDays: 90, claimType: 'professional', serviceType: { code: 'PT', display: 'Physical Therapy' }, diagnosis: { code: 'M25.561', display: 'Pain in right knee' } },
  { label: 'home-health', system: 'hcpcs', code: 'G0151', display: 'Services performed by a qualified physical therapist in the home health setting, each 15 minutes', quantity: [6, 20], unit: 'visits', validDays: 60, claimType: 'professional', serviceType: { code: '42', display: 'Home Health Care' }, diagnosis: { code: 'Z96.651', display: 'Presence of right artificial knee joint' } },
  { label: 'elective-admission', system: 'icd10pcs', code: '0SRC0J9', display: 'Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach', quantity: [1, 3], unit: 'days', validDays: 30, claimType: 'institutional', serviceType: { code: '48', display: 'Hospital - Inpatient' }, diagnosis: { code: 'M17.11', display: 'Unilateral primary osteoarthritis, right knee' } },
];
