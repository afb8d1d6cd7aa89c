/**
 * Generates everything about one member, in an order where a resource's targets inside the
 * member come first when practical: Patient, Coverage, problems, then the visits (Encounter,
 * observations, notes, referrals, claims), smoking status, care plan and goals, prior
 * authorizations and consents, and last the Provenance of the clinical records.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { DenialEditCode } from '../../domain/denial-edits.js';
import { planType } from '../../domain/plan-types.js';
import { ORP_EDIT_ENFORCED_FROM, REFERRAL_REINSTATEMENT_DAY } from '../../domain/referral-rules.js';
import { addCarePlan } from '../clinical/care-plans.js';
import { addAllergies, addChronicConditions } from '../clinical/problems.js';
import { addProvenance } from '../clinical/provenance.js';
import { addSmokingStatus } from '../clinical/social-history.js';
import { HOUR_MS } from '../dates.js';
import { Rng } from '../prng.js';
import { planClaims, randomServiceDay, serviceWindows, type PlannedClaim } from './claim-plan.js';
import { addPayerToPayerOptIn, addProviderAccessOptOut } from './consents.js';
import { coverageResource, makeProfile, patientResource } from './enrollment.js';
import { addInpatientStay, addOutpatientVisit } from './facility-visits.js';
import { MemberSink, type AttributionEntry, type MemberContext, type MemberProfile, type MemberRun, type MemberSpec } from './member-context.js';
import { addDentalVisit, PharmacyFills, writePrescriptions } from './pharmacy-dental.js';
import { addPriorAuths } from './prior-auths.js';
import { addProfessionalVisit } from './professional-visits.js';
import { ReferralBook } from './referrals.js';
import type { ServiceState } from './service-state.js';

export interface GeneratedMember {
  profile: MemberProfile;
  resources: Resource[];
  attribution: AttributionEntry[];
  /** Denial edits present among the member's claims. */
  denials: DenialEditCode[];
}

interface ForcedClaim {
  planned: PlannedClaim;
  kind: 'primary-care' | 'specialist' | 'lab';
  denial: DenialEditCode;
}

/** Claims that produce the requested denials, taken from the plan when a planned claim fits. */
function forcedClaims(state: ServiceState, planned: PlannedClaim[], denials: readonly DenialEditCode[]): ForcedClaim[] {
  const { rng } = state.run;
  const forced: ForcedClaim[] = [];
  const take = (fits: (p: PlannedClaim) => boolean): PlannedClaim | undefined => {
    const i = planned.findIndex((p) => p.kind === 'professional' && fits(p));
    return i >= 0 ? planned.splice(i, 1)[0] : undefined;
  };
  for (const code of denials) {
    if (code === '1010') {
      const p = take(() => true) ?? toPlanned(randomServiceDay(rng, state.windows));
      if (p) forced.push({ planned: p, kind: 'primary-care', denial: '1010' });
      continue;
    }
    // 1200: a PCC/ACO member without a referral, else a missing ORP provider on an ordered service.
    const referralWindows = state.windows.filter((w) => w.coverage.plan === 'PCC' || w.coverage.plan === 'PCACO');
    const viaReferral = take((p) => referralWindows.some((w) => w.coverage === p.coverage) && p.day >= REFERRAL_REINSTATEMENT_DAY) ?? toPlanned(randomServiceDay(rng, referralWindows, REFERRAL_REINSTATEMENT_DAY));
    if (viaReferral && state.run.profile.pcp) {
      forced.push({ planned: viaReferral, kind: 'specialist', denial: '1200' });
      continue;
    }
    const orpWindows = state.windows.filter((w) => planType(w.coverage.plan).orpEditsApply);
    const viaOrp = take((p) => orpWindows.some((w) => w.coverage === p.coverage) && p.day >= ORP_EDIT_ENFORCED_FROM) ?? toPlanned(randomServiceDay(rng, orpWindows, ORP_EDIT_ENFORCED_FROM));
    if (viaOrp) forced.push({ planned: viaOrp, kind: 'lab', denial: '1200' });
  }
  return forced;
}

function toPlanned(at: ReturnType<typeof randomServiceDay>): PlannedClaim | undefined {
  return at ? { kind: 'professional', day: at.day, coverage: at.coverage } : undefined;
}

function attributionFor(state: ServiceState): AttributionEntry[] {
  const { profile, ctx } = state.run;
  if (profile.pcp) {
    const spans = profile.coverages.filter((c) => planType(c.plan).hasPrimaryCareAssignment);
    const last = spans[spans.length - 1];
    return [{ orgId: profile.pcp.orgId, patientId: profile.id, coverageId: last.id, practitionerId: profile.pcp.practitionerId, start: spans[0].start, end: last.end }];
  }
  let best: { orgId: string; count: number; first: string } | undefined;
  for (const [orgId, s] of state.billingOrgs) {
    const kind = ctx.directory.org(orgId).kind;
    if (kind !== 'group' && kind !== 'chc') continue;
    if (!best || s.count > best.count || (s.count === best.count && orgId < best.orgId)) best = { orgId, count: s.count, first: s.first };
  }
  if (!best) return [];
  const last = profile.coverages[profile.coverages.length - 1];
  return [{ orgId: best.orgId, patientId: profile.id, coverageId: last.id, start: best.first, end: last.end }];
}

export function generateMember(ctx: MemberContext, spec: MemberSpec): GeneratedMember {
  const rng = Rng.derive(ctx.seed, 'member', spec.index);
  const nowMs = ctx.now.getTime();
  const nowDay = ctx.now.toISOString().slice(0, 10);
  const profile = makeProfile(rng, ctx.seed, spec, nowDay, ctx.directory);
  const sink = new MemberSink(profile.id);
  const run: MemberRun = { rng, ctx, nowDay, nowMs, profile, sink };

  sink.add(patientResource(rng, profile, nowMs));
  for (const span of profile.coverages) sink.add(coverageResource(span, profile, ctx.directory.payer.id, nowMs - rng.int(1, 90) * 24 * HOUR_MS));
  addChronicConditions(run);
  addAllergies(run);

  const windows = serviceWindows(run);
  const homePrimaryOrg = profile.pcp
    ? ctx.directory.org(profile.pcp.orgId)
    : rng.pick([...ctx.directory.groupsWith('primary-care'), ...ctx.directory.orgsOfKind('chc')]);
  const state: ServiceState = {
    run,
    windows,
    referrals: new ReferralBook(run),
    denials: new Set(),
    billingOrgs: new Map(),
    vaccines: new Set(),
    homePrimaryOrg,
  };
  const prescriptions = writePrescriptions(state);
  const planned = planClaims(run, windows, spec.claims, prescriptions.length > 0);
  const forced = forcedClaims(state, planned, spec.denials ?? []);
  const fills = new PharmacyFills(state, prescriptions);
  for (const p of planned) {
    switch (p.kind) {
      case 'professional':
        addProfessionalVisit(state, p);
        break;
      case 'pharmacy':
        fills.add(p);
        break;
      case 'outpatient':
        addOutpatientVisit(state, p);
        break;
      case 'inpatient':
        addInpatientStay(state, p);
        break;
      case 'oral':
        addDentalVisit(state, p);
        break;
    }
  }
  for (const f of forced) addProfessionalVisit(state, f.planned, f.kind, f.denial);
  addSmokingStatus(run);
  addCarePlan(run, profile.pcp?.orgId ?? homePrimaryOrg.id);

  addPriorAuths(state, spec.priorAuths ?? (rng.chance(0.3) ? rng.int(1, 2) : 0));
  if (spec.providerAccessOptOut ?? rng.chance(0.03)) addProviderAccessOptOut(run);
  if (spec.payerToPayerOptIn ?? rng.chance(0.2)) addPayerToPayerOptIn(run);
  addProvenance(run, profile.pcp?.orgId ?? homePrimaryOrg.id);

  return { profile, resources: sink.resources, attribution: attributionFor(state), denials: Array.from(state.denials) };
}
