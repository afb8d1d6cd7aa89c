/** Small builders for request bodies used across the REST tests. */
import type { Patient, Observation } from '@medplum/fhirtypes';

export const FHIR_JSON = 'application/fhir+json';

export function aPatient(family: string, given = 'Alex', extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', name: [{ family, given: [given] }], gender: 'female', birthDate: '1980-05-17', ...extra };
}

export function anObservation(patientId: string, code: string, effective: string, value = 1): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: effective,
    valueQuantity: { value, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
  };
}
