// Validation entry point for the FHIR engine: R4 base rules, then every profile the resource
// claims in meta.profile that this server declares (R4 §resource meta.profile: "assertion of
// conformance"), each with its baseDefinition ancestors. A claimed profile the server does not
// know is reported as a warning, not an error: meta.profile is a claim the server cannot check,
// and rejecting data for it would break clients that tag extra profiles.
import type { Resource } from '@medplum/fhirtypes';
import { validateBase } from './base-validator.js';
import { evaluateProfile } from './profile-rules.js';
import type { DeclaredProfile, ProfileRegistry } from './profile-registry.js';
import { stripVersion } from './value-set-index.js';
import type { ValidationIssue } from './validation-issue.js';

export type { ValidationIssue } from './validation-issue.js';
export { hasErrors, isError } from './validation-issue.js';

function versionOf(canonical: string): string | undefined {
  const bar = canonical.indexOf('|');
  return bar === -1 ? undefined : canonical.slice(bar + 1);
}

/** Issues of the given profile (and its ancestors) only; base R4 rules are not included. */
export function validateAgainstProfile(resource: Resource, canonical: string, registry: ProfileRegistry): ValidationIssue[] {
  const chain = registry.chain(canonical);
  const profile = chain[0];
  if (!profile) {
    return [{ severity: 'warning', code: 'not-supported', diagnostics: `Profile ${stripVersion(canonical)} is not known to this server; not validated against it`, expression: [`${resource.resourceType}.meta.profile`], rule: 'unknown-profile' }];
  }
  const issues: ValidationIssue[] = [];
  if (profile.type !== resource.resourceType) {
    return [{ severity: 'error', code: 'invalid', diagnostics: `Profile ${profile.url} constrains ${profile.type}, not ${resource.resourceType}`, expression: [`${resource.resourceType}.meta.profile`], profile: profile.url, rule: 'profile-type' }];
  }
  const version = versionOf(canonical);
  if (version && profile.version && version !== profile.version) {
    issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `Profile ${profile.url} version ${version} was claimed; validated against version ${profile.version}`, expression: [`${resource.resourceType}.meta.profile`], profile: profile.url, rule: 'profile-version' });
  }
  const target = resource as unknown as Record<string, unknown>;
  for (const p of chain) issues.push(...evaluateProfile(p, target));
  return issues;
}

export function validateResource(resource: Resource, registry: ProfileRegistry): ValidationIssue[] {
  const issues = validateBase(resource);
  const claimed = new Set((resource.meta?.profile ?? []).map((p) => p));
  const seen = new Set<string>();
  for (const canonical of claimed) {
    // Two claims that share an ancestor (e.g. a C4BB profile and the US Core profile it derives
    // from) must not report that ancestor's issues twice.
    for (const issue of validateAgainstProfile(resource, canonical, registry)) {
      const key = `${issue.profile ?? canonical}|${issue.rule ?? ''}|${issue.expression?.join(',') ?? ''}|${issue.diagnostics}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

export function declaredProfiles(registry: ProfileRegistry): DeclaredProfile[] {
  return registry.declaredProfiles();
}
