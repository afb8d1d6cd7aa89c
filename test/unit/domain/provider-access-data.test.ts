// CMS-0057-F Provider Access: claims without provider remittances and enrollee cost sharing, prior
// authorizations without drugs (src/domain/provider-access-data.ts). Inputs: the official CARIN and
// PDex examples, the C4BB 2.1.0 financial/Basis fixture pairs modelled on CARIN's
// EOB*1 / EOB*1-nonfinancial examples, and synthetic members.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeableConcept, ExplanationOfBenefit, ExplanationOfBenefitItemAdjudication, Money, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { PDEX_PA } from '../../../src/domain/prior-auth-view.js';
import { DAVINCI_PROFILE } from '../../../src/domain/profile-urls.js';
import {
  C4BB_BASIS_PROFILE,
  isDrugPriorAuthorization,
  PROVIDER_ACCESS_STRIPPED_ELEMENTS,
  stripFinancialJson,
  withoutRemittanceAndCostSharing,
} from '../../../src/domain/provider-access-data.js';
import { CODE_SYSTEM } from '../../../src/domain/systems.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { aMember } from '../../../src/synthetic/member-builder.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as T;
const CARIN_INPATIENT_STU1 = 'ig-examples/carin-bb/ExplanationOfBenefit-EOBInpatient1.json';
const PDEX_PRIOR_AUTH = 'ig-examples/davinci-pdex/ExplanationOfBenefit-PDexPriorAuth1.json';
const C4BB_PAIRS = ['Inpatient-Institutional', 'Outpatient-Institutional', 'Professional-NonClinician', 'Pharmacy', 'Oral'] as const;

const member = aMember(13).inPlan('PCACO').enrolledFrom('2018-01-01').withClaims(24).withDenial('1200').withDenial('1010').withPriorAuths(6).build();
const eobsOf = (resources: Resource[]): ExplanationOfBenefit[] => resources.filter((r): r is ExplanationOfBenefit => r.resourceType === 'ExplanationOfBenefit');
const claims = eobsOf(member.resources).filter((e) => e.use === 'claim');
const paViews = eobsOf(member.resources).filter((e) => e.use === 'preauthorization');

const usd = (value: number): Money => ({ value, currency: 'USD' });
const concept = (system: string, code: string): CodeableConcept => ({ coding: [{ system, code }] });
const AMOUNT_SYSTEMS = [CODE_SYSTEM.adjudication, CODE_SYSTEM.c4bbAdjudication];
const isAmountCategory = (c: CodeableConcept | undefined): boolean =>
  (c?.coding ?? []).some((x) => AMOUNT_SYSTEMS.includes(x.system as (typeof AMOUNT_SYSTEMS)[number]) || x.code === 'adjudicationamounttype');
const UNIT_CODES = ['allowedunits', 'consumedunits'];
const isUnitCategory = (c: CodeableConcept | undefined): boolean => (c?.coding ?? []).some((x) => UNIT_CODES.includes(x.code ?? ''));

/** Every adjudication entry at any depth (header, item, detail, subDetail, addItem …), found by walking the object. */
function adjudicationsAnywhere(node: unknown): ExplanationOfBenefitItemAdjudication[] {
  if (Array.isArray(node)) return node.flatMap(adjudicationsAnywhere);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => (k === 'adjudication' && Array.isArray(v) ? [...(v as ExplanationOfBenefitItemAdjudication[]), ...adjudicationsAnywhere(v)] : adjudicationsAnywhere(v)));
}

/** Every key name at any depth. */
function keysAnywhere(node: unknown): Set<string> {
  const keys = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (typeof n === 'object' && n !== null) {
      for (const [k, v] of Object.entries(n)) {
        keys.add(k);
        walk(v);
      }
    }
  };
  walk(node);
  return keys;
}

function expectNoFinancialAdjudication(eob: ExplanationOfBenefit): void {
  for (const a of adjudicationsAnywhere(eob)) {
    expect(a.amount, JSON.stringify(a)).toBeUndefined();
    expect(isAmountCategory(a.category), JSON.stringify(a)).toBe(false);
    if (!isUnitCategory(a.category)) expect(a.value, JSON.stringify(a)).toBeUndefined();
  }
}

/** An EOB with prices and adjudications at every line level, and benefitBalance. */
function everyLevelEob(): ExplanationOfBenefit {
  const priced = (code: string) => ({
    productOrService: concept(CODE_SYSTEM.hcpcs, code),
    unitPrice: usd(10),
    factor: 1.5,
    net: usd(15),
    adjudication: [
      { category: concept(CODE_SYSTEM.adjudication, 'eligible'), amount: usd(12) },
      { category: concept(CODE_SYSTEM.adjudication, 'eligpercent'), value: 80 },
      { category: concept(CODE_SYSTEM.c4bbAdjudication, 'memberliability'), amount: usd(3), reason: concept(CODE_SYSTEM.carc, '3') },
      { category: concept(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'allowedunits'), value: 2 },
      { category: concept(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'adjustmentreason'), reason: concept(CODE_SYSTEM.carc, '96'), amount: usd(1) },
      { category: concept('https://payer.example.org/adjudication', 'withheld'), amount: usd(4) },
    ],
  });
  return {
    resourceType: 'ExplanationOfBenefit',
    status: 'active',
    type: concept(CODE_SYSTEM.claimType, 'professional'),
    use: 'claim',
    patient: { reference: 'Patient/p1' },
    created: '2025-01-10T00:00:00Z',
    insurer: { reference: 'Organization/payer' },
    provider: { reference: 'Organization/clinic' },
    outcome: 'complete',
    insurance: [{ focal: true, coverage: { reference: 'Coverage/c1' } }],
    meta: { profile: [`${C4BB_BASIS_PROFILE.eobProfessional.replace('-Basis', '')}|2.0.0`] },
    adjudication: [{ category: concept(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'billingnetworkstatus'), reason: concept(CODE_SYSTEM.c4bbPayerAdjudicationStatus, 'innetwork') }, priced('x').adjudication[0]],
    item: [{ sequence: 1, ...priced('E0601'), detail: [{ sequence: 1, ...priced('E0602'), subDetail: [{ sequence: 1, ...priced('E0603') }] }] }],
    addItem: [{ ...priced('E0604'), detail: [{ ...priced('E0605'), subDetail: [{ ...priced('E0606') }] }] }],
    benefitBalance: [{ category: concept('http://terminology.hl7.org/CodeSystem/ex-benefitcategory', '1'), financial: [{ type: concept('http://terminology.hl7.org/CodeSystem/benefit-type', 'deductible'), allowedMoney: usd(500), usedMoney: usd(120) }] }],
  };
}

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('Provider Access: claims without provider remittances and enrollee cost sharing', () => {
  it('when synthetic claims are stripped, then total, payment, payee and benefitBalance are gone', () => {
    expect(claims.length).toBeGreaterThan(10);
    expect(claims.every((c) => c.total && c.payment && c.payee)).toBe(true);
    for (const claim of claims) {
      const released = withoutRemittanceAndCostSharing(claim);
      expect(released.total).toBeUndefined();
      expect(released.payment).toBeUndefined();
      expect(released.payee).toBeUndefined();
      expect(released.benefitBalance).toBeUndefined();
    }
    const eob = everyLevelEob();
    expect(eob.benefitBalance).toBeDefined();
    expect(withoutRemittanceAndCostSharing(eob).benefitBalance).toBeUndefined();
  });

  it('when any EOB is stripped, then no adjudication at any depth keeps an amount, a non-unit value or an amount-type category', () => {
    const inputs = [...claims, ...paViews, readJson<ExplanationOfBenefit>(CARIN_INPATIENT_STU1), readJson<ExplanationOfBenefit>(PDEX_PRIOR_AUTH), everyLevelEob(), ...C4BB_PAIRS.map((p) => readJson<ExplanationOfBenefit>(`profiles/C4BB-ExplanationOfBenefit-${p}.json`))];
    const before = inputs.flatMap(adjudicationsAnywhere);
    expect(before.some((a) => a.amount !== undefined)).toBe(true);
    expect(before.some((a) => isAmountCategory(a.category))).toBe(true);
    expect(before.some((a) => a.value !== undefined && !isUnitCategory(a.category))).toBe(true);
    for (const eob of inputs) expectNoFinancialAdjudication(withoutRemittanceAndCostSharing(eob));
  });

  it('when claims are stripped, then diagnosis, item codes and dates, careTeam, insurance, provider and supportingInfo are kept', () => {
    for (const claim of claims) {
      const released = withoutRemittanceAndCostSharing(claim);
      expect(released.diagnosis).toEqual(claim.diagnosis);
      expect(released.careTeam).toEqual(claim.careTeam);
      expect(released.insurance).toEqual(claim.insurance);
      expect(released.provider).toEqual(claim.provider);
      expect(released.supportingInfo).toEqual(claim.supportingInfo);
      expect(released.item?.map((i) => [i.sequence, i.productOrService, i.servicedDate ?? i.servicedPeriod, i.quantity])).toEqual(
        claim.item?.map((i) => [i.sequence, i.productOrService, i.servicedDate ?? i.servicedPeriod, i.quantity]),
      );
    }
    expect(claims.some((c) => (c.diagnosis?.length ?? 0) > 0 && (c.careTeam?.length ?? 0) > 0)).toBe(true);
  });

  it('when a denied claim is stripped, then its denial reason and network status stay', () => {
    const reasonsOf = (eob: ExplanationOfBenefit): CodeableConcept[] =>
      adjudicationsAnywhere(eob)
        .filter((a) => a.category.coding?.some((c) => c.code === 'adjustmentreason' || c.code === 'benefitpaymentstatus' || c.code === 'billingnetworkstatus'))
        .map((a) => a.reason as CodeableConcept);
    const denied = claims.filter((c) => adjudicationsAnywhere(c).some((a) => a.category.coding?.[0]?.code === 'adjustmentreason'));
    expect(denied.length).toBeGreaterThan(0);
    for (const claim of [...denied, ...claims]) expect(reasonsOf(withoutRemittanceAndCostSharing(claim))).toEqual(reasonsOf(claim));
    const eob = withoutRemittanceAndCostSharing(everyLevelEob());
    expect(eob.item?.[0]?.adjudication?.map((a) => a.category.coding?.[0]?.code)).toEqual(['allowedunits', 'adjustmentreason']);
    expect(eob.item?.[0]?.adjudication?.[1]?.reason).toEqual(concept(CODE_SYSTEM.carc, '96'));
  });

  it('when an EOB is stripped, then the input object is not changed', () => {
    for (const eob of [claims[0], everyLevelEob(), readJson<ExplanationOfBenefit>(PDEX_PRIOR_AUTH), paViews[0]]) {
      const before = structuredClone(eob);
      const released = withoutRemittanceAndCostSharing(eob);
      if (eob.use === 'claim' || eob.total) expect(released).not.toEqual(before);
      expect(released).not.toBe(eob);
      expect(eob).toEqual(before);
    }
  });

  it('when prices sit on item, detail, subDetail and addItem levels, then unitPrice, factor and net are removed at every level', () => {
    const eob = everyLevelEob();
    expect([...keysAnywhere(eob)]).toEqual(expect.arrayContaining(['unitPrice', 'factor', 'net']));
    const keys = keysAnywhere(withoutRemittanceAndCostSharing(eob));
    for (const k of ['unitPrice', 'factor', 'net', 'amount', 'total', 'payment', 'payee', 'benefitBalance', 'allowedMoney', 'usedMoney']) expect(keys.has(k), k).toBe(false);
    for (const level of ['item', 'item.detail', 'item.detail.subDetail', 'addItem', 'addItem.detail', 'addItem.detail.subDetail']) {
      expect(PROVIDER_ACCESS_STRIPPED_ELEMENTS).toContain(`ExplanationOfBenefit.${level}.net`);
      expect(PROVIDER_ACCESS_STRIPPED_ELEMENTS).toContain(`ExplanationOfBenefit.${level}.adjudication.amount`);
    }
    expect(PROVIDER_ACCESS_STRIPPED_ELEMENTS).toEqual(expect.arrayContaining(['ExplanationOfBenefit.total', 'ExplanationOfBenefit.payment', 'ExplanationOfBenefit.payee', 'ExplanationOfBenefit.benefitBalance']));
  });

  it.each(C4BB_PAIRS)('when the C4BB 2.1.0 %s financial example is stripped, then it equals its Basis (non-financial) counterpart', (pair) => {
    const financial = readJson<ExplanationOfBenefit>(`profiles/C4BB-ExplanationOfBenefit-${pair}.json`);
    const basis = readJson<ExplanationOfBenefit>(`profiles/C4BB-ExplanationOfBenefit-${pair}-Basis.json`);
    expect(financial.total).toBeDefined();
    expect({ ...withoutRemittanceAndCostSharing(financial), id: basis.id }).toEqual(basis);
  });

  it('when a synthetic claim is stripped, then it claims the CARIN Basis profile and conforms to it', () => {
    const professional = claims.find((c) => c.type.coding?.[0]?.code === 'professional') as ExplanationOfBenefit;
    expect(withoutRemittanceAndCostSharing(professional).meta?.profile).toEqual([C4BB_BASIS_PROFILE.eobProfessional, `${C4BB_BASIS_PROFILE.eobProfessional}|2.1.0`]);
    for (const claim of claims) {
      const released = withoutRemittanceAndCostSharing(claim);
      expect(released.meta?.profile?.every((p) => p.includes('-Basis'))).toBe(true);
      expect(validateResource(released, registry).filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
    }
  });

  it('when a claim only claims a profile without a Basis counterpart, then that claim is dropped and the rest of meta stays', () => {
    const stu1 = readJson<ExplanationOfBenefit>(CARIN_INPATIENT_STU1);
    expect(stu1.meta?.profile?.[0]).toContain('CARIN-BB-ExplanationOfBenefit');
    expect(stu1.total).toBeDefined();
    const released = withoutRemittanceAndCostSharing(stu1);
    expect(released.meta).toEqual({ lastUpdated: stu1.meta?.lastUpdated });
    expect(released.total).toBeUndefined();
    expect(released.adjudication).toEqual(stu1.adjudication);
    expect(withoutRemittanceAndCostSharing(everyLevelEob()).meta).toBeUndefined();
  });
});

describe('Provider Access: prior authorizations', () => {
  it('when a PA view is stripped, then units approved and used, denial reasons and review actions stay and it still conforms to PDex', () => {
    expect(paViews.length).toBeGreaterThan(0);
    const entries = paViews.flatMap(adjudicationsAnywhere);
    for (const code of ['allowedunits', 'consumedunits']) expect(entries.some((a) => a.category.coding?.[0]?.code === code && a.value !== undefined), code).toBe(true);
    expect(entries.some((a) => a.category.coding?.[0]?.code === 'denialreason' && a.reason !== undefined)).toBe(true);
    expect(entries.some((a) => a.extension?.some((e) => e.url === PDEX_PA.reviewAction))).toBe(true);
    for (const view of paViews) {
      const released = withoutRemittanceAndCostSharing(view);
      expect(released).toEqual(view);
      expect(validateResource(released, registry).filter((i) => i.severity === 'error')).toEqual([]);
    }
  });

  it('when the PDex example is stripped, then its amounts and total go, its profile and clinical content stay and it still conforms', () => {
    const example = readJson<ExplanationOfBenefit>(PDEX_PRIOR_AUTH);
    expect(example.total?.[0]?.amount).toBeDefined();
    expect(example.item?.[0]?.adjudication?.[0]?.amount).toBeDefined();
    const released = withoutRemittanceAndCostSharing(example);
    expect(released.total).toBeUndefined();
    expect(released.item?.[0]?.adjudication).toBeUndefined();
    expect(released.item?.[0]?.productOrService).toEqual(example.item?.[0]?.productOrService);
    expect(released.meta?.profile).toEqual([DAVINCI_PROFILE.pdexPriorAuthorization]);
    expect(released.diagnosis).toEqual(example.diagnosis);
    expect(released.preAuthRefPeriod).toEqual(example.preAuthRefPeriod);
    expect(validateResource(released, registry).filter((i) => i.severity === 'error')).toEqual([]);
  });

  const pa = (type: string, productSystems: string[]): ExplanationOfBenefit => ({
    ...readJson<ExplanationOfBenefit>(PDEX_PRIOR_AUTH),
    type: concept(CODE_SYSTEM.claimType, type),
    item: productSystems.map((system, i) => ({ sequence: i + 1, productOrService: concept(system, `code-${i}`) })),
  });

  it('when a prior authorization is for a pharmacy claim or only drug items, then it is a drug prior authorization', () => {
    expect(isDrugPriorAuthorization(pa('pharmacy', [CODE_SYSTEM.hcpcs]))).toBe(true);
    expect(isDrugPriorAuthorization(pa('professional', [CODE_SYSTEM.ndc]))).toBe(true);
    expect(isDrugPriorAuthorization(pa('institutional', [CODE_SYSTEM.rxnorm, CODE_SYSTEM.ndc]))).toBe(true);
  });

  it('when a prior authorization is for services, mixes services and drugs, or the EOB is a claim, then it is not a drug prior authorization', () => {
    expect(paViews.map(isDrugPriorAuthorization)).toEqual(paViews.map(() => false));
    expect(isDrugPriorAuthorization(readJson<ExplanationOfBenefit>(PDEX_PRIOR_AUTH))).toBe(false);
    expect(isDrugPriorAuthorization(pa('professional', [CODE_SYSTEM.hcpcs, CODE_SYSTEM.ndc]))).toBe(false);
    expect(isDrugPriorAuthorization(pa('professional', []))).toBe(false);
    const pharmacyClaim = claims.find((c) => c.type.coding?.[0]?.code === 'pharmacy');
    expect(pharmacyClaim).toBeDefined();
    expect(isDrugPriorAuthorization(pharmacyClaim as ExplanationOfBenefit)).toBe(false);
  });

  it('when a view uses the PDex adjudication discriminator, then the module reads the same system the views are built with', () => {
    expect(paViews.flatMap(adjudicationsAnywhere).some((a) => a.category.coding?.[0]?.system === PDEX_PA.adjudicationDiscriminator)).toBe(true);
  });
});

describe('Provider Access: JSON text', () => {
  it('when the text is not an ExplanationOfBenefit, then the same string is returned', () => {
    // Pretty-printed text, so a parse-and-stringify round trip would not give the same string back.
    const patient = readFileSync(join(FIXTURES, 'ig-examples/us-core/patient-example.json'), 'utf8');
    expect(JSON.stringify(JSON.parse(patient))).not.toBe(patient);
    expect(stripFinancialJson(patient)).toBe(patient);
    const mentionsEob = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'ExplanationOfBenefit' } }] }, null, 2);
    expect(stripFinancialJson(mentionsEob)).toBe(mentionsEob);
  });

  it('when the text is an ExplanationOfBenefit (compact or pretty-printed), then the stripped resource is returned', () => {
    const pretty = readFileSync(join(FIXTURES, PDEX_PRIOR_AUTH), 'utf8');
    expect(pretty).toContain('"amount"');
    const out = stripFinancialJson(pretty);
    expect(out).not.toContain('"amount"');
    expect(JSON.parse(out)).toEqual(withoutRemittanceAndCostSharing(JSON.parse(pretty) as ExplanationOfBenefit));
    const compact = JSON.stringify(claims[0]);
    expect(JSON.parse(stripFinancialJson(compact))).toEqual(withoutRemittanceAndCostSharing(claims[0]));
    expect(stripFinancialJson(compact)).not.toContain('"payment"');
  });
});
