import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Claim, ExplanationOfBenefit, Organization, Patient, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { createProfileRegistry, loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { matchesPattern } from '../../../src/fhir/validation/pattern-match.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/profiles');
const fixture = <T extends Resource>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
const codeOf = (concept: { coding?: Array<{ code?: string }> } | undefined): string | undefined => concept?.coding?.[0]?.code;

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('pattern matching', () => {
  it('when a CodeableConcept has the pattern coding among others, then it matches', () => {
    const pattern = { coding: [{ system: 's', code: 'c' }] };
    expect(matchesPattern({ coding: [{ system: 'x', code: 'y' }, { system: 's', code: 'c', display: 'C' }], text: 't' }, pattern)).toBe(true);
    expect(matchesPattern({ coding: [{ system: 's', code: 'other' }] }, pattern)).toBe(false);
  });
});

describe('profile rules', () => {
  it('when an inpatient EOB lacks the admissionperiod supportingInfo slice, then slice cardinality fails', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Inpatient-Institutional');
    eob.supportingInfo = eob.supportingInfo?.filter((s) => codeOf(s.category) !== 'admissionperiod');
    const issues = validateResource(eob, registry);
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', rule: 'slice-min', diagnostics: expect.stringContaining("'admissionperiod'") }));
  });

  it('when a slice member misses an element the slice requires, then that element is reported where its parent exists', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Inpatient-Institutional');
    const admission = eob.supportingInfo?.find((s) => codeOf(s.category) === 'admissionperiod');
    delete admission?.timingPeriod;
    const issues = validateResource(eob, registry);
    expect(issues).toContainEqual(expect.objectContaining({ rule: 'min', expression: [expect.stringMatching(/^ExplanationOfBenefit\.supportingInfo\[0\]\.timingPeriod$/)] }));
  });

  it('when the EOB type does not match the fixed pattern, then a pattern error is reported', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Pharmacy');
    eob.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'oral' }] };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'pattern', expression: ['ExplanationOfBenefit.type'] }));
  });

  it('when a required binding to a local ValueSet is broken, then a code-invalid error is reported', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Outpatient-Institutional');
    const benefitStatus = eob.adjudication?.[1];
    if (benefitStatus) benefitStatus.reason = { coding: [{ system: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus', code: 'paid' }] };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ code: 'code-invalid', rule: 'binding', expression: ['ExplanationOfBenefit.adjudication[1].reason'] }));
  });

  it('when a code system not allowed by a whole-system binding is used, then it is rejected', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Pharmacy');
    const item = eob.item?.[0];
    if (item) item.productOrService = { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'binding', expression: ['ExplanationOfBenefit.item[0].productOrService'] }));
  });

  it('when an institutional care team attending role points to an Organization, then the C4BB invariant fails', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Inpatient-Institutional');
    const member = eob.careTeam?.[0];
    if (member) member.provider = { reference: 'Organization/ProviderOrganization1' };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'EOB-inst-careTeam-practitioner', expression: ['ExplanationOfBenefit.careTeam[0]'] }));
  });

  it('when the care team points at a Practitioner on another server (an absolute reference, as received data keeps it), then the invariant holds; at an Organization there, it fails', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Inpatient-Institutional');
    const member = eob.careTeam?.[0];
    if (member) member.provider = { reference: 'https://old-payer.example.org/fhir/Practitioner/Practitioner1' };
    expect(validateResource(eob, registry).filter((i) => i.rule === 'EOB-inst-careTeam-practitioner')).toEqual([]);
    if (member) member.provider = { reference: 'https://old-payer.example.org/fhir/Organization/ProviderOrganization1' };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'EOB-inst-careTeam-practitioner' }));
  });

  it('when a reference targets a type the profile does not allow, then a target error is reported', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Oral');
    eob.insurer = { reference: 'Patient/Patient2' };
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'target', expression: ['ExplanationOfBenefit.insurer'] }));
  });

  it('when a prohibited element (max 0) is present, then it is reported', () => {
    const claim = fixture<Claim>('pas-claim');
    const event = claim.supportingInfo?.[0];
    if (event) event.valueString = 'not allowed on a patientEvent';
    expect(validateResource(claim, registry)).toContainEqual(expect.objectContaining({ rule: 'max', diagnostics: expect.stringContaining('not allowed') }));
  });

  it('when a financial EOB has no totals, then the financial profile rejects it but its Basis profile accepts it', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Professional-NonClinician');
    delete eob.total;
    expect(validateResource(eob, registry).some((i) => i.rule === 'min' && i.expression?.[0] === 'ExplanationOfBenefit.total')).toBe(true);
    eob.meta = { ...eob.meta, profile: ['http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician-Basis|2.1.0'] };
    expect(validateResource(eob, registry)).toEqual([]);
  });

  it('when a C4BB profile derives from US Core, then the US Core rules apply too', () => {
    const patient = fixture<Patient>('C4BB-Patient');
    delete patient.gender;
    expect(validateResource(patient, registry)).toContainEqual(expect.objectContaining({ rule: 'min', profile: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient' }));
  });

  it('when meta.profile names a profile the server does not know, then it is a warning, not an error', () => {
    const patient = fixture<Patient>('us-core-patient');
    patient.meta = { profile: ['http://example.org/fhir/StructureDefinition/unknown'] };
    expect(validateResource(patient, registry)).toEqual([expect.objectContaining({ severity: 'warning', rule: 'unknown-profile' })]);
  });

  it('when the claimed profile constrains another resource type, then it is an error', () => {
    const patient = fixture<Patient>('us-core-patient');
    patient.meta = { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner'] };
    expect(validateResource(patient, registry)).toContainEqual(expect.objectContaining({ severity: 'error', rule: 'profile-type' }));
  });

  it('when a C4BB profile is claimed without the 2.1 version, then only the version warning is added', () => {
    const org = fixture<Organization>('C4BB-Organization');
    org.meta = { ...org.meta, profile: ['http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization'] };
    expect(validateResource(org, registry)).toEqual([expect.objectContaining({ severity: 'warning', rule: 'organization-meta-profile-version' })]);
  });

  it('when a profile defines an invariant that does not compile, then loading fails with its key', () => {
    const broken: StructureDefinition = {
      resourceType: 'StructureDefinition', url: 'http://example.org/sd/broken', name: 'Broken', status: 'draft', kind: 'resource', abstract: false,
      type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint',
      differential: { element: [{ id: 'Patient', path: 'Patient', constraint: [{ key: 'bad-1', severity: 'error', human: 'x', expression: 'name.where(' }] }] },
    };
    expect(() => createProfileRegistry([broken], [])).toThrow(/bad-1/);
  });

  it('when a slice discriminates on a pattern inside a nested path, then members are counted per parent', () => {
    const eob = fixture<ExplanationOfBenefit>('C4BB-ExplanationOfBenefit-Professional-NonClinician');
    const line = eob.item?.[0];
    if (line) line.adjudication = line.adjudication?.filter((a) => codeOf(a.category) !== 'benefitpaymentstatus');
    expect(validateResource(eob, registry)).toContainEqual(expect.objectContaining({ rule: 'slice-min', expression: ['ExplanationOfBenefit.item[0].adjudication'] }));
  });

  describe('closed slicing', () => {
    const IDENTIFIER = 'http://example.org/sd/closed-identifiers';
    const sd = (rules: 'open' | 'closed', mrnDiscriminator: 'value' | 'exists' = 'value'): StructureDefinition => ({
      resourceType: 'StructureDefinition', url: IDENTIFIER, name: 'ClosedIdentifiers', status: 'draft', kind: 'resource', abstract: false,
      type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint',
      differential: {
        element: [
          { id: 'Patient.identifier', path: 'Patient.identifier', slicing: { discriminator: [{ type: mrnDiscriminator, path: 'system' }], rules } },
          { id: 'Patient.identifier:mrn', path: 'Patient.identifier', sliceName: 'mrn', min: 0, max: '1' },
          { id: 'Patient.identifier:mrn.system', path: 'Patient.identifier.system', fixedUri: 'urn:mrn' },
          { id: 'Patient.identifier:member', path: 'Patient.identifier', sliceName: 'member', min: 0, max: '*' },
          { id: 'Patient.identifier:member.system', path: 'Patient.identifier.system', fixedUri: 'urn:member' },
        ],
      },
    });
    const patient = (...systems: string[]): Patient => ({ resourceType: 'Patient', meta: { profile: [IDENTIFIER] }, identifier: systems.map((system, i) => ({ system, value: String(i) })) });
    const closedErrors = (reg: ProfileRegistry, p: Patient) => validateResource(p, reg).filter((i) => i.rule === 'closed-slicing');

    it('when an element matches none of the slices of a closed slicing, then it is an error at that element', () => {
      const reg = createProfileRegistry([sd('closed')], []);
      expect(closedErrors(reg, patient('urn:mrn', 'urn:member', 'urn:member'))).toEqual([]);
      expect(closedErrors(reg, patient('urn:mrn', 'urn:other'))).toEqual([
        expect.objectContaining({ severity: 'error', expression: ['Patient.identifier[1]'], diagnostics: expect.stringContaining('mrn, member') }),
      ]);
    });

    it('when the slicing is open, or a slice cannot be judged with the supported discriminators, then other elements are allowed', () => {
      expect(closedErrors(createProfileRegistry([sd('open')], []), patient('urn:other'))).toEqual([]);
      expect(closedErrors(createProfileRegistry([sd('closed', 'exists')], []), patient('urn:other'))).toEqual([]);
    });
  });
});
