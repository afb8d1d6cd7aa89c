/**
 * The member's view of a prior authorization: a Da Vinci PDex Prior Authorization (an
 * ExplanationOfBenefit with use = preauthorization, PDex 2.1.0 `pdex-priorauthorization`) computed
 * from the PAS Claim and ClaimResponse the PA process stores. Pure: the same pair always gives the same
 * view, and the view is rewritten in the same store write as its sources (fhir/rest/derived-writes.ts),
 * so it can never disagree with them.
 *
 * CMS-0057-F (42 CFR 431.60(b)(5)): the status, the dates (approval, in-effect period), the items and
 * services approved and the quantity used so far, the specific reason for a denial, and the
 * documentation the provider submitted. In PDex terms:
 *   status          outcome (queued = pended, complete, partial) + reviewAction code (X12 306) on the
 *                   item adjudication, and the program's decision code as an extension
 *   approved        item.adjudication `allowedunits`, item.extension preAuthPeriod / preAuthIssueDate
 *   used so far     item.adjudication `consumedunits`
 *   denial reason   item.adjudication `denialreason`: an X12 CARC (the required binding) plus the
 *                   program's specific reason code, with its plain-language text
 *   documentation   supportingInfo, as the PAS Claim carried it (a reference to the DocumentReference)
 *   PA number       identifier and preAuthRef; preAuthRefPeriod the in-effect period
 */
import { createHash } from 'node:crypto';
import type {
  Claim,
  ClaimItem,
  ClaimResponse,
  ClaimResponseItem,
  CodeableConcept,
  ExplanationOfBenefit,
  ExplanationOfBenefitItem,
  ExplanationOfBenefitItemAdjudication,
  Extension,
} from '@medplum/fhirtypes';
import { IG_EXTENSION, PROGRAM_EXTENSION } from './extensions.js';
import { PA_DECISIONS, PA_DENIAL_REASONS, type PaDecisionCode } from './prior-auth-rules.js';
import { DAVINCI_PROFILE } from './profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from './systems.js';

const PDEX = 'http://hl7.org/fhir/us/davinci-pdex';
export const PDEX_PA = {
  reviewAction: `${PDEX}/StructureDefinition/extension-reviewAction`,
  reviewActionCode: `${PDEX}/StructureDefinition/extension-reviewActionCode`,
  whenAdjudicated: `${PDEX}/StructureDefinition/base-ext-when-adjudicated`,
  adjudicationDiscriminator: `${PDEX}/CodeSystem/PDexAdjudicationDiscriminator`,
  /** PDex PriorAuthServiceTypeCodes draws item.category from this system (PAS uses the 1365 URI). */
  serviceTypeCodes: 'https://x12.org/codes/service-type-codes',
} as const;

/**
 * The program's specific denial reasons with the X12 claim adjustment reason code (CARC) that carries
 * each in the PDex `denialreason` slice (its required binding); the program code and text stay beside it.
 */
export const DENIAL_REASON_CARC: Readonly<Record<(typeof PA_DENIAL_REASONS)[number]['code'], { code: string; display: string }>> = {
  'not-medically-necessary': { code: '50', display: "These are non-covered services because this is not deemed a 'medical necessity' by the payer." },
  'insufficient-documentation': { code: '252', display: 'An attachment/other documentation is required to adjudicate this claim/service.' },
  'less-costly-alternative': { code: '96', display: 'Non-covered charge(s).' },
  'not-covered': { code: '96', display: 'Non-covered charge(s).' },
  'quantity-exceeds-limit': { code: '119', display: 'Benefit maximum for this time period or occurrence has been reached.' },
  'member-not-eligible': { code: '177', display: 'Patient has not met the required eligibility requirements.' },
};

/** ExplanationOfBenefit ids of views start with this; clients may not write such ids. */
export const PA_VIEW_ID_PREFIX = 'pa-';

/** The id of the view of a ClaimResponse: `pa-<id>`, or a digest when that would exceed 64 characters. */
export function priorAuthViewId(claimResponseId: string): string {
  const plain = `${PA_VIEW_ID_PREFIX}${claimResponseId}`;
  return plain.length <= 64 ? plain : `${PA_VIEW_ID_PREFIX}${createHash('sha256').update(claimResponseId).digest('hex').slice(0, 40)}`;
}

/** True for the PAS pair the view is made from: a preauthorization ClaimResponse and its Claim. */
export const isPriorAuthResponse = (r: ClaimResponse): boolean => r.use === 'preauthorization';
export const isPriorAuthClaim = (c: Claim): boolean => c.use === 'preauthorization';

const coding = (system: string, code: string, display?: string): CodeableConcept => ({ coding: [{ system, code, ...(display ? { display } : {}) }] });

function decisionOf(response: ClaimResponse): PaDecisionCode | undefined {
  const code = response.extension?.find((e) => e.url === PROGRAM_EXTENSION.paDecision)?.valueCode;
  return code !== undefined && code in PA_DECISIONS ? (code as PaDecisionCode) : undefined;
}

/** The X12 306 review action the PAS response gave an item (PAS reviewAction extension). */
function reviewActionOf(item: ClaimResponseItem | undefined): { code: string; display?: string; number?: string } | undefined {
  for (const adj of item?.adjudication ?? []) {
    const action = adj.extension?.find((e) => e.url === IG_EXTENSION.pasReviewAction);
    const code = action?.extension?.find((e) => e.url === IG_EXTENSION.pasReviewActionCode)?.valueCodeableConcept?.coding?.[0];
    if (code?.code) {
      const number = action?.extension?.find((e) => e.url === 'number')?.valueString;
      return { code: code.code, ...(code.display ? { display: code.display } : {}), ...(number ? { number } : {}) };
    }
  }
  return undefined;
}

function denialReasonOf(item: ClaimResponseItem | undefined): CodeableConcept | undefined {
  for (const adj of item?.adjudication ?? []) {
    const program = adj.reason?.coding?.find((c) => c.system === PROGRAM_CODE_SYSTEM.paDenialReason);
    const known = PA_DENIAL_REASONS.find((r) => r.code === program?.code);
    if (!known) continue;
    const carc = DENIAL_REASON_CARC[known.code];
    return {
      coding: [
        { system: CODE_SYSTEM.carc, code: carc.code, display: carc.display },
        { system: PROGRAM_CODE_SYSTEM.paDenialReason, code: known.code, display: known.display },
      ],
      text: adj.reason?.text ?? known.text,
    };
  }
  return undefined;
}

function itemExtension(item: ClaimResponseItem | undefined, url: string): Extension | undefined {
  return item?.extension?.find((e) => e.url === url);
}

/** PDex binds productOrService to CPT/HCPCS/HIPPS; an ICD-10-PCS procedure keeps its code beside "not applicable". */
function productOrService(claimItem: ClaimItem): CodeableConcept {
  const codings = claimItem.productOrService.coding ?? [];
  const inBinding = codings.some((c) => c.system === CODE_SYSTEM.cpt || c.system === CODE_SYSTEM.hcpcs);
  if (inBinding) return claimItem.productOrService;
  return { ...claimItem.productOrService, coding: [...codings, { system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-applicable', display: 'Not Applicable' }] };
}

function viewItem(claimItem: ClaimItem, responseItem: ClaimResponseItem | undefined, decidedAt: string | undefined): ExplanationOfBenefitItem {
  const adjudication: ExplanationOfBenefitItemAdjudication[] = [];
  const action = reviewActionOf(responseItem);
  const actionExtensions: Extension[] = action
    ? [
        {
          url: PDEX_PA.reviewAction,
          extension: [
            ...(action.number ? [{ url: 'number', valueString: action.number }] : []),
            { url: PDEX_PA.reviewActionCode, valueCodeableConcept: coding(CODE_SYSTEM.x12ReviewAction, action.code, action.display) },
          ],
        },
        ...(decidedAt ? [{ url: PDEX_PA.whenAdjudicated, valueDateTime: decidedAt }] : []),
      ]
    : [];
  const authorized = itemExtension(responseItem, IG_EXTENSION.pasItemAuthorizedDetail)?.extension?.find((e) => e.url === 'quantity')?.valueQuantity?.value;
  const used = itemExtension(responseItem, PROGRAM_EXTENSION.paQuantityUsed)?.valueDecimal;
  const denial = denialReasonOf(responseItem);
  if (authorized !== undefined) {
    adjudication.push({ extension: actionExtensions, category: coding(PDEX_PA.adjudicationDiscriminator, 'allowedunits', 'allowed units'), value: authorized });
    adjudication.push({ category: coding(PDEX_PA.adjudicationDiscriminator, 'consumedunits', 'consumed units'), value: used ?? 0 });
  }
  if (denial) {
    adjudication.push({ ...(authorized === undefined ? { extension: actionExtensions } : {}), category: coding(PDEX_PA.adjudicationDiscriminator, 'denialreason', 'Denial Reason'), reason: denial });
  }
  const extension: Extension[] = [];
  const issued = itemExtension(responseItem, IG_EXTENSION.pasItemPreAuthIssueDate);
  const period = itemExtension(responseItem, IG_EXTENSION.pasItemPreAuthPeriod);
  const detail = itemExtension(responseItem, IG_EXTENSION.pasItemAuthorizedDetail);
  if (issued) extension.push({ url: IG_EXTENSION.pasItemPreAuthIssueDate, ...(issued.valueDate ? { valueDate: issued.valueDate } : {}) });
  if (period) extension.push({ url: IG_EXTENSION.pasItemPreAuthPeriod, ...(period.valuePeriod ? { valuePeriod: period.valuePeriod } : {}) });
  if (detail) extension.push(detail);
  const category = claimItem.category?.coding?.[0];
  return {
    ...(extension.length > 0 ? { extension } : {}),
    sequence: claimItem.sequence,
    ...(claimItem.diagnosisSequence ? { diagnosisSequence: claimItem.diagnosisSequence } : {}),
    ...(category?.code ? { category: coding(PDEX_PA.serviceTypeCodes, category.code, category.display) } : {}),
    productOrService: productOrService(claimItem),
    ...(claimItem.modifier ? { modifier: claimItem.modifier } : {}),
    ...(claimItem.servicedPeriod ? { servicedPeriod: claimItem.servicedPeriod } : {}),
    ...(claimItem.servicedDate ? { servicedDate: claimItem.servicedDate } : {}),
    ...(claimItem.quantity ? { quantity: claimItem.quantity } : {}),
    ...(adjudication.length > 0 ? { adjudication } : {}),
  };
}

/** The period the request covers: from the earliest requested start to the latest end. */
function requestedPeriod(items: ClaimItem[]): { start?: string; end?: string } | undefined {
  const starts = items.map((i) => i.servicedPeriod?.start ?? i.servicedDate).filter((d): d is string => d !== undefined).sort();
  const ends = items.map((i) => i.servicedPeriod?.end ?? i.servicedDate).filter((d): d is string => d !== undefined).sort();
  if (starts.length === 0 && ends.length === 0) return undefined;
  return { ...(starts[0] ? { start: starts[0] } : {}), ...(ends.length > 0 ? { end: ends[ends.length - 1] } : {}) };
}

/** Program extensions of the ClaimResponse the member sees too: decision, dates, timeframe extension, appeal. */
const CARRIED_EXTENSIONS: ReadonlySet<string> = new Set([
  PROGRAM_EXTENSION.paDecision,
  PROGRAM_EXTENSION.paReviewPriority,
  PROGRAM_EXTENSION.paSubmittedAt,
  PROGRAM_EXTENSION.paDecidedAt,
  PROGRAM_EXTENSION.paDueAt,
  PROGRAM_EXTENSION.paTimeframeExtension,
  PROGRAM_EXTENSION.paAppeal,
  PROGRAM_EXTENSION.paAppealOf,
]);

/** The PDex Prior Authorization view of a PAS Claim and its ClaimResponse. */
export function priorAuthView(claim: Claim, response: ClaimResponse): ExplanationOfBenefit {
  const decision = decisionOf(response);
  const decidedAt = response.extension?.find((e) => e.url === PROGRAM_EXTENSION.paDecidedAt)?.valueDateTime;
  const paNumber = response.preAuthRef ?? response.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.paNumber)?.value;
  const responseItems = new Map((response.item ?? []).map((i) => [i.itemSequence, i]));
  const items = claim.item ?? [];
  const billable = requestedPeriod(items);
  const carried = (response.extension ?? []).filter((e) => CARRIED_EXTENSIONS.has(e.url));
  const view: ExplanationOfBenefit = {
    resourceType: 'ExplanationOfBenefit',
    id: priorAuthViewId(response.id as string),
    meta: { profile: [DAVINCI_PROFILE.pdexPriorAuthorization] },
    ...(carried.length > 0 ? { extension: carried } : {}),
    identifier: [...(response.identifier ?? claim.identifier ?? [])],
    status: decision === 'cancelled' || decision === 'withdrawn' || response.status === 'cancelled' ? 'cancelled' : response.status === 'entered-in-error' ? 'entered-in-error' : 'active',
    type: claim.type,
    use: 'preauthorization',
    patient: claim.patient,
    ...(billable ? { billablePeriod: billable } : {}),
    created: response.created,
    ...(claim.enterer ? { enterer: claim.enterer } : {}),
    insurer: response.insurer,
    provider: claim.provider,
    ...(claim.priority ? { priority: claim.priority } : {}),
    ...(claim.facility ? { facility: claim.facility } : {}),
    related: [
      { claim: { reference: `Claim/${claim.id}` }, relationship: coding(CODE_SYSTEM.relatedClaimRelationship, 'associated', 'Associated Claim') },
      ...(claim.related ?? []).filter((r) => r.claim?.reference).map((r) => ({ claim: r.claim, ...(r.relationship ? { relationship: r.relationship } : {}) })),
    ],
    claim: { reference: `Claim/${claim.id}` },
    claimResponse: { reference: `ClaimResponse/${response.id}` },
    outcome: response.outcome,
    ...(response.disposition ? { disposition: response.disposition } : {}),
    ...(paNumber ? { preAuthRef: [paNumber] } : {}),
    ...(response.preAuthPeriod ? { preAuthRefPeriod: [response.preAuthPeriod] } : {}),
    ...(claim.supportingInfo ? { supportingInfo: claim.supportingInfo } : {}),
    ...(claim.diagnosis ? { diagnosis: claim.diagnosis } : {}),
    insurance: (claim.insurance ?? []).map((i) => ({ focal: i.focal, coverage: i.coverage })),
    item: items.map((i) => viewItem(i, responseItems.get(i.sequence), decidedAt)),
    ...(response.processNote ? { processNote: response.processNote.map((n) => ({ ...(n.number ? { number: n.number } : {}), ...(n.type ? { type: n.type } : {}), ...(n.text ? { text: n.text } : {}) })) } : {}),
  };
  return view;
}
