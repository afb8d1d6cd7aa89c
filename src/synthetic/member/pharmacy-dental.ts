/** Prescriptions and their pharmacy fills; dental visits. */
import { addMedicationRequest, type Prescription } from '../clinical/orders.js';
import { maxDay } from '../dates.js';
import { addOralEob, addPharmacyEob } from '../eob/eob-pharmacy-oral.js';
import type { DirectoryOrg } from '../provider-directory.js';
import { ACUTE_DRUG, ACUTE_DRUG_REASON, type Code } from '../tables/clinical-codes.js';
import { DENTAL_SERVICES } from '../tables/claim-codes.js';
import type { PlannedClaim } from './claim-plan.js';
import { ageOn } from './member-context.js';
import { ordererOn, staffOn, type ServiceState } from './service-state.js';

/** Long-term prescriptions for the member's chronic conditions that have a drug. */
export function writePrescriptions(state: ServiceState): Prescription[] {
  const { run, windows } = state;
  if (windows.length === 0) return [];
  const firstDay = windows[0].from;
  const lastDay = windows[windows.length - 1].to;
  const list: Prescription[] = [];
  for (const c of run.profile.conditions) {
    const drug = c.condition.drug;
    if (!drug) continue;
    const authoredOn = maxDay(c.onset, firstDay);
    if (authoredOn > lastDay) continue;
    const prescriber = ordererOn(state, authoredOn);
    if (!prescriber) continue;
    const active = run.profile.coverages[run.profile.coverages.length - 1].end === undefined;
    list.push(addMedicationRequest(run, drug, c.condition.icd10, prescriber.id, authoredOn, active));
  }
  return list;
}

export class PharmacyFills {
  private readonly fills = new Map<string, number>();
  private pharmacy: DirectoryOrg | undefined;

  constructor(
    private readonly state: ServiceState,
    private readonly prescriptions: Prescription[],
  ) {}

  add(planned: PlannedClaim): void {
    const { run } = this.state;
    const { rng, ctx, profile } = run;
    const day = planned.day;
    const current = this.prescriptions.filter((p) => p.authoredOn <= day);
    let rx = current.length > 0 && rng.chance(0.9) ? rng.pick(current) : undefined;
    if (!rx) {
      const prescriber = ordererOn(this.state, day);
      if (!prescriber) return;
      const reason: Code = ACUTE_DRUG_REASON;
      rx = addMedicationRequest(run, ACUTE_DRUG, reason, prescriber.id, day, false);
    }
    const pharmacies = ctx.directory.orgsOfKind('pharmacy');
    this.pharmacy ??= rng.pick(pharmacies);
    const pharmacy = rng.chance(0.85) ? this.pharmacy : rng.pick(pharmacies);
    const fillNumber = this.fills.get(rx.id) ?? 0;
    this.fills.set(rx.id, fillNumber + 1);
    const adult = ageOn(profile.birthDate, day) >= 21;
    addPharmacyEob(run, {
      coverageId: planned.coverage.id,
      pharmacyId: pharmacy.id,
      prescriberId: rx.prescriberId,
      day,
      drug: rx.drug,
      fillNumber,
      copay: adult && day < '2024-07-01' ? 1 : 0,
    });
  }
}

export function addDentalVisit(state: ServiceState, planned: PlannedClaim): void {
  const { run } = state;
  const { rng, ctx, profile } = run;
  const day = planned.day;
  state.homeDentalOrg ??= rng.pick(ctx.directory.orgsOfKind('dental'));
  const org = rng.chance(0.85) ? state.homeDentalOrg : rng.pick(ctx.directory.orgsOfKind('dental'));
  const dentist = staffOn(state, org.id, day);
  if (!dentist) return;
  const child = ageOn(profile.birthDate, day) < 18;
  const exam = DENTAL_SERVICES.filter((s) => s.code === 'D0120' || s.code === (child ? 'D1120' : 'D1110') || (child && s.code === 'D1206'));
  const extra = rng.chance(0.35) ? [rng.pick(DENTAL_SERVICES.filter((s) => !s.childOnly && s.code !== 'D0120' && s.code !== 'D1110'))] : [];
  const services = [...exam, ...extra].map((s) => ({ code: s.code, display: s.display, charge: s.charge, tooth: s.tooth ? String(rng.pick([3, 14, 19, 30, 2, 15, 18, 31])) : undefined }));
  addOralEob(run, { coverageId: planned.coverage.id, dentalOrgId: org.id, dentistId: dentist.id, day, services });
}
