/** State shared while one member's services are generated, and small lookups over it. */
import type { DenialEditCode } from '../../domain/denial-edits.js';
import type { DirectoryOrg, DirectoryPractitioner } from '../provider-directory.js';
import type { ServiceWindow } from './claim-plan.js';
import type { MemberCondition, MemberRun } from './member-context.js';
import type { ReferralBook } from './referrals.js';

export interface ServiceState {
  run: MemberRun;
  windows: ServiceWindow[];
  referrals: ReferralBook;
  /** Denial edits produced so far. */
  denials: Set<DenialEditCode>;
  /** Professional claims per billing organization (for attribution when there is no PCP). */
  billingOrgs: Map<string, { count: number; first: string; last: string }>;
  /** CVX codes already given (one-time vaccines) and years with a flu shot. */
  vaccines: Set<string>;
  /** The member's usual primary care and dental practices. */
  homePrimaryOrg: DirectoryOrg;
  homeDentalOrg?: DirectoryOrg;
}

export function conditionsOn(state: ServiceState, day: string): MemberCondition[] {
  return state.run.profile.conditions.filter((c) => c.onset <= day);
}

export function hasConditionOn(state: ServiceState, key: string, day: string): boolean {
  return conditionsOn(state, day).some((c) => c.condition.key === key);
}

/** A practitioner linked to the organization on the day (random), if any. */
export function staffOn(state: ServiceState, orgId: string, day: string): DirectoryPractitioner | undefined {
  const linked = state.run.ctx.directory.linkedOn(orgId, day);
  return linked.length > 0 ? state.run.rng.pick(linked) : undefined;
}

/** The location where the practitioner works for the organization, else the organization's first. */
export function locationFor(org: DirectoryOrg, practitioner: DirectoryPractitioner | undefined): string {
  const link = practitioner?.links.find((l) => l.orgId === org.id);
  return link?.locationId ?? org.locationIds[0];
}

/** An ORP-authorized orderer for the day: the member's PCP, else a primary care clinician linked somewhere. */
export function ordererOn(state: ServiceState, day: string): DirectoryPractitioner | undefined {
  const { directory } = state.run.ctx;
  const pcp = state.run.profile.pcp;
  if (pcp) return directory.practitioner(pcp.practitionerId);
  const staff = directory.linkedOn(state.homePrimaryOrg.id, day).filter((p) => p.providerType.orpAuthorized);
  return staff.length > 0 ? state.run.rng.pick(staff) : undefined;
}

export function recordBilling(state: ServiceState, orgId: string, day: string): void {
  const entry = state.billingOrgs.get(orgId);
  if (entry) {
    entry.count++;
    if (day < entry.first) entry.first = day;
    if (day > entry.last) entry.last = day;
  } else {
    state.billingOrgs.set(orgId, { count: 1, first: day, last: day });
  }
}
