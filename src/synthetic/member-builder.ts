/**
 * Typed builder for one synthetic member, shared by tests and the seed script:
 *
 *   const m = aMember().inPlan('PCC').withClaims(20).withDenial('1200').build();
 *   m.resources      // the member's resources
 *   m.directory      // the provider directory they reference (m.allResources() = both)
 *
 * Defaults: seed 1, now 2026-06-30T12:00:00Z, index 1, a directory sized for 100 members.
 * Everything not set explicitly is drawn from the seed, so builds are deterministic.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { DenialEditCode } from '../domain/denial-edits.js';
import type { PlanTypeCode } from '../domain/plan-types.js';
import { generateMember, type GeneratedMember } from './member/generate-member.js';
import type { MemberSpec } from './member/member-context.js';
import { buildProviderDirectory, type ProviderDirectory } from './provider-directory.js';

export const DEFAULT_NOW = new Date('2026-06-30T12:00:00Z');

export interface BuildOptions {
  seed?: number;
  now?: Date;
  /** Reuse a directory (e.g. to build several members against the same providers). */
  directory?: ProviderDirectory;
}

export interface BuiltMember extends GeneratedMember {
  directory: ProviderDirectory;
  /** Directory resources followed by the member's resources (a self-contained set). */
  allResources(): Resource[];
}

const directories = new Map<string, ProviderDirectory>();

/** The directory a builder uses by default (cached per seed and clock). */
export function defaultDirectory(seed: number, now: Date): ProviderDirectory {
  const key = `${seed}|${now.toISOString()}`;
  let d = directories.get(key);
  if (!d) {
    d = buildProviderDirectory({ seed, now, members: 100 });
    directories.set(key, d);
  }
  return d;
}

export class MemberBuilder {
  private spec: MemberSpec;

  constructor(index: number) {
    this.spec = { index };
  }

  inPlan(plan: PlanTypeCode): this {
    this.spec = { ...this.spec, plan };
    return this;
  }

  withClaims(count: number): this {
    this.spec = { ...this.spec, claims: count };
    return this;
  }

  withPriorAuths(count: number): this {
    this.spec = { ...this.spec, priorAuths: count };
    return this;
  }

  withDenial(code: DenialEditCode): this {
    this.spec = { ...this.spec, denials: [...(this.spec.denials ?? []), code] };
    return this;
  }

  enrolledFrom(day: string): this {
    this.spec = { ...this.spec, enrolledFrom: day };
    return this;
  }

  bornOn(day: string): this {
    this.spec = { ...this.spec, birthDate: day };
    return this;
  }

  withGender(gender: 'male' | 'female'): this {
    this.spec = { ...this.spec, gender };
    return this;
  }

  optedOutOfProviderAccess(value = true): this {
    this.spec = { ...this.spec, providerAccessOptOut: value };
    return this;
  }

  optedInToPayerToPayer(value = true): this {
    this.spec = { ...this.spec, payerToPayerOptIn: value };
    return this;
  }

  build(options: BuildOptions = {}): BuiltMember {
    const seed = options.seed ?? 1;
    const now = options.now ?? DEFAULT_NOW;
    const directory = options.directory ?? defaultDirectory(seed, now);
    const member = generateMember({ seed, now, directory }, this.spec);
    return { ...member, directory, allResources: () => [...directory.resources, ...member.resources] };
  }
}

/** A member builder; `index` (default 1) fixes the member's ids and random stream. */
export function aMember(index = 1): MemberBuilder {
  return new MemberBuilder(index);
}
