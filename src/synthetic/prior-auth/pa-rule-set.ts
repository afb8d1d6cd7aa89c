/**
 * The rule set a new server starts with: the program's own rules from the seeds (referral, ORP,
 * pre-admission screening: domain/referral-rules.ts, domain/provider-types.ts) and, as demo data, the
 * items and services of the synthetic PAs (synthetic/tables/claim-codes.ts) with a DTR Questionnaire each.
 * Payer staff replace the services through the admin endpoints; every change is a new version.
 *
 * The ORP service codes are representative HCPCS/CPT ranges for each ORP service category, chosen
 * for the demo; the program's fee schedules are the authority for a real deployment.
 */
import type { Questionnaire, QuestionnaireItem } from '@medplum/fhirtypes';
import { SERVICE_CODE_SYSTEMS, type PaRuleSet, type PaServiceRule, type RequiredAnswer } from '../../domain/pa-requirements.js';
import { PLAN_TYPE_CODES } from '../../domain/plan-types.js';
import { ORP_AUTHORIZED_PROVIDER_TYPES } from '../../domain/provider-types.js';
import { ORP_EDIT_ENFORCED_FROM, REFERRAL_REINSTATEMENT_DAY, RETROACTIVE_REFERRAL_WINDOW_DAYS, URGENT_CARE_PLACE_OF_SERVICE } from '../../domain/referral-rules.js';
import { PROGRAM_FHIR_BASE } from '../../domain/systems.js';
import { PA_SERVICES, type PaService } from '../tables/claim-codes.js';

export const DTR_QUESTIONNAIRE_PROFILE = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire';
export const QUESTIONNAIRE_VERSION = '1.0.0';

export const questionnaireUrl = (label: string): string => `${PROGRAM_FHIR_BASE}/Questionnaire/pa-${label}`;

interface DocumentationSpec {
  category: string;
  title: string;
  items: QuestionnaireItem[];
  approveWhen: RequiredAnswer[];
  /** Above this many units a reviewer decides even when the answers qualify. */
  autoMaxQuantity?: number;
  paFreeQuantity?: number;
  maxQuantity?: number;
}

const yesNo = (linkId: string, text: string): QuestionnaireItem => ({ linkId, text, type: 'boolean', required: true });
const num = (linkId: string, text: string, type: 'integer' | 'decimal' = 'integer'): QuestionnaireItem => ({ linkId, text, type, required: true });
const notes: QuestionnaireItem = { linkId: 'clinical-notes', text: 'Clinical notes supporting the request', type: 'text', required: false };

const SPECS: Readonly<Record<string, DocumentationSpec>> = {
  cpap: {
    category: 'Durable medical equipment',
    title: 'CPAP device: sleep apnea documentation',
    items: [yesNo('sleep-study', 'Was a sleep study (polysomnography or home sleep test) performed in the last 12 months?'), num('ahi', 'Apnea-hypopnea index (events per hour) from the study', 'decimal'), notes],
    approveWhen: [{ linkId: 'sleep-study', equals: true }, { linkId: 'ahi', atLeast: 15 }],
  },
  'hospital-bed': {
    category: 'Durable medical equipment',
    title: 'Hospital bed: positioning needs',
    items: [yesNo('positioning', 'Does the member need body positioning not feasible in an ordinary bed?'), yesNo('face-to-face', 'Was there a face-to-face examination within the last 6 months?'), notes],
    approveWhen: [{ linkId: 'positioning', equals: true }, { linkId: 'face-to-face', equals: true }],
  },
  wheelchair: {
    category: 'Durable medical equipment',
    title: 'Standard wheelchair: mobility assessment',
    items: [yesNo('mobility-limitation', 'Does a mobility limitation prevent daily activities in the home?'), yesNo('cane-walker-insufficient', 'Are a cane or walker insufficient?'), notes],
    approveWhen: [{ linkId: 'mobility-limitation', equals: true }, { linkId: 'cane-walker-insufficient', equals: true }],
  },
  'mri-brain': {
    category: 'Advanced imaging',
    title: 'MRI of the brain: clinical indication',
    items: [yesNo('red-flags', 'Are there neurological deficits or red-flag symptoms?'), num('weeks-symptoms', 'Weeks of symptoms'), notes],
    approveWhen: [{ linkId: 'red-flags', equals: true }],
  },
  'mri-lumbar': {
    category: 'Advanced imaging',
    title: 'MRI of the lumbar spine: clinical indication',
    items: [yesNo('red-flags', 'Are there red-flag symptoms (neurological deficit, suspected infection, cancer, cauda equina)?'), num('weeks-conservative', 'Weeks of conservative therapy tried'), notes],
    approveWhen: [{ linkId: 'weeks-conservative', atLeast: 6 }],
  },
  'physical-therapy': {
    category: 'Therapy',
    title: 'Outpatient physical therapy: plan of care',
    items: [yesNo('plan-of-care', 'Is a signed plan of care with measurable goals attached?'), yesNo('functional-limitation', 'Is a functional limitation documented?'), notes],
    approveWhen: [{ linkId: 'plan-of-care', equals: true }, { linkId: 'functional-limitation', equals: true }],
    autoMaxQuantity: 24,
    paFreeQuantity: 4,
    maxQuantity: 60,
  },
  'home-health': {
    category: 'Home health',
    title: 'Home health therapy: homebound status',
    items: [yesNo('homebound', 'Is the member homebound?'), yesNo('plan-of-care', 'Is a signed home health plan of care attached?'), notes],
    approveWhen: [{ linkId: 'homebound', equals: true }, { linkId: 'plan-of-care', equals: true }],
    autoMaxQuantity: 20,
    maxQuantity: 60,
  },
  'elective-admission': {
    category: 'Inpatient admissions (pre-admission screening)',
    title: 'Elective inpatient admission: pre-admission screening',
    items: [
      yesNo('conservative-failed', 'Has conservative treatment failed?'),
      { linkId: 'facility-pid-sl', text: 'Admitting facility MassHealth provider ID and service location (PID/SL)', type: 'string', required: true },
      { linkId: 'attending-pid-sl', text: 'Attending physician MassHealth provider ID and service location (PID/SL)', type: 'string', required: true },
      { linkId: 'contact', text: 'Contact name, telephone and fax', type: 'string', required: true },
      notes,
    ],
    approveWhen: [],
  },
};

function specOf(s: PaService): DocumentationSpec {
  return SPECS[s.label] ?? { category: 'Other services', title: `${s.display}: documentation`, items: [notes], approveWhen: [] };
}

/** The DTR Questionnaire documenting a PA service of the demo rules. */
export function paQuestionnaire(s: PaService): Questionnaire {
  const spec = specOf(s);
  const description = `Documentation MassHealth needs with a prior-authorization request for ${s.display}.`;
  const xhtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    resourceType: 'Questionnaire',
    id: `pa-${s.label}`,
    meta: { profile: [DTR_QUESTIONNAIRE_PROFILE] },
    // dtr-std-questionnaire (DTR 2.0.1) requires a narrative (text 1..1).
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p><b>${xhtml(spec.title)}</b></p><p>${xhtml(description)}</p></div>` },
    url: questionnaireUrl(s.label),
    version: QUESTIONNAIRE_VERSION,
    name: `PA${s.label.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`,
    title: spec.title,
    status: 'active',
    subjectType: ['Patient'],
    date: '2025-08-01',
    publisher: 'MassHealth',
    description,
    code: [{ system: SERVICE_CODE_SYSTEMS[s.system], code: s.code, display: s.display }],
    item: spec.items,
  };
}

function serviceRule(s: PaService): PaServiceRule {
  const spec = specOf(s);
  const rule: PaServiceRule = {
    id: s.label,
    system: s.system,
    code: s.code,
    display: s.display,
    category: spec.category,
    // Every plan type: MCOs run their own PA for their members, but the program's list applies to all it administers.
    planTypes: [...PLAN_TYPE_CODES],
    from: '2016-01-01',
    questionnaire: `${questionnaireUrl(s.label)}|${QUESTIONNAIRE_VERSION}`,
    documentation: s.label === 'elective-admission' ? 'both' : 'clinical',
  };
  if (spec.paFreeQuantity !== undefined) rule.paFreeQuantity = spec.paFreeQuantity;
  if (spec.maxQuantity !== undefined) rule.maxQuantity = spec.maxQuantity;
  if (spec.approveWhen.length > 0) rule.autoApprove = { answers: spec.approveWhen, ...(spec.autoMaxQuantity !== undefined ? { maxQuantity: spec.autoMaxQuantity } : {}) };
  return rule;
}

/** Representative codes per ORP service category (first match wins, so narrower ranges come first). */
const ORP_SERVICES: PaRuleSet['orp']['services'] = [
  { service: 'oxygen-respiratory-equipment', system: 'hcpcs', code: 'E0424-E0487' },
  { service: 'oxygen-respiratory-equipment', system: 'hcpcs', code: 'E0561-E0601' },
  { service: 'dme-and-supplies', system: 'hcpcs', code: 'E0100-E8002' },
  { service: 'dme-and-supplies', system: 'hcpcs', code: 'K0001-K0899' },
  { service: 'dme-and-supplies', system: 'hcpcs', code: 'A4206-A9999' },
  { service: 'eyeglasses', system: 'hcpcs', code: 'V2020-V2799' },
  { service: 'orthotics', system: 'hcpcs', code: 'L0112-L4631' },
  { service: 'prosthetics', system: 'hcpcs', code: 'L5000-L9900' },
  { service: 'home-health', system: 'hcpcs', code: 'G0151-G0162' },
  { service: 'home-health', system: 'hcpcs', code: 'T1030-T1031' },
  { service: 'adult-day-health', system: 'hcpcs', code: 'S5100-S5105' },
  { service: 'adult-foster-care', system: 'hcpcs', code: 'S5140-S5141' },
  { service: 'independent-nursing', system: 'hcpcs', code: 'T1000-T1003' },
  { service: 'labs-and-diagnostic-tests', system: 'cpt', code: '80047-89398' },
  { service: 'labs-and-diagnostic-tests', system: 'cpt', code: '70010-79999' },
  { service: 'psychological-testing', system: 'cpt', code: '96130-96146' },
  { service: 'therapy', system: 'cpt', code: '97010-97799' },
  { service: 'therapy', system: 'cpt', code: '92507-92508' },
];

/** The first version of the rules: the program's rules, and the demo services when `withDemoServices`. */
export function initialPaRuleSet(withDemoServices: boolean): PaRuleSet {
  return {
    services: withDemoServices ? PA_SERVICES.map(serviceRule) : [],
    referral: {
      planTypes: ['PCC', 'PCACO'],
      from: REFERRAL_REINSTATEMENT_DAY,
      urgentCarePlacesOfService: [URGENT_CARE_PLACE_OF_SERVICE],
      urgentCareAdmissionTypes: ['02'],
      retroactiveDays: RETROACTIVE_REFERRAL_WINDOW_DAYS,
    },
    orp: { from: ORP_EDIT_ENFORCED_FROM, planTypes: ['FFS', 'PCC', 'PCACO'], authorizedProviderTypes: [...ORP_AUTHORIZED_PROVIDER_TYPES], services: ORP_SERVICES },
    screening: { planTypes: [...PLAN_TYPE_CODES], from: '2016-01-01', leadDays: 7 },
  };
}

/** The demo services' DTR Questionnaires (stored as FHIR resources with the demo data). */
export function demoQuestionnaires(): Questionnaire[] {
  return PA_SERVICES.map(paQuestionnaire);
}
