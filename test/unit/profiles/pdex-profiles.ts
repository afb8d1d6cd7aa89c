// Shared by the PDex Provider Access profile tests in this folder: the profile URLs, helpers to assert
// that a resource passes or breaks one rule, and the Provider Access API over a temp store whose writes
// are validated against the profiles the server loads (profiles/, see profiles/README.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { engineContext } from '../../../src/app.js';
import { policyDeps } from '../../../src/auth/access-policy.js';
import { providerAccessApi, type ProviderAccessApi } from '../../../src/apis/provider-access/provider-access.js';
import { loadConfig } from '../../../src/config.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { createValidator } from '../../../src/fhir/validation/create-validator.js';
import { defaultProfilesDir, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource, type ValidationIssue } from '../../../src/fhir/validation/validate-resource.js';
import { openDocuments, openStore, PROJECT_ROOT } from '../../../src/server.js';
import { buildCapabilityStatement } from '../../../src/fhir/capability/build.js';
import type { ResourceStore } from '../../../src/store/port.js';

const SD = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/';

export const PDEX = {
  providerConsent: `${SD}pdex-provider-consent`,
  providerGroup: `${SD}pdex-provider-group`,
  memberMatch: `${SD}pdex-provider-member-match`,
  memberNoMatch: `${SD}pdex-provider-member-no-match`,
  memberOptOut: `${SD}pdex-member-opt-out`,
  matchParameters: `${SD}base-ext-match-parameters`,
} as const;

/** The profiles folder the server loads (src/server.ts). */
export const PROFILES_DIR = defaultProfilesDir();

export const errorsOf = (issues: ValidationIssue[]): ValidationIssue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

export const describeIssues = (issues: ValidationIssue[]): string[] =>
  issues.map((i) => `${i.severity} ${i.profile ?? 'R4'} ${i.rule ?? i.code} ${i.expression?.join(',') ?? ''}: ${i.diagnostics}`);

/** The resource passes R4 and every profile it claims: no error and no warning. */
export function expectConforms(resource: Resource, registry: ProfileRegistry): void {
  expect(describeIssues(validateResource(resource, registry))).toEqual([]);
}

/** The resource passes R4 and every profile it claims without errors (warnings allowed). */
export function expectNoErrors(resource: Resource, registry: ProfileRegistry): void {
  expect(describeIssues(errorsOf(validateResource(resource, registry)))).toEqual([]);
}

/** Validation reports an error of `profile` for `rule` at `expression` (a prefix of the issue's path). */
export function expectRuleError(resource: Resource, registry: ProfileRegistry, profile: string, rule: string, expression: string): void {
  const issues = errorsOf(validateResource(resource, registry));
  const hit = issues.some((i) => i.profile === profile && i.rule === rule && (i.expression ?? []).some((e) => e.startsWith(expression)));
  expect(hit, `expected ${rule} at ${expression} from ${profile}; got:\n${describeIssues(issues).join('\n')}`).toBe(true);
}

/** A JSON copy, so a test can break it without touching the original. */
export const copy = <T>(value: T): T => structuredClone(value);

/** The CapabilityStatement the server builds from the profiles it validates with (fixed clock and base). */
export const capabilityFromShippedProfiles = (): ReturnType<typeof buildCapabilityStatement> =>
  buildCapabilityStatement({
    registry: loadSearchRegistry(),
    profiles: createValidator(PROFILES_DIR).declaredProfiles(),
    baseUrl: 'http://localhost/fhir',
    version: 'test',
    now: new Date('2026-03-02T15:04:05Z'),
    basePath: join(PROJECT_ROOT, 'capability-statement', 'base.json'),
  });

export const PAYER = { reference: 'Organization/masshealth', display: 'MassHealth' };
export const NOW = new Date('2026-03-02T15:04:05Z');

export interface ProviderAccessHarness {
  api: ProviderAccessApi;
  store: ResourceStore;
  close(): Promise<void>;
}

/**
 * The Provider Access API over an embedded store in a temp folder, its writes going through the FHIR
 * engine with the server's validator (R4 + the profiles in profiles/, as src/server.ts wires it), so
 * what it stores is what the server would store.
 */
export async function openProviderAccess(): Promise<ProviderAccessHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pdex-profiles-'));
  const config = loadConfig({ DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' });
  const store = await openStore(config, pino({ level: 'silent' }));
  const docs = await openDocuments(config);
  const search = loadSearchRegistry();
  const clock = (): Date => NOW;
  const baseUrl = 'http://localhost/fhir';
  const engine = engineContext({ config: { ...config, baseUrl }, store, registry: search, validate: createValidator(PROFILES_DIR).validate, clock, newId: () => crypto.randomUUID() });
  const api = providerAccessApi({
    store,
    docs,
    registry: search,
    engine,
    policy: policyDeps(search, clock, baseUrl),
    clients: { get: async () => undefined },
    payer: PAYER,
    claimsMonths: 24,
    clock,
    newId: () => crypto.randomUUID(),
  });
  return {
    api,
    store,
    async close() {
      await store.close();
      await docs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
