/**
 * The engine's view of validation: one function from a resource to outcome issues (R4 structure +
 * declared profiles), and the declared profiles for the CapabilityStatement.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Issue, IssueType } from '../outcome.js';
import type { DeclaredProfile } from './profile-registry.js';
import { loadProfileRegistry } from './profile-registry.js';
import { validateResource } from './validate-resource.js';

export interface Validator {
  validate(resource: Resource): Issue[];
  declaredProfiles(): DeclaredProfile[];
}

export function createValidator(profilesDir: string): Validator {
  const registry = loadProfileRegistry(profilesDir);
  return {
    validate: (resource) =>
      validateResource(resource, registry).map((i) => ({
        severity: i.severity,
        code: i.code as IssueType,
        diagnostics: i.profile ? `${i.diagnostics} (profile ${i.profile}${i.rule ? `, rule ${i.rule}` : ''})` : i.diagnostics,
        expression: i.expression,
      })),
    declaredProfiles: () => registry.declaredProfiles(),
  };
}
