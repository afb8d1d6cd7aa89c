/** Vital signs and laboratory results (US Core Observation profiles) and lab DiagnosticReports. */
import type { DiagnosticReport, Observation, Quantity } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { instant, msOf } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import { ageOn, type MemberRun } from '../member/member-context.js';
import { Rng } from '../prng.js';
import { LAB_TESTS, VITALS, type LabKey } from '../tables/clinical-codes.js';

function quantity(value: number, unit: string): Quantity {
  return { value, unit, system: CODE_SYSTEM.ucum, code: unit };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

const VITAL_CATEGORY = [concept(CODE_SYSTEM.observationCategory, 'vital-signs', 'Vital Signs')];
const LAB_CATEGORY = [concept(CODE_SYSTEM.observationCategory, 'laboratory', 'Laboratory')];

function has(run: MemberRun, key: string): boolean {
  return run.profile.conditions.some((c) => c.condition.key === key);
}

/** Blood pressure and body weight, plus heart rate or height/BMI, and respiratory rate with temperature, on some visits. */
export function addVitalSigns(run: MemberRun, encounterId: string, at: string): void {
  const { rng, profile } = run;
  const age = ageOn(profile.birthDate, at.slice(0, 10));
  const base = (profileUrl: string, code: { code: string; display: string }): Observation => ({
    resourceType: 'Observation',
    id: run.sink.nextId('obs'),
    meta: { lastUpdated: instant(msOf(at) + 1_800_000), profile: [profileUrl] },
    status: 'final',
    category: VITAL_CATEGORY,
    code: concept(CODE_SYSTEM.loinc, code.code, code.display, code.display),
    subject: refTo('Patient', run.profile.id),
    encounter: refTo('Encounter', encounterId),
    effectiveDateTime: at,
  });

  if (age >= 3) {
    const htn = has(run, 'hypertension');
    const bp = base(US_CORE_PROFILE.bloodPressure, VITALS.panel);
    bp.component = [
      { code: concept(CODE_SYSTEM.loinc, VITALS.systolic.code, VITALS.systolic.display), valueQuantity: quantity(rng.int(102, 132) + (htn ? rng.int(5, 25) : 0), 'mm[Hg]') },
      { code: concept(CODE_SYSTEM.loinc, VITALS.diastolic.code, VITALS.diastolic.display), valueQuantity: quantity(rng.int(62, 84) + (htn ? rng.int(3, 12) : 0), 'mm[Hg]') },
    ];
    run.sink.add(bp);
  }

  const kg = age < 18 ? round(3.5 + age * 3.1 + rng.next() * 6, 1) : round(52 + rng.next() * 45 + (has(run, 'obesity') ? 25 : 0), 1);
  const weight = base(US_CORE_PROFILE.bodyWeight, VITALS.weight);
  weight.valueQuantity = quantity(kg, 'kg');
  run.sink.add(weight);

  if (age < 18 || rng.chance(0.2)) {
    const cm = age < 18 ? round(50 + Math.min(age, 17) * 6.5 + rng.next() * 8, 1) : round(152 + rng.next() * 36, 1);
    const height = base(US_CORE_PROFILE.bodyHeight, VITALS.height);
    height.valueQuantity = quantity(cm, 'cm');
    run.sink.add(height);
    const bmi = base(US_CORE_PROFILE.bmi, VITALS.bmi);
    bmi.valueQuantity = quantity(round(kg / (cm / 100) ** 2, 1), 'kg/m2');
    run.sink.add(bmi);
  } else if (rng.chance(0.5)) {
    const hr = base(US_CORE_PROFILE.heartRate, VITALS.heartRate);
    hr.valueQuantity = quantity(rng.int(58, 96), '/min');
    run.sink.add(hr);
  }

  // Respiratory rate and temperature on about one visit in four. Drawn from a stream keyed by the
  // encounter so that adding them left every other generated value (and the member's stream) as it was.
  const extra = Rng.derive(run.ctx.seed, 'vitals-extra', encounterId);
  if (extra.chance(0.25)) {
    const rr = base(US_CORE_PROFILE.respiratoryRate, VITALS.respiratoryRate);
    rr.valueQuantity = quantity(age < 12 ? extra.int(18, 28) : extra.int(12, 20), '/min');
    run.sink.add(rr);
    const temp = base(US_CORE_PROFILE.bodyTemperature, VITALS.bodyTemperature);
    temp.valueQuantity = quantity(round(36.3 + extra.next() * 1.2, 1), 'Cel');
    run.sink.add(temp);
  }
}

/** Lab tests for a lab claim: one Observation per test and one DiagnosticReport per panel. */
export function addLabResults(run: MemberRun, tests: readonly LabKey[], collectedAt: string, labOrgId: string, ordererId: string | undefined): void {
  const { rng } = run;
  const resultedAt = instant(msOf(collectedAt) + rng.int(4, 30) * 3_600_000);
  const panels = new Map<string, { display: string; ids: string[] }>();
  for (const key of tests) {
    const t = LAB_TESTS[key];
    const shift = key === 'a1c' || key === 'glucose' ? (has(run, 'diabetes') ? 0.45 : 0) : 0;
    const value = round(t.low + (t.high - t.low) * Math.min(1, rng.next() * 0.6 + shift), t.decimals);
    const obs: Observation = {
      resourceType: 'Observation',
      id: run.sink.nextId('obs'),
      meta: { lastUpdated: resultedAt, profile: [US_CORE_PROFILE.observationLab] },
      status: 'final',
      category: LAB_CATEGORY,
      code: concept(CODE_SYSTEM.loinc, t.loinc.code, t.loinc.display, t.loinc.display),
      subject: refTo('Patient', run.profile.id),
      effectiveDateTime: collectedAt,
      issued: resultedAt,
      valueQuantity: quantity(value, t.unit),
      performer: [refTo('Organization', labOrgId)],
    };
    run.sink.add(obs);
    const panel = panels.get(t.panel.code) ?? { display: t.panel.display, ids: [] };
    panel.ids.push(obs.id ?? '');
    panels.set(t.panel.code, panel);
  }
  for (const [code, panel] of panels) {
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      id: run.sink.nextId('dxr'),
      meta: { lastUpdated: resultedAt, profile: [US_CORE_PROFILE.diagnosticReportLab] },
      status: 'final',
      category: [concept(CODE_SYSTEM.diagnosticServiceSection, 'LAB', 'Laboratory')],
      code: concept(CODE_SYSTEM.loinc, code, panel.display, panel.display),
      subject: refTo('Patient', run.profile.id),
      effectiveDateTime: collectedAt,
      issued: resultedAt,
      performer: [refTo('Organization', labOrgId)],
      result: panel.ids.map((id) => refTo('Observation', id)),
    };
    if (ordererId) report.resultsInterpreter = [refTo('Practitioner', ordererId)];
    run.sink.add(report);
  }
}
