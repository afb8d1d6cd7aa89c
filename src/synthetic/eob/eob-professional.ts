/**
 * C4BB ExplanationOfBenefit Professional/NonClinician (CMS-1500 claims): group practices,
 * community health centers, urgent care centers, labs, DME suppliers.
 *
 * Required by the profile and set here: diagnosis (principal), item.productOrService (CPT/HCPCS),
 * item.serviced[x], item.location[x] (CMS place of service; 20 = urgent care), item adjudication
 * amounts + benefitpaymentstatus, totals, careTeam roles from C4BB (rendering, referring) with
 * NUCC qualification. The rendering provider is omitted when an entity (not a group practice)
 * bills, as MassHealth instructs.
 */
import type { ExplanationOfBenefit, ExplanationOfBenefitCareTeam, ExplanationOfBenefitItem } from '@medplum/fhirtypes';
import type { DenialEditCode } from '../../domain/denial-edits.js';
import { C4BB_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';
import type { Code } from '../tables/clinical-codes.js';
import type { ServiceLine } from '../tables/claim-codes.js';
import {
  amountAdjudications,
  claimTimes,
  denialAdjudication,
  denialNote,
  eobHeader,
  icn,
  payment,
  priceLines,
  statusAdjudication,
  sumAmounts,
  SupportingInfo,
  totals,
} from './eob-common.js';

export interface ProfessionalClaim {
  coverageId: string;
  billingOrgId: string;
  renderingId?: string;
  referringId?: string;
  referralId?: string;
  day: string;
  placeOfService: Code;
  lines: ReadonlyArray<{ line: ServiceLine; quantity: number }>;
  diagnoses: readonly Code[];
  encounterId?: string;
  denial?: DenialEditCode;
}

export function addProfessionalEob(run: MemberRun, c: ProfessionalClaim): ExplanationOfBenefit {
  const id = run.sink.nextId('eob');
  const times = claimTimes(run, c.day);
  const denied = c.denial !== undefined;
  const eob = eobHeader(run, {
    id,
    icn: icn(run, times.received, id),
    profile: C4BB_PROFILE.eobProfessional,
    type: 'professional',
    coverageId: c.coverageId,
    provider: { type: 'Organization', id: c.billingOrgId },
    billableStart: c.day,
    billableEnd: c.day,
    created: times.created,
    denied,
    referralId: c.referralId,
  });

  const careTeam: ExplanationOfBenefitCareTeam[] = [];
  const member = (practitionerId: string, role: 'rendering' | 'referring'): number => {
    const p = run.ctx.directory.practitioner(practitionerId);
    careTeam.push({
      sequence: careTeam.length + 1,
      provider: refTo('Practitioner', practitionerId),
      role: concept(CODE_SYSTEM.c4bbClaimCareTeamRole, role, role === 'rendering' ? 'Rendering provider' : 'Referring'),
      qualification: concept(CODE_SYSTEM.nuccTaxonomy, p.taxonomy.code, p.taxonomy.display),
    });
    return careTeam.length;
  };
  const renderingSeq = c.renderingId ? member(c.renderingId, 'rendering') : undefined;
  if (c.referringId) member(c.referringId, 'referring');
  if (careTeam.length > 0) eob.careTeam = careTeam;

  const info = new SupportingInfo();
  info.add('clmrecvddate', { timingDate: times.received });
  eob.supportingInfo = info.entries;

  eob.diagnosis = c.diagnoses.map((d, i) => ({
    sequence: i + 1,
    diagnosisCodeableConcept: concept(CODE_SYSTEM.icd10cm, d.code, d.display),
    type: [i === 0 ? concept(CODE_SYSTEM.diagnosisType, 'principal', 'Principal Diagnosis') : concept(CODE_SYSTEM.c4bbClaimDiagnosisType, 'secondary', 'Secondary')],
  }));

  const priced = priceLines(
    run,
    c.lines.map((l) => l.line.charge * l.quantity),
    denied,
  );
  eob.item = c.lines.map((l, i): ExplanationOfBenefitItem => {
    const item: ExplanationOfBenefitItem = {
      sequence: i + 1,
      diagnosisSequence: [1],
      productOrService: concept(l.line.system === 'cpt' ? CODE_SYSTEM.cpt : CODE_SYSTEM.hcpcs, l.line.code, l.line.display),
      servicedDate: c.day,
      locationCodeableConcept: concept(CODE_SYSTEM.placeOfService, c.placeOfService.code, c.placeOfService.display),
      quantity: { value: l.quantity },
      adjudication: [...amountAdjudications(priced[i], denied), statusAdjudication('benefitpaymentstatus')],
    };
    if (renderingSeq !== undefined) item.careTeamSequence = [renderingSeq];
    if (c.encounterId) item.encounter = [refTo('Encounter', c.encounterId)];
    if (c.denial) {
      item.adjudication?.push(denialAdjudication(c.denial));
      item.noteNumber = [1];
    }
    return item;
  });
  eob.adjudication = [statusAdjudication('billingnetworkstatus')];
  if (c.renderingId) eob.adjudication.push(statusAdjudication('renderingnetworkstatus'));
  const total = sumAmounts(priced);
  eob.total = totals(total, denied);
  eob.payment = payment(total, denied, times.created);
  if (c.denial) eob.processNote = [denialNote(c.denial)];
  return run.sink.add(eob);
}
