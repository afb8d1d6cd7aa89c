/**
 * What the rules can decide about one requested item without a reviewer (PAS `Claim/$submit`), and what
 * must wait for one. Pure: the caller gathers the facts (domain/pa-requirements.ts's determination, the
 * requested quantity, the DTR answers the request carried).
 *
 *  - the member is not enrolled on the date of service → denied, member-not-eligible;
 *  - the service needs no PA (not on the list, or within the PA-free quantity) → approved as requested;
 *  - more than the program's service limit → denied, quantity-exceeds-limit;
 *  - the rule's documentation (its Questionnaire) is missing → pended, documentation requested;
 *  - a pre-admission screening requested less than the lead time ahead → pended for a reviewer;
 *  - the answers meet every `autoApprove` condition and the quantity is within its limit → approved;
 *  - anything else → pended for clinical review.
 * A reviewer decides every pended item; the rules never deny on clinical grounds.
 */
import type { CoverageDetermination, PaServiceRule, RequiredAnswer } from './pa-requirements.js';
import type { PaDenialReasonCode } from './prior-auth-rules.js';

/** Answers of a QuestionnaireResponse by linkId (booleans, numbers, codes and strings). */
export type Answers = ReadonlyMap<string, ReadonlyArray<boolean | number | string>>;

export type ItemDecision =
  | { kind: 'approve'; why: string }
  | { kind: 'deny'; reason: PaDenialReasonCode; why: string }
  | { kind: 'pend'; why: string; documentation?: string };

/** True when the answers satisfy one condition. */
export function answerMeets(answers: Answers, c: RequiredAnswer): boolean {
  const given = answers.get(c.linkId) ?? [];
  if (c.equals !== undefined) return given.some((v) => v === c.equals || (typeof c.equals === 'string' && typeof v === 'string' && v.toLowerCase() === c.equals.toLowerCase()));
  if (c.atLeast !== undefined) return given.some((v) => typeof v === 'number' && v >= (c.atLeast as number));
  return false;
}

export function autoDecideItem(d: CoverageDetermination, o: { quantity?: number; answers?: Answers; questionnaireAnswered: boolean }): ItemDecision {
  if (d.covered === 'not-covered') return { kind: 'deny', reason: 'member-not-eligible', why: d.reasons[0] ?? 'The member is not enrolled on the date of service.' };
  const rule: PaServiceRule | undefined = d.rule;
  if (rule?.maxQuantity !== undefined && o.quantity !== undefined && o.quantity > rule.maxQuantity) {
    return { kind: 'deny', reason: 'quantity-exceeds-limit', why: `${o.quantity} requested; the program limit for ${rule.display} is ${rule.maxQuantity} per request.` };
  }
  if (d.paNeeded === 'no-auth') return { kind: 'approve', why: 'No prior authorization is required for this service; approved as requested.' };
  if (rule?.questionnaire && !o.questionnaireAnswered) {
    return { kind: 'pend', why: `Documentation is needed: complete the Questionnaire ${rule.questionnaire} (DTR) and send it with the request.`, documentation: rule.questionnaire };
  }
  if (d.screening.required && d.screening.leadTimeMet === false) return { kind: 'pend', why: `${d.screening.reason} A reviewer will decide.` };
  const auto = rule?.autoApprove;
  if (auto && auto.answers.length > 0 && o.answers && auto.answers.every((c) => answerMeets(o.answers as Answers, c))) {
    if (auto.maxQuantity === undefined || o.quantity === undefined || o.quantity <= auto.maxQuantity) {
      return { kind: 'approve', why: `The documentation meets the program's criteria for ${rule?.display ?? 'this service'}.` };
    }
    return { kind: 'pend', why: `More than ${auto.maxQuantity} requested: a reviewer decides.` };
  }
  return { kind: 'pend', why: 'The request is under clinical review.' };
}
