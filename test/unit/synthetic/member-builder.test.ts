import type { Consent, Coverage, ExplanationOfBenefit, Patient, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { aMember } from '../../../src/synthetic/member-builder.js';

/** Claims and encounters only: prior authorizations are ExplanationOfBenefits too (PDex views, use = preauthorization). */
const claimsOf = (resources: Resource[]): ExplanationOfBenefit[] => ofType<ExplanationOfBenefit>(resources, 'ExplanationOfBenefit').filter((e) => e.use === 'claim');

function ofType<T extends Resource>(resources: Resource[], type: T['resourceType']): T[] {
  return resources.filter((r): r is T => r.resourceType === type);
}

describe('aMember() builder', () => {
  it('when a PCC member with 20 claims is built, then it has 20 EOBs of all five types and PCC coverage', () => {
    const m = aMember(11).inPlan('PCC').withClaims(20).build();
    const eobs = claimsOf(m.resources);
    expect(eobs.length).toBeGreaterThanOrEqual(18);
    expect(eobs.length).toBeLessThanOrEqual(20);
    const types = new Set(eobs.map((e) => e.type.coding?.[0]?.code));
    expect(types).toEqual(new Set(['professional', 'pharmacy', 'institutional', 'oral']));
    const coverages = ofType<Coverage>(m.resources, 'Coverage');
    expect(coverages[coverages.length - 1].class?.find((c) => c.type.coding?.[0]?.code === 'plan')?.value).toBe('PCC');
  });

  it('when a PCC member is built, then the patient names a PCP and the member is attributed to the PCP organization', () => {
    const m = aMember(12).inPlan('PCC').build();
    const patient = ofType<Patient>(m.resources, 'Patient')[0];
    expect(patient.generalPractitioner?.map((r) => r.reference?.split('/')[0])).toEqual(['Practitioner', 'Organization']);
    expect(m.attribution[0]?.orgId).toBe(patient.generalPractitioner?.[1]?.reference?.split('/')[1]);
  });

  it('when denials are requested, then the member has both the 1200 and 1010 denials', () => {
    const m = aMember(13).inPlan('PCACO').enrolledFrom('2018-01-01').withDenial('1200').withDenial('1010').build();
    expect([...m.denials].sort()).toEqual(['1010', '1200']);
  });

  it('when the member opts out of Provider Access and into Payer-to-Payer, then both consents are written', () => {
    const m = aMember(14).optedOutOfProviderAccess().optedInToPayerToPayer().build();
    const consents = ofType<Consent>(m.resources, 'Consent');
    expect(consents.map((c) => c.provision?.type).sort()).toEqual(['deny', 'permit']);
  });

  it('when prior authorizations are requested, then each request has a PAS Claim and ClaimResponse', () => {
    const m = aMember(15).enrolledFrom('2020-01-01').withPriorAuths(5).build();
    const claims = m.resources.filter((r) => r.resourceType === 'Claim');
    const responses = m.resources.filter((r) => r.resourceType === 'ClaimResponse');
    expect(claims.length).toBeGreaterThanOrEqual(5);
    expect(responses.length).toBe(claims.length);
  });

  it('when the same builder settings are built twice, then the resources are identical', () => {
    const a = aMember(16).inPlan('FFS').withClaims(8).build();
    const b = aMember(16).inPlan('FFS').withClaims(8).build();
    expect(JSON.stringify(a.resources)).toBe(JSON.stringify(b.resources));
  });

  it('when a member is built, then its resources and the directory form a closed set of references', () => {
    const m = aMember(17).inPlan('MCO').withClaims(15).withPriorAuths(2).build();
    const all = m.allResources();
    const ids = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    const refs = JSON.stringify(m.resources).match(/"reference":"[^"]+"/g) ?? [];
    for (const ref of refs) expect(ids.has(ref.slice(13, -1)), ref).toBe(true);
  });

  it('when a birth date and gender are set, then the patient has them', () => {
    const m = aMember(18).bornOn('1990-05-17').withGender('female').build();
    const patient = ofType<Patient>(m.resources, 'Patient')[0];
    expect(patient.birthDate).toBe('1990-05-17');
    expect(patient.gender).toBe('female');
  });
});
