/**
 * Extension URLs.
 *
 * PROGRAM_EXTENSION are defined by this program (placeholders under PROGRAM_FHIR_BASE, see
 * domain/systems.ts) to make prior-authorization review facts queryable for the CMS-0057-F
 * metrics (§ 422.122 / 431.80 style reporting: extended-then-approved, approved after appeal,
 * time to determination) without joining Claim and ClaimResponse. docs/DOMAIN.md describes
 * each one. IG_EXTENSION are the official URLs from US Core, Da Vinci PAS and ATR.
 */
import { PROGRAM_FHIR_BASE } from './systems.js';

const SD = `${PROGRAM_FHIR_BASE}/StructureDefinition`;

export const PROGRAM_EXTENSION = {
  /** ClaimResponse: valueCode from PROGRAM_CODE_SYSTEM.paDecision (approved, denied, pended, ...). */
  paDecision: `${SD}/pa-decision`,
  /** ClaimResponse: valueCode `expedited` | `standard` (mirrors Claim.priority stat | normal). */
  paReviewPriority: `${SD}/pa-review-priority`,
  /** ClaimResponse: valueDateTime when the request was received (= Claim.created). */
  paSubmittedAt: `${SD}/pa-submitted-at`,
  /** ClaimResponse: valueDateTime of the determination; absent while pended. */
  paDecidedAt: `${SD}/pa-decided-at`,
  /** ClaimResponse: valueDateTime by which a determination is due (after any timeframe extension). */
  paDueAt: `${SD}/pa-due-at`,
  /** ClaimResponse: complex; present when the review timeframe was extended (sub: extendedAt, reason). */
  paTimeframeExtension: `${SD}/pa-timeframe-extension`,
  /** ClaimResponse (the original decision): complex; present when appealed (sub: status, filedAt, decidedAt, appealResponse). */
  paAppeal: `${SD}/pa-appeal`,
  /** Claim and ClaimResponse of an appeal: valueReference to the ClaimResponse being appealed. */
  paAppealOf: `${SD}/pa-appeal-of`,
  /** ClaimResponse.item: valueDecimal quantity already used of the approved quantity. */
  paQuantityUsed: `${SD}/pa-quantity-used`,
  /** ServiceRequest (referral): valueBoolean true when issued after the date of service. */
  referralRetroactive: `${SD}/referral-retroactive`,
} as const;

const PAS = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';
const ATR = 'http://hl7.org/fhir/us/davinci-atr/StructureDefinition';

export const IG_EXTENSION = {
  usCoreRace: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
  usCoreEthnicity: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
  /** PAS ClaimResponse.item.adjudication: review action (sub: reviewActionCode, number, reasonCode). */
  pasReviewAction: `${PAS}/extension-reviewAction`,
  pasReviewActionCode: `${PAS}/extension-reviewActionCode`,
  pasItemPreAuthIssueDate: `${PAS}/extension-itemPreAuthIssueDate`,
  pasItemPreAuthPeriod: `${PAS}/extension-itemPreAuthPeriod`,
  pasItemAuthorizedDetail: `${PAS}/extension-itemAuthorizedDetail`,
  atrChangeType: `${ATR}/ext-changeType`,
  atrCoverageReference: `${ATR}/ext-coverageReference`,
  atrAttributedProvider: `${ATR}/ext-attributedProvider`,
  atrContractValidityPeriod: `${ATR}/ext-contractValidityPeriod`,
} as const;
