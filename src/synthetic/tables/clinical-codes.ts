/**
 * Clinical code tables for synthetic data. Codes are real (ICD-10-CM, SNOMED CT, LOINC, CVX,
 * RxNorm); drug product NDCs are illustrative and should not be used for anything but demos.
 */

export interface Code {
  code: string;
  display: string;
}

export interface Drug {
  rxnorm: Code;
  /** 11-digit NDC (5-4-2, hyphenated) — illustrative. */
  ndc: string;
  daysSupply: number;
  quantity: number;
  /** Ingredient cost per fill, USD. */
  cost: number;
}

export interface ChronicCondition {
  key: string;
  icd10: Code;
  snomed: Code;
  /** Minimum age in years at onset. */
  minAge: number;
  drug?: Drug;
  /** Lab tests (keys of LAB_TESTS) monitored for this condition. */
  labs: readonly LabKey[];
}

export type LabKey = 'a1c' | 'glucose' | 'cholesterol' | 'ldl' | 'hdl' | 'triglycerides' | 'creatinine' | 'hemoglobin';

export interface LabTest {
  key: LabKey;
  loinc: Code;
  unit: string;
  low: number;
  high: number;
  decimals: number;
  /** Panel it is reported in (DiagnosticReport.code) and the CPT billed for it. */
  panel: Code;
  cpt: Code;
}

export const LAB_TESTS: Readonly<Record<LabKey, LabTest>> = {
  a1c: {
    key: 'a1c', loinc: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }, unit: '%', low: 5.2, high: 9.8, decimals: 1,
    panel: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }, cpt: { code: '83036', display: 'Hemoglobin; glycosylated (A1C)' },
  },
  glucose: {
    key: 'glucose', loinc: { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' }, unit: 'mg/dL', low: 72, high: 210, decimals: 0,
    panel: { code: '24323-8', display: 'Comprehensive metabolic 2000 panel - Serum or Plasma' }, cpt: { code: '80053', display: 'Comprehensive metabolic panel' },
  },
  creatinine: {
    key: 'creatinine', loinc: { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma' }, unit: 'mg/dL', low: 0.6, high: 1.6, decimals: 2,
    panel: { code: '24323-8', display: 'Comprehensive metabolic 2000 panel - Serum or Plasma' }, cpt: { code: '80053', display: 'Comprehensive metabolic panel' },
  },
  cholesterol: {
    key: 'cholesterol', loinc: { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' }, unit: 'mg/dL', low: 140, high: 280, decimals: 0,
    panel: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' }, cpt: { code: '80061', display: 'Lipid panel' },
  },
  ldl: {
    key: 'ldl', loinc: { code: '13457-7', display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation' }, unit: 'mg/dL', low: 60, high: 190, decimals: 0,
    panel: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' }, cpt: { code: '80061', display: 'Lipid panel' },
  },
  hdl: {
    key: 'hdl', loinc: { code: '2085-9', display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma' }, unit: 'mg/dL', low: 30, high: 80, decimals: 0,
    panel: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' }, cpt: { code: '80061', display: 'Lipid panel' },
  },
  triglycerides: {
    key: 'triglycerides', loinc: { code: '2571-8', display: 'Triglyceride [Mass/volume] in Serum or Plasma' }, unit: 'mg/dL', low: 60, high: 320, decimals: 0,
    panel: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' }, cpt: { code: '80061', display: 'Lipid panel' },
  },
  hemoglobin: {
    key: 'hemoglobin', loinc: { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood' }, unit: 'g/dL', low: 10.5, high: 16.5, decimals: 1,
    panel: { code: '58410-2', display: 'CBC panel - Blood by Automated count' }, cpt: { code: '85025', display: 'Complete blood count (CBC) with automated differential' },
  },
};

export const CHRONIC_CONDITIONS: readonly ChronicCondition[] = [
  {
    key: 'hypertension', icd10: { code: 'I10', display: 'Essential (primary) hypertension' }, snomed: { code: '38341003', display: 'Hypertensive disorder, systemic arterial' }, minAge: 25,
    drug: { rxnorm: { code: '314076', display: 'lisinopril 10 MG Oral Tablet' }, ndc: '68180-0514-01', daysSupply: 30, quantity: 30, cost: 6.5 }, labs: ['creatinine', 'glucose'],
  },
  {
    key: 'diabetes', icd10: { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' }, snomed: { code: '44054006', display: 'Diabetes mellitus type 2' }, minAge: 20,
    drug: { rxnorm: { code: '861007', display: 'metformin hydrochloride 500 MG Oral Tablet' }, ndc: '00093-1048-01', daysSupply: 30, quantity: 60, cost: 8.2 }, labs: ['a1c', 'glucose', 'creatinine'],
  },
  {
    key: 'hyperlipidemia', icd10: { code: 'E78.5', display: 'Hyperlipidemia, unspecified' }, snomed: { code: '55822004', display: 'Hyperlipidemia' }, minAge: 30,
    drug: { rxnorm: { code: '617312', display: 'atorvastatin 10 MG Oral Tablet' }, ndc: '00378-3950-77', daysSupply: 30, quantity: 30, cost: 9.4 }, labs: ['cholesterol', 'ldl', 'hdl', 'triglycerides'],
  },
  {
    key: 'asthma', icd10: { code: 'J45.909', display: 'Unspecified asthma, uncomplicated' }, snomed: { code: '195967001', display: 'Asthma' }, minAge: 3,
    drug: { rxnorm: { code: '745679', display: 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler' }, ndc: '00173-0682-20', daysSupply: 30, quantity: 1, cost: 38.9 }, labs: [],
  },
  {
    key: 'depression', icd10: { code: 'F32.9', display: 'Major depressive disorder, single episode, unspecified' }, snomed: { code: '35489007', display: 'Depressive disorder' }, minAge: 12,
    drug: { rxnorm: { code: '312940', display: 'sertraline 50 MG Oral Tablet' }, ndc: '16729-0213-01', daysSupply: 30, quantity: 30, cost: 7.1 }, labs: [],
  },
  {
    key: 'anxiety', icd10: { code: 'F41.9', display: 'Anxiety disorder, unspecified' }, snomed: { code: '197480006', display: 'Anxiety disorder' }, minAge: 10, labs: [],
  },
  {
    key: 'obesity', icd10: { code: 'E66.9', display: 'Obesity, unspecified' }, snomed: { code: '414916001', display: 'Obesity' }, minAge: 6, labs: ['hemoglobin'],
  },
  {
    key: 'gerd', icd10: { code: 'K21.9', display: 'Gastro-esophageal reflux disease without esophagitis' }, snomed: { code: '235595009', display: 'Gastroesophageal reflux disease' }, minAge: 18,
    drug: { rxnorm: { code: '198053', display: 'omeprazole 20 MG Delayed Release Oral Capsule' }, ndc: '62175-0118-37', daysSupply: 30, quantity: 30, cost: 5.9 }, labs: [],
  },
];

/** Reasons for acute, episodic visits (ICD-10-CM), with SNOMED for encounter diagnoses. */
export const ACUTE_REASONS: ReadonlyArray<{ icd10: Code; snomed: Code }> = [
  { icd10: { code: 'J06.9', display: 'Acute upper respiratory infection, unspecified' }, snomed: { code: '54150009', display: 'Upper respiratory infection' } },
  { icd10: { code: 'H66.90', display: 'Otitis media, unspecified, unspecified ear' }, snomed: { code: '65363002', display: 'Otitis media' } },
  { icd10: { code: 'M54.50', display: 'Low back pain, unspecified' }, snomed: { code: '279039007', display: 'Low back pain' } },
  { icd10: { code: 'J02.9', display: 'Acute pharyngitis, unspecified' }, snomed: { code: '405737000', display: 'Pharyngitis' } },
  { icd10: { code: 'S93.401A', display: 'Sprain of unspecified ligament of right ankle, initial encounter' }, snomed: { code: '44465007', display: 'Sprain of ankle' } },
  { icd10: { code: 'N39.0', display: 'Urinary tract infection, site not specified' }, snomed: { code: '68566005', display: 'Urinary tract infectious disease' } },
];

/** Preventive / general exam diagnosis. */
export const GENERAL_EXAM: Code = { code: 'Z00.00', display: 'Encounter for general adult medical examination without abnormal findings' };
export const CHILD_EXAM: Code = { code: 'Z00.129', display: 'Encounter for routine child health examination without abnormal findings' };
export const DENTAL_EXAM: Code = { code: 'Z01.20', display: 'Encounter for dental examination and cleaning without abnormal findings' };

export const VACCINES: ReadonlyArray<{ cvx: Code; cpt: Code; minAge: number; maxAge: number; annual: boolean }> = [
  { cvx: { code: '150', display: 'Influenza, injectable, quadrivalent, preservative free' }, cpt: { code: '90686', display: 'Influenza virus vaccine, quadrivalent, split virus, preservative free, 0.5 mL, IM' }, minAge: 3, maxAge: 120, annual: true },
  { cvx: { code: '115', display: 'Tdap' }, cpt: { code: '90715', display: 'Tetanus, diphtheria toxoids and acellular pertussis vaccine (Tdap), IM' }, minAge: 11, maxAge: 120, annual: false },
  { cvx: { code: '03', display: 'MMR' }, cpt: { code: '90707', display: 'Measles, mumps and rubella virus vaccine (MMR), live, subcutaneous' }, minAge: 1, maxAge: 6, annual: false },
  { cvx: { code: '62', display: 'HPV, quadrivalent' }, cpt: { code: '90649', display: 'Human Papillomavirus vaccine, quadrivalent, 3 dose schedule, IM' }, minAge: 9, maxAge: 26, annual: false },
];

export const ALLERGENS: ReadonlyArray<{ snomed: Code; category: 'medication' | 'food' | 'environment'; reaction: Code }> = [
  { snomed: { code: '764146007', display: 'Penicillin' }, category: 'medication', reaction: { code: '271807003', display: 'Eruption of skin' } },
  { snomed: { code: '762952008', display: 'Peanut' }, category: 'food', reaction: { code: '39579001', display: 'Anaphylaxis' } },
  { snomed: { code: '256277009', display: 'Grass pollen' }, category: 'environment', reaction: { code: '49727002', display: 'Cough' } },
  { snomed: { code: '111088007', display: 'Latex' }, category: 'environment', reaction: { code: '247472004', display: 'Weal' } },
];

/** Vital-sign LOINC codes and UCUM units (FHIR vital signs profile). */
export const VITALS = {
  panel: { code: '85354-9', display: 'Blood pressure panel with all children optional' },
  systolic: { code: '8480-6', display: 'Systolic blood pressure' },
  diastolic: { code: '8462-4', display: 'Diastolic blood pressure' },
  weight: { code: '29463-7', display: 'Body weight' },
  height: { code: '8302-2', display: 'Body height' },
  bmi: { code: '39156-5', display: 'Body mass index (BMI) [Ratio]' },
  heartRate: { code: '8867-4', display: 'Heart rate' },
  respiratoryRate: { code: '9279-1', display: 'Respiratory rate' },
  bodyTemperature: { code: '8310-5', display: 'Body temperature' },
} as const;

/** LOINC 72166-2 and its SNOMED CT answers (US Core Smoking Status, USCDI "Smoking Status"). */
export const SMOKING_STATUS = {
  code: { code: '72166-2', display: 'Tobacco smoking status' },
  never: { code: '266919005', display: 'Never smoked tobacco' },
  former: { code: '8517006', display: 'Ex-smoker' },
  daily: { code: '449868002', display: 'Smokes tobacco daily' },
} as const;

export interface GoalTemplate {
  /** Goal.description.text. */
  text: string;
  /** LOINC of what is measured (Goal.target.measure), with the target bound when there is one. */
  measure?: Code & { below?: number; unit?: string };
  /** Months from the start of the goal to its due date. */
  dueMonths: number;
}

/** Treatment goals per chronic condition key (CHRONIC_CONDITIONS), in order of clinical priority. */
export const CONDITION_GOALS: ReadonlyArray<readonly [string, GoalTemplate]> = [
  ['hypertension', { text: 'Keep systolic blood pressure below 140 mmHg', measure: { code: '8480-6', display: 'Systolic blood pressure', below: 140, unit: 'mm[Hg]' }, dueMonths: 6 }],
  ['diabetes', { text: 'Hemoglobin A1c below 7%', measure: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', below: 7, unit: '%' }, dueMonths: 6 }],
  ['hyperlipidemia', { text: 'LDL cholesterol below 100 mg/dL', measure: { code: '13457-7', display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', below: 100, unit: 'mg/dL' }, dueMonths: 12 }],
  ['obesity', { text: 'Lose 5% of body weight', measure: { code: '29463-7', display: 'Body weight' }, dueMonths: 12 }],
  ['asthma', { text: 'No asthma attacks needing urgent or emergency care', dueMonths: 12 }],
  ['depression', { text: 'PHQ-9 score below 5', measure: { code: '44261-6', display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]', below: 5, unit: '{score}' }, dueMonths: 6 }],
];

/** LOINC document types. */
export const DOCUMENT_TYPES = {
  progressNote: { code: '11506-3', display: 'Progress note' },
  dischargeSummary: { code: '18842-5', display: 'Discharge summary' },
  consultNote: { code: '11488-4', display: 'Consult note' },
  consent: { code: '59284-0', display: 'Consent Document' },
  historyAndPhysical: { code: '34117-2', display: 'History and physical note' },
} as const;

/** Short-course drug for acute visits when the member has no chronic prescription. */
export const ACUTE_DRUG: Drug = {
  rxnorm: { code: '308182', display: 'amoxicillin 500 MG Oral Capsule' },
  ndc: '65862-0017-01',
  daysSupply: 10,
  quantity: 30,
  cost: 4.2,
};

export const ACUTE_DRUG_REASON: Code = { code: 'J02.9', display: 'Acute pharyngitis, unspecified' };

export const OTHER_DIAGNOSES = {
  myopia: { code: 'H52.13', display: 'Myopia, bilateral' },
  colonScreening: { code: 'Z12.11', display: 'Encounter for screening for malignant neoplasm of colon' },
  backPain: { code: 'M54.50', display: 'Low back pain, unspecified' },
} as const;
