/**
 * One professional service: picks the billing provider and rendering clinician, applies the
 * program's referral, ORP and group-link rules (denial edits 1200 and 1010), and writes the
 * C4BB professional EOB plus the clinical resources the visit produced.
 */
import type { DenialEditCode } from '../../domain/denial-edits.js';
import { planType } from '../../domain/plan-types.js';
import { isReferralRequired, ORP_EDIT_ENFORCED_FROM } from '../../domain/referral-rules.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addEncounter, addClinicalNote } from '../clinical/encounters.js';
import { addLabResults, addVitalSigns } from '../clinical/observations.js';
import { addImmunization, addProcedure } from '../clinical/orders.js';
import { businessInstant, HOUR_MS, instant, msOf } from '../dates.js';
import { addProfessionalEob } from '../eob/eob-professional.js';
import type { DirectoryOrg, DirectoryPractitioner } from '../provider-directory.js';
import {
  ACUTE_REASONS,
  CHILD_EXAM,
  DOCUMENT_TYPES,
  GENERAL_EXAM,
  LAB_TESTS,
  OTHER_DIAGNOSES,
  VACCINES,
  type Code,
  type LabKey,
} from '../tables/clinical-codes.js';
import { PROFESSIONAL_SERVICES, type ProfessionalKind, type ServiceLine } from '../tables/claim-codes.js';
import type { PlannedClaim } from './claim-plan.js';
import { ageOn } from './member-context.js';
import { conditionsOn, hasConditionOn, locationFor, ordererOn, recordBilling, staffOn, type ServiceState } from './service-state.js';

const ENCOUNTER_KINDS: ReadonlySet<ProfessionalKind> = new Set(['primary-care', 'preventive', 'specialist', 'behavioral', 'urgent-care']);

/** Kinds exempt from the PCC/PCP referral (130 CMR 450.118(J)(5)): behavioral health and eye care here. */
const REFERRAL_EXEMPT: ReadonlySet<ProfessionalKind> = new Set(['behavioral', 'vision', 'preventive', 'primary-care']);

/** Probability that a required referral is on file, and that an ORP provider is on the claim. */
const REFERRAL_ON_FILE = 0.88;
const ORP_PRESENT = 0.95;
const UNLINKED_RENDERING = 0.03;

function chooseKind(state: ServiceState, day: string): ProfessionalKind {
  const { rng, profile } = state.run;
  const age = ageOn(profile.birthDate, day);
  const mood = hasConditionOn(state, 'depression', day) || hasConditionOn(state, 'anxiety', day);
  const weights: Array<[ProfessionalKind, number]> = [
    ['primary-care', 34],
    ['preventive', 9],
    ['specialist', age >= 18 ? 11 : 3],
    ['behavioral', mood ? 14 : 3],
    ['urgent-care', 8],
    ['lab', 12],
    ['imaging', age >= 18 ? 4 : 1],
    ['therapy', 4],
    ['dme', hasConditionOn(state, 'diabetes', day) ? 6 : 2],
    ['vision', 3],
    ['chiropractic', age >= 18 ? 1.5 : 0],
  ];
  return rng.weighted(weights);
}

function billingOrgFor(state: ServiceState, kind: ProfessionalKind, day: string): DirectoryOrg {
  const { rng, ctx } = state.run;
  const d = ctx.directory;
  const any = (list: DirectoryOrg[]): DirectoryOrg => rng.pick(list.length > 0 ? list : d.groupsWith('primary-care'));
  switch (kind) {
    case 'primary-care':
    case 'preventive':
      return rng.chance(0.85) ? state.homePrimaryOrg : any([...d.groupsWith('primary-care'), ...d.orgsOfKind('chc')]);
    case 'specialist':
      return any(hasConditionOn(state, 'hypertension', day) || hasConditionOn(state, 'hyperlipidemia', day) ? d.groupsWith('cardiology') : d.groupsWith('orthopedics'));
    case 'behavioral':
      return any(d.groupsWith('behavioral'));
    case 'therapy':
      return any(d.groupsWith('therapy'));
    case 'vision':
      return any(d.groupsWith('vision'));
    case 'chiropractic':
      return any(d.groupsWith('chiropractic'));
    case 'urgent-care':
      return any(d.orgsOfKind('urgent-care'));
    case 'lab':
      return any(d.orgsOfKind('lab'));
    case 'dme':
      return any(d.orgsOfKind('dme'));
    case 'imaging':
      return any(d.orgsOfKind('hospital'));
  }
}

/** A practitioner who is NOT linked to the group on the day: edit 1010. */
function unlinkedPractitioner(state: ServiceState, org: DirectoryOrg, day: string): DirectoryPractitioner | undefined {
  const { directory } = state.run.ctx;
  const linked = new Set(directory.linkedOn(org.id, day).map((p) => p.id));
  const own = directory.practitionersOf(org.id).filter((p) => !linked.has(p.id));
  if (own.length > 0) return state.run.rng.pick(own);
  const peers = (org.specialty ? directory.groupsWith(org.specialty) : [])
    .filter((o) => o.id !== org.id)
    .flatMap((o) => directory.linkedOn(o.id, day))
    .filter((p) => !linked.has(p.id));
  return peers.length > 0 ? state.run.rng.pick(peers) : undefined;
}

function labTestsFor(state: ServiceState, day: string): LabKey[] {
  const keys = new Set<LabKey>();
  for (const c of conditionsOn(state, day)) for (const k of c.condition.labs) keys.add(k);
  if (keys.size === 0) {
    keys.add('hemoglobin');
    keys.add('glucose');
  }
  return Array.from(keys);
}

function diagnosesFor(state: ServiceState, kind: ProfessionalKind, day: string, acute: { icd10: Code }): Code[] {
  const { rng, profile } = state.run;
  const chronic = conditionsOn(state, day).map((c) => c.condition.icd10);
  switch (kind) {
    case 'preventive':
      return [ageOn(profile.birthDate, day) < 18 ? CHILD_EXAM : GENERAL_EXAM];
    case 'urgent-care':
      return [acute.icd10];
    case 'behavioral': {
      const mood = conditionsOn(state, day).find((c) => c.condition.key === 'depression' || c.condition.key === 'anxiety');
      return [mood?.condition.icd10 ?? { code: 'F41.9', display: 'Anxiety disorder, unspecified' }];
    }
    case 'vision':
      return [OTHER_DIAGNOSES.myopia];
    case 'chiropractic':
    case 'therapy':
      return [OTHER_DIAGNOSES.backPain];
    default:
      if (chronic.length > 0 && rng.chance(0.7)) return chronic.slice(0, 2);
      if (kind === 'lab' || kind === 'imaging' || kind === 'dme') return chronic.length > 0 ? chronic.slice(0, 1) : [kind === 'lab' ? GENERAL_EXAM : OTHER_DIAGNOSES.backPain];
      return [acute.icd10];
  }
}

function linesFor(state: ServiceState, kind: ProfessionalKind, day: string, labs: readonly LabKey[]): Array<{ line: ServiceLine; quantity: number }> {
  const { rng, profile } = state.run;
  const service = PROFESSIONAL_SERVICES[kind];
  switch (kind) {
    case 'preventive':
      return [{ line: service.lines[ageOn(profile.birthDate, day) < 18 ? 1 : 0], quantity: 1 }];
    case 'lab': {
      const cpts = new Map<string, ServiceLine>();
      for (const k of labs) {
        const t = LAB_TESTS[k];
        const known = service.lines.find((l) => l.code === t.cpt.code);
        cpts.set(t.cpt.code, known ?? { system: 'cpt', code: t.cpt.code, display: t.cpt.display, charge: 35 });
      }
      return Array.from(cpts.values()).map((line) => ({ line, quantity: 1 }));
    }
    case 'therapy':
      return rng.sample(service.lines, rng.int(1, 2)).map((line) => ({ line, quantity: rng.int(2, 4) }));
    case 'dme':
      return [{ line: hasConditionOn(state, 'diabetes', day) ? service.lines[1] : rng.pick(service.lines), quantity: 1 }];
    case 'specialist': {
      const visit = rng.chance(0.5) ? service.lines[0] : service.lines[2];
      const lines = [{ line: visit, quantity: 1 }];
      if (hasConditionOn(state, 'hypertension', day) && rng.chance(0.5)) lines.push({ line: service.lines[1], quantity: 1 });
      return lines;
    }
    case 'vision':
      return rng.chance(0.5) ? service.lines.map((line) => ({ line, quantity: line.system === 'hcpcs' ? 2 : 1 })) : [{ line: service.lines[0], quantity: 1 }];
    default:
      return [{ line: rng.pick(service.lines), quantity: 1 }];
  }
}

/** Generates one professional claim (and its clinical data) for a planned day. */
export function addProfessionalVisit(state: ServiceState, planned: PlannedClaim, kindOverride?: ProfessionalKind, force?: DenialEditCode): void {
  const { run } = state;
  const { rng, ctx, profile } = run;
  const day = planned.day;
  const coverage = planned.coverage;
  const kind = kindOverride ?? chooseKind(state, day);
  const service = PROFESSIONAL_SERVICES[kind];
  const org = force === '1010' ? rng.pick(ctx.directory.groupsWith('primary-care')) : billingOrgFor(state, kind, day);
  const groupBilling = org.kind === 'group';
  let denial: DenialEditCode | undefined;

  // Rendering provider: a group practice must name one linked to it on the date of service (1010).
  let rendering: DirectoryPractitioner | undefined;
  if (groupBilling) {
    const pcp = profile.pcp && profile.pcp.orgId === org.id ? ctx.directory.practitioner(profile.pcp.practitionerId) : undefined;
    const pcpLinked = pcp && ctx.directory.linkedOn(org.id, day).some((p) => p.id === pcp.id);
    rendering = pcpLinked && (kind === 'primary-care' || kind === 'preventive') ? pcp : staffOn(state, org.id, day);
    if (force === '1010' || (force === undefined && rng.chance(UNLINKED_RENDERING))) {
      const unlinked = unlinkedPractitioner(state, org, day);
      if (unlinked) {
        rendering = unlinked;
        denial = '1010';
      }
    }
  }
  const clinician = rendering ?? staffOn(state, org.id, day);

  // Referral (PCC Plan / Primary Care ACO) and ordering/referring provider (ORP) rules.
  const placeOfService = org.kind === 'chc' && (kind === 'primary-care' || kind === 'preventive') ? { code: '50', display: 'Federally Qualified Health Center' } : service.placeOfService;
  const byPcp = profile.pcp?.orgId === org.id;
  const referralRequired = isReferralRequired({ plan: coverage.plan, serviceDate: day, byPrimaryCareProvider: byPcp, placeOfService: placeOfService.code, exempt: REFERRAL_EXEMPT.has(kind) });
  const acute = rng.pick(ACUTE_REASONS);
  const diagnoses = diagnosesFor(state, kind, day, acute);
  const labs = kind === 'lab' ? labTestsFor(state, day) : [];
  const lines = linesFor(state, kind, day, labs);
  let referralId: string | undefined;
  let referringId: string | undefined;
  if (referralRequired) {
    referralId = state.referrals.referralFor(
      { orgId: org.id, practitionerId: rendering?.id, serviceDay: day, coverageId: coverage.id, service: { system: CODE_SYSTEM.cpt, code: lines[0].line.code, display: lines[0].line.display }, reason: diagnoses[0], label: org.name },
      force === '1200' ? 0 : REFERRAL_ON_FILE,
    );
    if (referralId && profile.pcp) referringId = profile.pcp.practitionerId;
    else denial ??= '1200';
  } else if (service.orp && kind !== 'vision') {
    const editsApply = planType(coverage.plan).orpEditsApply && day >= ORP_EDIT_ENFORCED_FROM;
    const missing = editsApply && (force === '1200' || !rng.chance(ORP_PRESENT));
    const orderer = missing ? undefined : ordererOn(state, day);
    if (orderer) referringId = orderer.id;
    else if (editsApply) denial ??= '1200';
  }
  if (denial) state.denials.add(denial);
  recordBilling(state, org.id, day);

  // Clinical resources for the visit.
  const start = businessInstant(rng, day);
  const end = instant(msOf(start) + rng.int(1, 3) * 20 * 60_000);
  let encounterId: string | undefined;
  const location = locationFor(org, clinician);
  if (ENCOUNTER_KINDS.has(kind)) {
    const first = lines[0].line;
    const visit = {
      cls: 'AMB' as const,
      start,
      end,
      type: { system: CODE_SYSTEM.cpt, code: first.code, display: first.display },
      reason: diagnoses[0].code === acute.icd10.code ? acute : { icd10: diagnoses[0] },
      orgId: org.id,
      locationId: location,
      practitionerId: clinician?.id,
      acute: diagnoses[0].code === acute.icd10.code,
    };
    encounterId = addEncounter(run, visit);
    if ((kind === 'primary-care' || kind === 'preventive' || kind === 'urgent-care') && rng.chance(0.5)) addVitalSigns(run, encounterId, start);
    if (rng.chance(kind === 'specialist' ? 0.4 : 0.12)) addClinicalNote(run, encounterId, visit, kind === 'specialist' ? DOCUMENT_TYPES.consultNote : DOCUMENT_TYPES.progressNote);
    if (kind === 'preventive' || (kind === 'primary-care' && rng.chance(0.3))) addVaccines(state, day, start, encounterId, clinician?.id, location);
    if (lines.some((l) => l.line.code === '93000')) {
      addProcedure(run, { system: CODE_SYSTEM.cpt, code: '93000', display: PROFESSIONAL_SERVICES.specialist.lines[1].display }, start, encounterId, clinician?.id, diagnoses[0]);
    }
  }
  if (kind === 'lab') {
    addLabResults(run, labs, instant(msOf(start) - HOUR_MS), org.id, referringId);
  }

  addProfessionalEob(run, {
    coverageId: coverage.id,
    billingOrgId: org.id,
    renderingId: groupBilling ? rendering?.id : undefined,
    referringId,
    referralId,
    day,
    placeOfService,
    lines,
    diagnoses,
    encounterId,
    denial,
  });
}

function addVaccines(state: ServiceState, day: string, at: string, encounterId: string, performerId: string | undefined, locationId: string): void {
  const { rng, profile } = state.run;
  const age = ageOn(profile.birthDate, day);
  const month = Number(day.slice(5, 7));
  for (const v of VACCINES) {
    if (age < v.minAge || age > v.maxAge) continue;
    const key = v.annual ? `${v.cvx.code}-${day.slice(0, 4)}` : v.cvx.code;
    if (state.vaccines.has(key)) continue;
    const due = v.annual ? month >= 9 || month <= 2 : rng.chance(0.35);
    if (!due || !rng.chance(0.7)) continue;
    state.vaccines.add(key);
    addImmunization(state.run, v.cvx, at, encounterId, performerId, locationId);
  }
}
