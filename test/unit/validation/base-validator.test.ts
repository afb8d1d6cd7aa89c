import { describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { validateBase } from '../../../src/fhir/validation/base-validator.js';
import { hasErrors } from '../../../src/fhir/validation/validation-issue.js';

const asResource = (value: object): Resource => value as Resource;

describe('R4 base validation', () => {
  it('when a valid R4 Patient is validated, then no issue is reported', () => {
    const patient = asResource({ resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1980-02-03', name: [{ family: 'Doe', given: ['Jane'] }] });
    expect(validateBase(patient)).toEqual([]);
  });

  it('when a required element is missing, then an error names its path', () => {
    const issues = validateBase(asResource({ resourceType: 'Observation', code: { text: 'weight' } }));
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Observation.status'] }));
  });

  it('when Patient.gender is not in the required value set, then a code-invalid error is reported', () => {
    const issues = validateBase(asResource({ resourceType: 'Patient', gender: 'x' }));
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'], rule: 'binding' }));
  });

  it('when a contained resource breaks a required binding, then it is reported too', () => {
    const issues = validateBase(asResource({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', gender: 'y' } }] }));
    expect(issues.some((i) => i.rule === 'binding')).toBe(true);
  });

  it('when an unknown property is present, then it is an error', () => {
    expect(hasErrors(validateBase(asResource({ resourceType: 'Patient', foo: 1 })))).toBe(true);
  });

  it('when the id has characters outside [A-Za-z0-9-.], then it is an error', () => {
    expect(validateBase(asResource({ resourceType: 'Patient', id: 'a_b' }))).toContainEqual(expect.objectContaining({ rule: 'id-format' }));
  });

  it('when a dateTime has a time but no zone, then it is an error (R4 §datatypes dateTime)', () => {
    const issues = validateBase(asResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2020-01-01T10:00:00' }));
    expect(issues).toContainEqual(expect.objectContaining({ rule: 'dateTime-format' }));
  });

  it('when a reference is absolute or urn:uuid, then medplum\'s type warning is not reported', () => {
    const issues = validateBase(asResource({
      resourceType: 'Observation', status: 'final', code: { text: 'x' },
      subject: { reference: 'https://payer.example.org/fhir/Patient/1' },
      performer: [{ reference: 'urn:uuid:12345678-1234-1234-1234-123456789012' }],
    }));
    expect(issues).toEqual([]);
  });

  it('when a relative reference targets a type the element does not allow, then it is an error', () => {
    const issues = validateBase(asResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Organization/1' } }));
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', rule: 'reference-target', expression: ['Observation.subject'] }));
  });

  it('when two types of a choice element are present, then it is an error', () => {
    const issues = validateBase(asResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'a', valueBoolean: true }));
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', rule: 'choice-single-type' }));
  });

  it('when Meta carries medplum-only fields or an array is empty, then they are errors', () => {
    const issues = validateBase(asResource({ resourceType: 'Patient', meta: { project: 'x' }, name: [] }));
    expect(issues.map((i) => i.rule)).toEqual(expect.arrayContaining(['r4-meta', 'json-empty-array']));
  });

  it('when an Organization has neither name nor identifier, then org-1 fails (medplum skips it)', () => {
    expect(validateBase(asResource({ resourceType: 'Organization', active: true }))).toContainEqual(expect.objectContaining({ rule: 'org-1' }));
  });

  it('when a string contains a control character, then it is only a warning (R4: SHOULD NOT)', () => {
    const issues = validateBase(asResource({ resourceType: 'Patient', name: [{ family: 'Do\u0001e' }] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.severity).toBe('warning');
  });

  it('when resourceType is missing, then an error is returned instead of an exception', () => {
    expect(validateBase({} as Resource)).toEqual([expect.objectContaining({ severity: 'error' })]);
  });
});
