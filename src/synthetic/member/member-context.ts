/** Types shared by the member builders, and the sink that collects a member's resources. */
import type { Resource } from '@medplum/fhirtypes';
import type { DenialEditCode } from '../../domain/denial-edits.js';
import type { PlanTypeCode } from '../../domain/plan-types.js';
import type { Rng } from '../prng.js';
import type { ProviderDirectory } from '../provider-directory.js';
import type { ChronicCondition } from '../tables/clinical-codes.js';
import type { Place } from '../tables/people.js';

export interface MemberSpec {
  /** Position of the member in the data set; determines ids and the random stream. */
  index: number;
  /** Plan of the member's current (last) coverage. */
  plan?: PlanTypeCode;
  /** Number of claims (ExplanationOfBenefit) to generate, instead of one drawn from utilization rates. */
  claims?: number;
  /** Number of prior-authorization requests, instead of a random number. */
  priorAuths?: number;
  /** The member opted out of Provider Access sharing. */
  providerAccessOptOut?: boolean;
  /** The member opted in to Payer-to-Payer exchange. */
  payerToPayerOptIn?: boolean;
  /** Denials that must appear among the member's claims (when the rules allow them). */
  denials?: readonly DenialEditCode[];
  /** First day of enrollment. */
  enrolledFrom?: string;
  birthDate?: string;
  gender?: 'male' | 'female';
}

export interface MemberContext {
  seed: number;
  now: Date;
  directory: ProviderDirectory;
}

export interface CoverageSpan {
  id: string;
  plan: PlanTypeCode;
  benefit: { code: string; display: string };
  start: string;
  /** Last day of coverage; undefined while enrolled. */
  end?: string;
}

export interface PcpAssignment {
  orgId: string;
  practitionerId: string;
}

export interface MemberCondition {
  id: string;
  condition: ChronicCondition;
  onset: string;
}

export interface MemberProfile {
  index: number;
  /** Patient.id. */
  id: string;
  memberId: string;
  given: string;
  family: string;
  gender: 'male' | 'female';
  birthDate: string;
  place: Place;
  coverages: CoverageSpan[];
  pcp?: PcpAssignment;
  conditions: MemberCondition[];
}

/** Attribution of a member to a provider organization (one Group.member entry). */
export interface AttributionEntry {
  orgId: string;
  patientId: string;
  coverageId: string;
  practitionerId?: string;
  start: string;
  end?: string;
}

/** Collects a member's resources and hands out deterministic ids (`m000042-eob-3`). */
export class MemberSink {
  readonly resources: Resource[] = [];
  private readonly counters = new Map<string, number>();

  constructor(readonly memberKey: string) {}

  nextId(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${this.memberKey}-${kind}-${n}`;
  }

  add<T extends Resource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }
}

/** Everything a builder needs while generating one member. */
export interface MemberRun {
  rng: Rng;
  ctx: MemberContext;
  nowDay: string;
  nowMs: number;
  profile: MemberProfile;
  sink: MemberSink;
}

export function memberKey(index: number): string {
  return `m${String(index).padStart(6, '0')}`;
}

/** The coverage span active on a day, if any. */
export function coverageOn(profile: MemberProfile, day: string): CoverageSpan | undefined {
  return profile.coverages.find((c) => day >= c.start && (c.end === undefined || day <= c.end));
}

/** Age in whole years on a day. */
export function ageOn(birthDate: string, day: string): number {
  let age = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4));
  if (day.slice(5) < birthDate.slice(5)) age--;
  return age;
}
