// Each declared profile accepts its conforming fixture (test/fixtures/profiles/, modelled on the
// official IG example) and rejects the same resource once a required element is removed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import type { RuleNode } from '../../../src/fhir/validation/profile-compiler.js';
import { declaredProfiles, validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { stripVersion } from '../../../src/fhir/validation/value-set-index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/profiles');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
type FixtureResource = Resource & Record<string, unknown>;
const readFixture = (file: string): FixtureResource => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as FixtureResource;
const claimedProfile = (resource: Resource): string => stripVersion(resource.meta?.profile?.[0] ?? '');

/** A top-level element some profile in the chain requires (meta excluded: it carries the claim). */
function requiredTopLevelElement(registry: ProfileRegistry, resource: FixtureResource): string | undefined {
  for (const profile of registry.chain(claimedProfile(resource))) {
    for (const child of profile.root.children.values()) {
      const node: RuleNode = child;
      if (node.name !== 'meta' && !node.name.endsWith('[x]') && (node.min ?? 0) > 0 && resource[node.name] !== undefined) return node.name;
    }
  }
  return undefined;
}

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('declared profiles', () => {
  it('when the server lists its profiles, then every fixture profile is declared and abstract ones are not', () => {
    const urls = declaredProfiles(registry).map((p) => p.url);
    for (const file of fixtures) expect(urls).toContain(claimedProfile(readFixture(file)));
    expect(urls).not.toContain('http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit');
    expect(urls).not.toContain('http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claim-base');
    expect(declaredProfiles(registry).every((p) => p.type && p.name)).toBe(true);
  });

  it('when a profile version is part of the claim, then the registry still finds the profile', () => {
    expect(registry.get('http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|2.1.0')?.name).toBe('C4BBPatient');
  });

  describe.each(fixtures)('%s', (file) => {
    it('when the conforming example is validated, then no error or warning is reported', () => {
      expect(validateResource(readFixture(file), registry)).toEqual([]);
    });

    it('when a required element is removed, then the profile rejects it', () => {
      const resource = readFixture(file);
      if (resource.resourceType === 'ClaimResponse') {
        // PAS ClaimResponse adds no top-level requirement; processNote.number is its own 1..1 rule.
        resource['processNote'] = [{ text: 'Pended for clinical review' }];
      } else {
        const element = requiredTopLevelElement(registry, resource);
        expect(element, 'fixture should carry an element its profile requires').toBeDefined();
        delete resource[element as string];
      }
      const issues = validateResource(resource, registry);
      expect(issues.some((i) => i.severity === 'error' && i.profile !== undefined)).toBe(true);
    });
  });
});
