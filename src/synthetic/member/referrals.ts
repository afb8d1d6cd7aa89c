/**
 * PCC/PCP referrals as US Core ServiceRequest (category SNOMED 3457005 "Patient referral").
 * A referral names the PCC/PCP (requester), the provider referred to (performer), a validity
 * period and the number of visits; one issued after the date of service is retroactive (allowed
 * up to a year after it) and carries PROGRAM_EXTENSION.referralRetroactive.
 */
import type { ServiceRequest } from '@medplum/fhirtypes';
import { PROGRAM_EXTENSION } from '../../domain/extensions.js';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { isRetroactiveReferral, isReferralTimely } from '../../domain/referral-rules.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { addDays, businessInstant, minDay } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import type { Code } from '../tables/clinical-codes.js';
import type { MemberRun } from './member-context.js';

interface IssuedReferral {
  id: string;
  orgId: string;
  from: string;
  to: string;
  issuedOn: string;
}

export interface ReferralNeed {
  /** Organization referred to. */
  orgId: string;
  practitionerId?: string;
  serviceDay: string;
  coverageId: string;
  service: { system: string; code: string; display: string };
  reason: Code;
  label: string;
}

/** Issues (or reuses) a referral from the member's PCC/PCP; undefined when there is none on file. */
export class ReferralBook {
  private readonly issued: IssuedReferral[] = [];

  constructor(private readonly run: MemberRun) {}

  /** Returns the id of a referral covering the need, creating one with probability `onFile`. */
  referralFor(need: ReferralNeed, onFile: number): string | undefined {
    const existing = this.issued.find((r) => r.orgId === need.orgId && need.serviceDay >= r.from && need.serviceDay <= r.to && r.issuedOn <= this.run.nowDay);
    if (existing) return existing.id;
    const pcp = this.run.profile.pcp;
    const { rng, nowDay } = this.run;
    if (!pcp || !rng.chance(onFile)) return undefined;
    // Usually issued before the visit; sometimes retroactively (up to a year after, never after today).
    let issuedOn = addDays(need.serviceDay, -rng.int(1, 30));
    if (rng.chance(0.15)) {
      const retro = addDays(need.serviceDay, rng.int(3, 300));
      if (retro < nowDay && isReferralTimely(retro, need.serviceDay)) issuedOn = retro;
    }
    const from = minDay(issuedOn, need.serviceDay);
    const to = addDays(from, rng.pick([90, 180, 365]));
    const id = this.run.sink.nextId('ref');
    const retroactive = isRetroactiveReferral(issuedOn, need.serviceDay);
    const authoredOn = businessInstant(rng, issuedOn);
    const request: ServiceRequest = {
      resourceType: 'ServiceRequest',
      id,
      meta: { lastUpdated: authoredOn, profile: [US_CORE_PROFILE.serviceRequest] },
      identifier: [{ system: IDENTIFIER_SYSTEM.referralNumber, value: `R${id.replace(/\D/g, '')}` }],
      status: to < nowDay ? 'completed' : 'active',
      intent: 'order',
      category: [concept(CODE_SYSTEM.snomed, '3457005', 'Patient referral')],
      code: concept(need.service.system, need.service.code, need.service.display, `Referral: ${need.label}`),
      subject: refTo('Patient', this.run.profile.id),
      occurrencePeriod: { start: from, end: to },
      authoredOn,
      requester: refTo('Practitioner', pcp.practitionerId),
      performer: [need.practitionerId ? refTo('Practitioner', need.practitionerId) : refTo('Organization', need.orgId)],
      reasonCode: [concept(CODE_SYSTEM.icd10cm, need.reason.code, need.reason.display)],
      insurance: [refTo('Coverage', need.coverageId)],
      quantityQuantity: { value: rng.pick([1, 3, 6, 12]), unit: 'visits' },
    };
    if (retroactive) request.extension = [{ url: PROGRAM_EXTENSION.referralRetroactive, valueBoolean: true }];
    this.run.sink.add(request);
    this.issued.push({ id, orgId: need.orgId, from, to, issuedOn });
    return id;
  }
}
