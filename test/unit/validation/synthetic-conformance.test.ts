// The synthetic demo data must conform to the profiles it claims: ~30 generated members are
// validated with the same validator the server uses, and failures are printed grouped by
// profile + rule so a generator bug shows up as one line per broken rule.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource, type ValidationIssue } from '../../../src/fhir/validation/validate-resource.js';

const GENERATOR = join(import.meta.dirname, '../../../src/synthetic/generate.ts');

type GenerateDemoData = (options: { members: number; seed: number; now: Date }) => unknown;

function isResource(value: unknown): value is Resource {
  return typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

/** Resources from whatever shape the generator returns: an iterable (generator, array) or an object of them. */
function collectResources(output: unknown, depth = 0, out: Resource[] = []): Resource[] {
  if (isResource(output)) {
    out.push(output);
    return out;
  }
  if (depth > 3 || output === null || typeof output !== 'object') return out;
  const values: unknown[] =
    output instanceof Map ? [...output.values()] : Symbol.iterator in output ? [...(output as Iterable<unknown>)] : Object.values(output);
  for (const value of values) collectResources(value, depth + 1, out);
  return out;
}

function groupKey(resource: Resource, issue: ValidationIssue): string {
  const profile = issue.profile ?? (issue.rule === 'unknown-profile' ? 'unknown profile' : `R4 ${resource.resourceType}`);
  const where = (issue.expression?.[0] ?? '').replace(/\[\d+\]/g, '[]');
  return `${issue.severity} | ${profile} | ${issue.rule ?? issue.code} | ${where} | ${issue.diagnostics.replace(/\[\d+\]/g, '[]')}`;
}

describe.skipIf(!existsSync(GENERATOR))('synthetic demo data conformance', () => {
  let resources: Resource[] = [];
  let registry: ProfileRegistry;

  beforeAll(async () => {
    registry = loadProfileRegistry();
    const module = (await import(GENERATOR)) as { generateDemoData: GenerateDemoData };
    const output = await module.generateDemoData({ members: 30, seed: 20240117, now: new Date('2026-03-01T12:00:00Z') });
    resources = collectResources(output);
  }, 120_000);

  it('when 30 members are generated, then every resource passes R4 and its claimed profiles without errors', () => {
    expect(resources.length).toBeGreaterThan(30);
    const errors = new Map<string, number>();
    const warnings = new Map<string, number>();
    for (const resource of resources) {
      for (const issue of validateResource(resource, registry)) {
        const bucket = issue.severity === 'error' || issue.severity === 'fatal' ? errors : warnings;
        const key = groupKey(resource, issue);
        bucket.set(key, (bucket.get(key) ?? 0) + 1);
      }
    }
    const report = (title: string, groups: Map<string, number>): string =>
      `${title} (${groups.size} rules):\n${[...groups].sort((a, b) => b[1] - a[1]).map(([key, n]) => `  ${String(n).padStart(5)} × ${key}`).join('\n')}`;
    if (warnings.size > 0) console.info(report('Synthetic data warnings', warnings));
    if (errors.size > 0) console.error(report('Synthetic data errors', errors));
    expect([...errors.keys()]).toEqual([]);
  }, 120_000);
});
