/**
 * MassHealth claim denial edits (EOB codes) that the program's own rules produce.
 *
 * - 1200 "Referring provider required": a service that needs a referral or an ORP provider
 *   has no authorized, enrolled referring provider NPI (Provider Training Forum, July 2025).
 * - 1010 "Rendering provider must be enrolled in the group practice": the billing provider is
 *   a group practice and the rendering provider is not linked to it on the date of service.
 *   Links are never back-dated (130 CMR 450.223(B); 450.302(B)); the HIPAA equivalent is
 *   CARC 96 "Non-covered charge(s)".
 *
 * In a C4BB ExplanationOfBenefit a denial is an `adjustmentreason` adjudication whose reason
 * carries the X12 CARC (required binding) and the program edit code, plus a processNote with
 * the edit text (see docs/DOMAIN.md "Denials").
 */
import type { CodeableConcept } from '@medplum/fhirtypes';
import { CODE_SYSTEM, PROGRAM_CODE_SYSTEM } from './systems.js';

export type DenialEditCode = '1200' | '1010';

export interface DenialEdit {
  code: DenialEditCode;
  display: string;
  /** X12 Claim Adjustment Reason Code reported with the edit on the 835. */
  carc: { code: string; display: string };
}

export const DENIAL_EDITS: Readonly<Record<DenialEditCode, DenialEdit>> = {
  '1200': {
    code: '1200',
    display: 'Referring provider required',
    carc: { code: '16', display: 'Claim/service lacks information or has submission/billing error(s).' },
  },
  '1010': {
    code: '1010',
    display: 'Rendering provider must be enrolled in the group practice',
    carc: { code: '96', display: 'Non-covered charge(s).' },
  },
};

export function denialEdit(code: DenialEditCode): DenialEdit {
  return DENIAL_EDITS[code];
}

export function isDenialEditCode(value: string): value is DenialEditCode {
  return value === '1200' || value === '1010';
}

/** The adjudication.reason for a denial by this edit: CARC first (C4BB binding), then the edit. */
export function denialReasonConcept(code: DenialEditCode): CodeableConcept {
  const edit = DENIAL_EDITS[code];
  return {
    coding: [
      { system: CODE_SYSTEM.carc, code: edit.carc.code, display: edit.carc.display },
      { system: PROGRAM_CODE_SYSTEM.claimEdit, code: edit.code, display: edit.display },
    ],
    text: `MassHealth EOB ${edit.code} - ${edit.display}`,
  };
}

/** The program edit codes found in a reason concept (reads back what denialReasonConcept wrote). */
export function denialEditsIn(reason: CodeableConcept | undefined): DenialEditCode[] {
  const codes: DenialEditCode[] = [];
  for (const c of reason?.coding ?? []) {
    if (c.system === PROGRAM_CODE_SYSTEM.claimEdit && c.code && isDenialEditCode(c.code)) codes.push(c.code);
  }
  return codes;
}

export interface LinkPeriod {
  /** Effective date of the practitioner's link to the group (YYYY-MM-DD). */
  start: string;
  /** Last day of the link, if the practitioner left. */
  end?: string;
}

/**
 * True when one of the practitioner's links to the billing group covers the date of service,
 * i.e. the claim passes edit 1010. A link only counts from its effective date, never before.
 */
export function isLinkedToGroupOn(links: readonly LinkPeriod[], serviceDate: string): boolean {
  const d = serviceDate.slice(0, 10);
  return links.some((l) => d >= l.start.slice(0, 10) && (l.end === undefined || d <= l.end.slice(0, 10)));
}
