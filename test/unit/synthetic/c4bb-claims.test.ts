import type { ExplanationOfBenefit, ExplanationOfBenefitItemAdjudication } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_SYSTEM } from '../../../src/domain/systems.js';
import { generateDemoData } from '../../../src/synthetic/generate.js';

// What C4BB 2.x requires of each EOB type (HL7/carin-bb input/fsh EOB*Profile.fsh), checked on generated claims.

const AMOUNT_SYSTEMS = new Set<string>([CODE_SYSTEM.adjudication, CODE_SYSTEM.c4bbAdjudication]);
let eobs: ExplanationOfBenefit[];

beforeAll(() => {
  eobs = Array.from(generateDemoData({ members: 80, seed: 99, now: new Date('2026-06-30T12:00:00Z') })).filter(
    // Claims only: prior authorizations are ExplanationOfBenefits too (PDex views, use = preauthorization).
    (r): r is ExplanationOfBenefit => r.resourceType === 'ExplanationOfBenefit' && r.use === 'claim',
  );
});

function kind(e: ExplanationOfBenefit): string {
  const t = e.type.coding?.[0]?.code ?? '';
  return t === 'institutional' ? (e.subType?.coding?.[0]?.code ?? '') : t;
}

function category(a: { category: { coding?: Array<{ system?: string; code?: string }> } }): string {
  return a.category.coding?.[0]?.code ?? '';
}

function isAmount(a: ExplanationOfBenefitItemAdjudication): boolean {
  return AMOUNT_SYSTEMS.has(a.category.coding?.[0]?.system ?? '') && a.amount !== undefined;
}

function info(e: ExplanationOfBenefit, code: string): NonNullable<ExplanationOfBenefit['supportingInfo']>[number] | undefined {
  return e.supportingInfo?.find((s) => s.category.coding?.[0]?.code === code);
}

function roles(e: ExplanationOfBenefit): Array<[string, string]> {
  return (e.careTeam ?? []).map((c) => [c.role?.coding?.[0]?.code ?? '', c.provider.reference?.split('/')[0] ?? '']);
}

describe('C4BB ExplanationOfBenefit requirements on generated claims', () => {
  it('when any EOB is checked, then it has the C4BB base elements', () => {
    expect(eobs.length).toBeGreaterThan(200);
    for (const e of eobs) {
      expect(e.meta?.lastUpdated, e.id).toBeTruthy();
      expect(e.meta?.profile?.some((p) => p.includes('|2.1'))).toBe(true);
      const uc = e.identifier?.find((i) => i.type?.coding?.[0]?.code === 'uc');
      expect(uc?.value, e.id).toBeTruthy();
      expect(e.use).toBe('claim');
      expect(e.billablePeriod?.start).toBeTruthy();
      expect(e.insurance.filter((i) => i.focal).length).toBe(1);
      expect(e.item?.length ?? 0).toBeGreaterThan(0);
      expect(e.total?.some((t) => t.category.coding?.[0]?.code === 'submitted')).toBe(true);
      expect(['paid', 'denied', 'partiallypaid']).toContain(e.payment?.type?.coding?.[0]?.code);
      expect(info(e, 'clmrecvddate')?.timingDate).toBeTruthy();
      for (const item of e.item ?? []) expect(item.productOrService.coding?.[0]?.code).toBeTruthy();
    }
  });

  it('when a professional EOB is checked, then it has diagnoses, place of service, service dates and item amounts with payment status', () => {
    for (const e of eobs.filter((x) => kind(x) === 'professional')) {
      expect(e.diagnosis?.[0]?.type?.[0]?.coding?.[0]?.code).toBe('principal');
      for (const item of e.item ?? []) {
        expect(item.servicedDate).toBeTruthy();
        expect(item.locationCodeableConcept?.coding?.[0]?.system).toBe(CODE_SYSTEM.placeOfService);
        expect(item.adjudication?.some(isAmount)).toBe(true);
        expect(item.adjudication?.filter((a) => category(a) === 'benefitpaymentstatus').length).toBe(1);
      }
      for (const [role, type] of roles(e)) {
        expect(['rendering', 'referring']).toContain(role);
        expect(type).toBe('Practitioner');
      }
    }
  });

  it('when an institutional EOB is checked, then amounts are adjudicated at the header and not on items', () => {
    for (const e of eobs.filter((x) => kind(x) === 'inpatient' || kind(x) === 'outpatient')) {
      expect(e.adjudication?.some(isAmount)).toBe(true);
      expect(e.adjudication?.filter((a) => category(a) === 'benefitpaymentstatus').length).toBe(1);
      expect((e.item ?? []).some((i) => i.adjudication?.some(isAmount))).toBe(false);
      expect(info(e, 'typeofbill')?.code?.coding?.[0]?.system).toBe(CODE_SYSTEM.nubcTypeOfBill);
      for (const item of e.item ?? []) expect(item.revenue?.coding?.[0]?.system).toBe(CODE_SYSTEM.nubcRevenue);
      for (const d of e.diagnosis ?? []) expect(d.type?.length).toBe(1);
    }
  });

  it('when an inpatient EOB is checked, then it has the admission period, DRG and an attending practitioner', () => {
    const inpatient = eobs.filter((x) => kind(x) === 'inpatient');
    expect(inpatient.length).toBeGreaterThan(0);
    for (const e of inpatient) {
      expect(info(e, 'admissionperiod')?.timingPeriod?.start).toBeTruthy();
      expect(info(e, 'drg')?.code?.coding?.[0]?.system).toBe(CODE_SYSTEM.msDrg);
      expect(roles(e)).toContainEqual(['attending', 'Practitioner']);
    }
  });

  it('when an outpatient EOB is checked, then every item has a service date', () => {
    for (const e of eobs.filter((x) => kind(x) === 'outpatient')) for (const item of e.item ?? []) expect(item.servicedDate).toBeTruthy();
  });

  it('when a pharmacy EOB is checked, then it has days supply, an NDC item and the prescriber', () => {
    for (const e of eobs.filter((x) => kind(x) === 'pharmacy')) {
      expect(info(e, 'dayssupply')?.valueQuantity?.value).toBeGreaterThan(0);
      expect(e.item?.[0]?.productOrService.coding?.[0]?.system).toBe(CODE_SYSTEM.ndc);
      expect(e.item?.[0]?.productOrService.coding?.[0]?.code).toMatch(/^\d{11}$/);
      expect(roles(e)).toEqual([['prescribing', 'Practitioner']]);
      expect(e.adjudication?.filter((a) => category(a) === 'benefitpaymentstatus').length).toBe(1);
    }
  });

  it('when an oral EOB is checked, then it has CDT items with place of service and a rendering dentist', () => {
    for (const e of eobs.filter((x) => kind(x) === 'oral')) {
      for (const item of e.item ?? []) {
        expect(item.productOrService.coding?.[0]?.system).toBe(CODE_SYSTEM.cdt);
        expect(item.locationCodeableConcept).toBeTruthy();
        expect(item.adjudication?.filter((a) => category(a) === 'benefitpaymentstatus').length).toBe(1);
      }
      expect(roles(e)).toEqual([['rendering', 'Practitioner']]);
    }
  });
});
