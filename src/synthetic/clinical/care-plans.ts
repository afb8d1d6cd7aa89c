/**
 * Assessment and plan of treatment for members with chronic conditions: one US Core CarePlan
 * (category assess-plan) and the US Core Goals it pursues, written on a day of the member's enrollment.
 *
 * US Core 6.1.0 CarePlan: the assessment and plan are carried in the narrative (CarePlan.text, status
 * `additional` because it says more than the coded elements), which is what the USCDI "Assessment and
 * Plan of Treatment" element means; addresses/goal link it to the coded problems and goals.
 */
import type { CarePlan, Goal } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { addDays, businessInstant, instant, msOf, randomDay } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberCondition, MemberRun } from '../member/member-context.js';
import { Rng } from '../prng.js';
import { CONDITION_GOALS, LAB_TESTS, type GoalTemplate } from '../tables/clinical-codes.js';
import { enrolledWindow } from './social-history.js';

/** US Core CarePlan category code system (US Core 6.1.0 CodeSystem careplan-category). */
const US_CORE_CAREPLAN_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category';
const MAX_GOALS = 2;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function list(items: readonly string[]): string {
  return `<ul>${items.map((i) => `<li>${escapeXml(i)}</li>`).join('')}</ul>`;
}

/** The plan lines for the conditions: goals, continued medication, monitoring labs, follow-up. */
function planLines(conditions: readonly MemberCondition[], goals: readonly GoalTemplate[]): string[] {
  const lines = goals.map((g) => `Goal: ${g.text}`);
  for (const { condition } of conditions) {
    if (condition.drug) lines.push(`Continue ${condition.drug.rxnorm.display}`);
    if (condition.labs.length > 0) lines.push(`Monitor ${condition.labs.map((k) => LAB_TESTS[k].loinc.display).join('; ')}`);
  }
  lines.push('Follow up in primary care in 3 to 6 months');
  return lines;
}

function narrative(conditions: readonly MemberCondition[], goals: readonly GoalTemplate[]): string {
  const assessment = conditions.map((c) => `${c.condition.icd10.display} (${c.condition.icd10.code}), onset ${c.onset}`);
  return (
    '<div xmlns="http://www.w3.org/1999/xhtml">' +
    '<p><b>Assessment and plan of treatment</b> (synthetic demo data, not a real patient)</p>' +
    `<p>Assessment</p>${list(assessment)}<p>Plan</p>${list(planLines(conditions, goals))}</div>`
  );
}

function goalResource(run: MemberRun, template: GoalTemplate, condition: MemberCondition, startDay: string, at: string): Goal {
  const target: NonNullable<Goal['target']>[number] = { dueDate: addDays(startDay, template.dueMonths * 30) };
  const measure = template.measure;
  if (measure) {
    target.measure = concept(CODE_SYSTEM.loinc, measure.code, measure.display);
    if (measure.below !== undefined && measure.unit !== undefined) {
      target.detailQuantity = { value: measure.below, comparator: '<', unit: measure.unit, system: CODE_SYSTEM.ucum, code: measure.unit };
    }
  }
  const goal: Goal = {
    resourceType: 'Goal',
    id: run.sink.nextId('goal'),
    meta: { lastUpdated: at, profile: [US_CORE_PROFILE.goal] },
    lifecycleStatus: 'active',
    description: { text: template.text },
    subject: refTo('Patient', run.profile.id),
    startDate: startDay,
    target: [target],
    addresses: [refTo('Condition', condition.id)],
  };
  if (run.profile.pcp) goal.expressedBy = refTo('Practitioner', run.profile.pcp.practitionerId);
  return goal;
}

/**
 * Writes the Goals and the CarePlan for a member with chronic conditions (none otherwise).
 * `authorOrgId` is the member's usual primary care practice, the author when there is no assigned PCP.
 */
export function addCarePlan(run: MemberRun, authorOrgId: string): void {
  // A stream of its own, so adding care plans did not change any other generated value.
  const rng = Rng.derive(run.ctx.seed, 'care-plan', run.profile.index);
  const window = enrolledWindow(run);
  if (!window || run.profile.conditions.length === 0) return;
  const day = randomDay(rng, window.from, window.to);
  const conditions = run.profile.conditions.filter((c) => c.onset <= day);
  if (conditions.length === 0) return;
  const at = businessInstant(rng, day);
  const updated = instant(msOf(at) + 3_600_000);

  const goals: Goal[] = [];
  const templates: GoalTemplate[] = [];
  for (const [key, template] of CONDITION_GOALS) {
    const condition = conditions.find((c) => c.condition.key === key);
    if (!condition || goals.length >= MAX_GOALS) continue;
    templates.push(template);
    goals.push(run.sink.add(goalResource(run, template, condition, day, updated)));
  }

  const pcp = run.profile.pcp;
  const author: CarePlan['author'] = pcp ? refTo('Practitioner', pcp.practitionerId) : refTo('Organization', authorOrgId);
  const carePlan: CarePlan = {
    resourceType: 'CarePlan',
    id: run.sink.nextId('cp'),
    meta: { lastUpdated: updated, profile: [US_CORE_PROFILE.carePlan] },
    text: { status: 'additional', div: narrative(conditions, templates) },
    status: 'active',
    intent: 'plan',
    category: [concept(US_CORE_CAREPLAN_CATEGORY, 'assess-plan', 'Assessment and Plan of Treatment')],
    title: 'Chronic condition management plan',
    subject: refTo('Patient', run.profile.id),
    period: { start: day },
    created: at,
    author,
    addresses: conditions.map((c) => refTo('Condition', c.id)),
  };
  if (goals.length > 0) carePlan.goal = goals.map((g) => refTo('Goal', g.id ?? ''));
  run.sink.add(carePlan);
}
