/** Small constructors for FHIR datatypes used by every synthetic builder. */
import type { CodeableConcept, Coding, Identifier, Money, Reference, Resource } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../domain/systems.js';

export function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}

export function concept(system: string, code: string, display?: string, text?: string): CodeableConcept {
  const c: CodeableConcept = { coding: [coding(system, code, display)] };
  if (text !== undefined) c.text = text;
  return c;
}

type ResourceOfType<K extends Resource['resourceType']> = Extract<Resource, { resourceType: K }>;

/** A literal reference `Type/id`, typed by the target resource type. */
export function refTo<K extends Resource['resourceType']>(type: K, id: string, display?: string): Reference<ResourceOfType<K>> {
  return display === undefined ? { reference: `${type}/${id}` } : { reference: `${type}/${id}`, display };
}

export function usd(value: number): Money {
  return { value: Math.round(value * 100) / 100, currency: 'USD' };
}

/** Identifier typed with a v2-0203 code (MB, NPI, TAX, ...). */
export function typedIdentifier(system: string, value: string, typeCode: string, typeDisplay: string): Identifier {
  return { type: concept(CODE_SYSTEM.identifierType, typeCode, typeDisplay), system, value };
}
