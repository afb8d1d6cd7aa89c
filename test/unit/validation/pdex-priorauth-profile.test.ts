// The Da Vinci PDex 2.1.0 Prior Authorization profile (profiles/pdex-priorauthorization.json):
// the official IG example conforms, the member view the server derives from every kind of PAS
// decision conforms, and each rule the profile adds rejects an instance that breaks it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExplanationOfBenefit, ExplanationOfBenefitItemAdjudication } from '@medplum/fhirtypes';
import { priorAuthView } from '../../../src/domain/prior-auth-view.js';
import type { PaDecisionCode } from '../../../src/domain/prior-auth-rules.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource, type ValidationIssue } from '../../../src/fhir/validation/validate-resource.js';
import { addDays, dayOf, DAY_MS, HOUR_MS } from '../../../src/synthetic/dates.js';
import { paClaim, paClaimResponse, type PaRequestInput, type PaResponseInput } from '../../../src/synthetic/prior-auth/pa-resources.js';
import type { PaTimeline } from '../../../src/synthetic/prior-auth/pa-timeline.js';
import { PA_SERVICES, type PaService } from '../../../src/synthetic/tables/claim-codes.js';

const PDEX_PA = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization';
const DISCRIMINATOR = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PDexAdjudicationDiscriminator';
const CARC = 'https://x12.org/codes/claim-adjustment-reason-codes';
const EXAMPLE = join(import.meta.dirname, '../../fixtures/ig-examples/davinci-pdex/ExplanationOfBenefit-PDexPriorAuth1.json');

const officialExample = (): ExplanationOfBenefit => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as ExplanationOfBenefit;
const errorsOf = (issues: ValidationIssue[]): ValidationIssue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
const describeErrors = (issues: ValidationIssue[]): string[] => errorsOf(issues).map((i) => `${i.profile ?? 'R4'} ${i.rule ?? i.code} ${i.expression?.join(',') ?? ''}: ${i.diagnostics}`);

function service(label: string): PaService {
  const found = PA_SERVICES.find((s) => s.label === label);
  if (!found) throw new Error(`no PA service ${label}`);
  return found;
}

// ---- synthetic PAS pairs, built the way src/synthetic/member/prior-auths.ts builds them ----------

const SUBMITTED_MS = Date.parse('2025-11-03T14:20:00Z');

function timeline(decision: PaDecisionCode, svc: PaService, extra: Partial<PaTimeline> = {}): PaTimeline {
  const requestedStart = addDays(dayOf(SUBMITTED_MS), 10);
  const decided = decision === 'pended' ? {} : { decidedMs: SUBMITTED_MS + 30 * HOUR_MS };
  return {
    priority: 'standard',
    decision,
    submittedMs: SUBMITTED_MS,
    dueMs: SUBMITTED_MS + 7 * DAY_MS,
    requestedQuantity: svc.quantity[1],
    requestedStart,
    requestedEnd: addDays(requestedStart, svc.validDays),
    ...decided,
    ...extra,
  };
}

function approvedParts(svc: PaService, quantity: number, used: number): Partial<PaTimeline> {
  const start = addDays(dayOf(SUBMITTED_MS), 10);
  return { approvedQuantity: quantity, approvedStart: start, approvedEnd: addDays(start, svc.validDays), usedQuantity: used };
}

function request(id: string, svc: PaService, t: PaTimeline, more: Partial<PaRequestInput> = {}): PaRequestInput {
  return {
    id,
    trackingNumber: `T${id.toUpperCase()}`,
    patientId: 'member-1',
    payerId: 'masshealth',
    requesterOrgId: 'org-requester',
    coverageId: 'coverage-1',
    service: svc,
    timeline: t,
    ...more,
  };
}

function view(input: PaRequestInput, response: Partial<PaResponseInput> = {}): ExplanationOfBenefit {
  const claim = paClaim(input);
  return priorAuthView(claim, paClaimResponse({ ...input, responseId: `${input.id}-r`, paNumber: `PA-${input.id}`, ...response }));
}

const pt = service('physical-therapy');
const mri = service('mri-brain');
const cpap = service('cpap');
const admission = service('elective-admission');

const deniedWithAppeal = timeline('denied', mri, {
  denialReason: 'not-medically-necessary',
  appeal: { filedMs: SUBMITTED_MS + 5 * DAY_MS, status: 'overturned', decidedMs: SUBMITTED_MS + 12 * DAY_MS },
});
const appealDecision = timeline('approved', mri, {
  submittedMs: SUBMITTED_MS + 5 * DAY_MS,
  decidedMs: SUBMITTED_MS + 12 * DAY_MS,
  ...approvedParts(mri, 1, 0),
});

/** One derived view per decision the PA process can record, plus both sides of an appeal. */
const DERIVED_VIEWS: ReadonlyArray<readonly [string, () => ExplanationOfBenefit]> = [
  ['approved (CPT, units used)', () => view(request('pa1', pt, timeline('approved', pt, approvedParts(pt, 24, 6)), { documentId: 'doc-1' }))],
  ['approved (HCPCS device)', () => view(request('pa2', cpap, timeline('approved', cpap, approvedParts(cpap, 1, 0))))],
  ['approved (institutional, ICD-10-PCS procedure)', () => view(request('pa3', admission, timeline('approved', admission, approvedParts(admission, 3, 0)), { contact: 'Contact: UR nurse 617-555-0142' }))],
  ['partially approved', () => view(request('pa4', pt, timeline('partially-approved', pt, approvedParts(pt, 12, 0))))],
  ['denied', () => view(request('pa5', mri, timeline('denied', mri, { denialReason: 'insufficient-documentation' })))],
  ['pended', () => view(request('pa6', pt, timeline('pended', pt)))],
  ['pended, expedited', () => view(request('pa7', mri, timeline('pended', mri, { priority: 'expedited', dueMs: SUBMITTED_MS + 72 * HOUR_MS })))],
  ['withdrawn', () => view(request('pa8', pt, timeline('withdrawn', pt)))],
  ['cancelled', () => view(request('pa9', cpap, timeline('cancelled', cpap)))],
  ['denied, then appealed', () => view(request('pa10', mri, deniedWithAppeal), { appeal: { responseId: 'pa11-r' } })],
  ['appeal decision (overturned)', () => view(request('pa11', mri, appealDecision, { appealOf: { claimId: 'pa10', responseId: 'pa10-r' }, submittedMs: SUBMITTED_MS + 5 * DAY_MS }))],
  ['appeal decision (upheld)', () => view(request('pa12', mri, timeline('denied', mri, { denialReason: 'not-medically-necessary' }), { appealOf: { claimId: 'pa10', responseId: 'pa10-r' } }))],
];

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('PDex Prior Authorization profile', () => {
  it('when the profiles folder is loaded, then pdex-priorauthorization is declared and every required binding can be checked', () => {
    expect(registry.declaredProfiles().map((p) => p.url)).toContain(PDEX_PA);
    expect(registry.get(PDEX_PA)?.uncheckedBindings).toEqual([]);
  });

  it('when the official IG example PDexPriorAuth1 is validated, then no error is reported', () => {
    const example = officialExample();
    expect(example.meta?.profile).toContain(PDEX_PA);
    expect(describeErrors(validateResource(example, registry))).toEqual([]);
  });

  describe.each(DERIVED_VIEWS)('the derived member view of a %s request', (_label, build) => {
    it('when it is validated, then it claims pdex-priorauthorization and has no error', () => {
      const eob = build();
      expect(eob.meta?.profile).toContain(PDEX_PA);
      expect(describeErrors(validateResource(eob, registry))).toEqual([]);
    });
  });

  it('when the approved view is validated, then its allowedunits and consumedunits slices are the ones checked', () => {
    const eob = view(request('pa1', pt, timeline('approved', pt, approvedParts(pt, 24, 6))));
    const codes = eob.item?.[0]?.adjudication?.map((a) => a.category.coding?.[0]?.code);
    expect(codes).toEqual(['allowedunits', 'consumedunits']);
    delete eob.item?.[0]?.adjudication?.[0]?.value;
    expect(errorsOf(validateResource(eob, registry))).toContainEqual(
      expect.objectContaining({ profile: PDEX_PA, rule: 'min', expression: ['ExplanationOfBenefit.item[0].adjudication[0].value'] }),
    );
  });

  it('when a denied view keeps only the program reason code, then the CARC/RARC binding of denialreason.reason fails', () => {
    const eob = view(request('pa5', mri, timeline('denied', mri, { denialReason: 'not-covered' })));
    const denial = eob.item?.[0]?.adjudication?.find((a) => a.category.coding?.[0]?.code === 'denialreason');
    expect(denial?.reason?.coding?.map((c) => c.system)).toContain(CARC);
    if (denial?.reason?.coding) denial.reason.coding = denial.reason.coding.filter((c) => c.system !== CARC);
    expect(errorsOf(validateResource(eob, registry))).toContainEqual(
      expect.objectContaining({ profile: PDEX_PA, rule: 'binding', expression: ['ExplanationOfBenefit.item[0].adjudication[0].reason'] }),
    );
  });
});

describe('PDex Prior Authorization profile rejects', () => {
  const addItemAdjudication = (eob: ExplanationOfBenefit, adjudication: ExplanationOfBenefitItemAdjudication): void => {
    eob.item?.[0]?.adjudication?.push(adjudication);
  };

  const CASES: ReadonlyArray<readonly [string, (eob: ExplanationOfBenefit) => void, string, string]> = [
    ['use is claim instead of preauthorization', (eob) => (eob.use = 'claim'), 'pattern', 'ExplanationOfBenefit.use'],
    [
      'an item adjudication category outside PDexAdjudicationCategoryDiscriminator (closed slicing)',
      (eob) => addItemAdjudication(eob, { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'tax' }] }, amount: { value: 1, currency: 'USD' } }),
      'binding',
      'ExplanationOfBenefit.item[0].adjudication[1].category',
    ],
    [
      'an allowedunits adjudication without value',
      (eob) => addItemAdjudication(eob, { category: { coding: [{ system: DISCRIMINATOR, code: 'allowedunits' }] } }),
      'min',
      'ExplanationOfBenefit.item[0].adjudication[1].value',
    ],
    [
      'a consumedunits adjudication without value',
      (eob) => addItemAdjudication(eob, { category: { coding: [{ system: DISCRIMINATOR, code: 'consumedunits' }] } }),
      'min',
      'ExplanationOfBenefit.item[0].adjudication[1].value',
    ],
    [
      'a denialreason adjudication without reason',
      (eob) => addItemAdjudication(eob, { category: { coding: [{ system: DISCRIMINATOR, code: 'denialreason' }] } }),
      'min',
      'ExplanationOfBenefit.item[0].adjudication[1].reason',
    ],
    [
      'a denialreason whose reason has only a non-CARC/RARC coding',
      (eob) =>
        addItemAdjudication(eob, {
          category: { coding: [{ system: DISCRIMINATOR, code: 'denialreason' }] },
          reason: { coding: [{ system: 'https://masshealth.example.org/fhir/CodeSystem/pa-denial-reason', code: 'not-covered' }] },
        }),
      'binding',
      'ExplanationOfBenefit.item[0].adjudication[1].reason',
    ],
    [
      'an amount-type adjudication without amount',
      (eob) => delete eob.item?.[0]?.adjudication?.[0]?.amount,
      'min',
      'ExplanationOfBenefit.item[0].adjudication[0].amount',
    ],
    [
      'two allowedunits adjudications on one item',
      (eob) => {
        const allowed = { category: { coding: [{ system: DISCRIMINATOR, code: 'allowedunits' }] }, value: 2 };
        addItemAdjudication(eob, allowed);
        addItemAdjudication(eob, { ...allowed, value: 3 });
      },
      'slice-max',
      'ExplanationOfBenefit.item[0].adjudication',
    ],
    [
      'a header denialreason adjudication without reason',
      (eob) => (eob.adjudication = [{ category: { coding: [{ system: DISCRIMINATOR, code: 'denialreason' }] } }]),
      'min',
      'ExplanationOfBenefit.adjudication[0].reason',
    ],
    [
      'item.category from the PAS service-type URI instead of https://x12.org/codes/service-type-codes',
      (eob) => {
        const category = eob.item?.[0]?.category?.coding?.[0];
        if (category) category.system = 'https://codesystem.x12.org/005010/1365';
      },
      'binding',
      'ExplanationOfBenefit.item[0].category',
    ],
    [
      'item.productOrService coded only in ICD-10-PCS',
      (eob) => {
        const item = eob.item?.[0];
        if (item) item.productOrService = { coding: [{ system: 'http://www.cms.gov/Medicare/Coding/ICD10', code: '0SRC0J9' }] };
      },
      'binding',
      'ExplanationOfBenefit.item[0].productOrService',
    ],
    ['a priority outside process-priority', (eob) => (eob.priority = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'urgent' }] }), 'binding', 'ExplanationOfBenefit.priority'],
    ['two preAuthRefPeriods', (eob) => eob.preAuthRefPeriod?.push({ start: '2021-11-01', end: '2021-11-30' }), 'max', 'ExplanationOfBenefit.preAuthRefPeriod'],
    [
      'a careTeam member without provider',
      // provider is 1..1 in the R4 type too, so the member is rebuilt without it rather than deleted from.
      (eob) => (eob.careTeam = [{ sequence: 1, responsible: true } as NonNullable<ExplanationOfBenefit['careTeam']>[number]]),
      'min',
      'ExplanationOfBenefit.careTeam[0].provider',
    ],
    ['a meta.profile claim carrying a version', (eob) => eob.meta && (eob.meta.profile = [`${PDEX_PA}|2.1.0`]), 'slice-min', 'ExplanationOfBenefit.meta.profile'],
  ];

  it.each(CASES)('when the official example has %s, then an error names the rule', (_label, mutate, rule, expression) => {
    const eob = officialExample();
    mutate(eob);
    expect(errorsOf(validateResource(eob, registry))).toContainEqual(expect.objectContaining({ profile: PDEX_PA, rule, expression: [expression] }));
  });

  it('when a header adjudication has no amount-type category, then the adjudication-has-amount-type-slice warning is reported', () => {
    const eob = officialExample();
    eob.adjudication = [{ category: { coding: [{ system: DISCRIMINATOR, code: 'denialreason' }] }, reason: { coding: [{ system: CARC, code: '50' }] } }];
    const issues = validateResource(eob, registry);
    expect(errorsOf(issues)).toEqual([]);
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'warning', profile: PDEX_PA, rule: 'adjudication-has-amount-type-slice' }));
    eob.adjudication.push({ category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'submitted' }] }, amount: { value: 10, currency: 'USD' } });
    expect(validateResource(eob, registry).filter((i) => i.rule === 'adjudication-has-amount-type-slice')).toEqual([]);
  });
});
