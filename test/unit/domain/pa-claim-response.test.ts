/**
 * A PA request's state and its PAS ClaimResponse (domain/pa-claim-response.ts) are each other's inverse:
 * the reviewer, deadline and PAS update paths read a stored ClaimResponse back into a state, change it and
 * write it again, so anything the round trip loses is lost from the record.
 */
import { describe, expect, it } from 'vitest';
import { paClaimResponseFrom, paStateOf, requestDecision, type PaState } from '../../../src/domain/pa-claim-response.js';
import { PROGRAM_EXTENSION } from '../../../src/domain/extensions.js';

const base: PaState = {
  id: 'r1',
  claimId: 'c1',
  trackingNumber: 'T-1',
  submitterIdentifiers: [{ system: 'https://ehr.example.org/claims', value: 'EHR-1' }],
  priority: 'standard',
  submittedAt: '2025-03-10T12:00:00.000Z',
  dueAt: '2025-03-17T12:00:00.000Z',
  patient: { reference: 'Patient/p1' },
  insurer: { reference: 'Organization/org-masshealth' },
  requestor: { reference: 'Organization/clinic' },
  claimType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  items: [{ sequence: 1, decision: 'pended' }],
};

const STATES: Array<[string, PaState]> = [
  ['pended, with a note for the provider', { ...base, items: [{ sequence: 1, decision: 'pended', note: 'Send the sleep study.' }] }],
  [
    'approved with a period, a quantity and some of it used, after an extension',
    {
      ...base,
      paNumber: 'PA20250311ABCDEF',
      decidedAt: '2025-03-11T09:00:00.000Z',
      extension: { extendedAt: '2025-03-12T09:00:00.000Z', reason: 'records awaited' },
      items: [{ sequence: 1, decision: 'approved', approvedQuantity: 12, unit: 'visit', approvedPeriod: { start: '2025-03-11', end: '2025-09-11' }, usedQuantity: 5 }],
    },
  ],
  [
    'denied with a specific reason, overturned on appeal',
    {
      ...base,
      priority: 'expedited',
      paNumber: 'PA20250311FEDCBA',
      decidedAt: '2025-03-11T09:00:00.000Z',
      appeal: { status: 'overturned', filedAt: '2025-03-20T09:00:00.000Z', decidedAt: '2025-03-25T09:00:00.000Z', appealResponse: 'r2' },
      items: [{ sequence: 1, decision: 'denied', denialReason: 'not-medically-necessary' }],
    },
  ],
  ['an appeal of another request', { ...base, appealOf: 'r0' }],
  ['withdrawn before a determination', { ...base, closed: 'withdrawn', decidedAt: '2025-03-10T13:00:00.000Z', items: [{ sequence: 1, decision: 'cancelled' }] }],
  [
    'two items, one approved and one denied (approved with modifications)',
    {
      ...base,
      paNumber: 'PA20250311AAAAAA',
      decidedAt: '2025-03-11T09:00:00.000Z',
      items: [
        { sequence: 1, decision: 'approved', approvedQuantity: 1, approvedPeriod: { start: '2025-03-11', end: '2025-04-11' } },
        { sequence: 2, decision: 'denied', denialReason: 'quantity-exceeds-limit' },
      ],
    },
  ],
];

describe('PA request state ⇄ PAS ClaimResponse', () => {
  for (const [name, state] of STATES) {
    it(`when ${name} is written and read back, then the state is the same`, () => {
      const response = paClaimResponseFrom(state);
      expect(paStateOf(response)).toEqual(state);
      expect(response.extension?.find((e) => e.url === PROGRAM_EXTENSION.paDecision)?.valueCode).toBe(requestDecision(state));
    });
  }

  it('when an approved request has used part of its quantity, then the ClaimResponse says how much', () => {
    const [, approved] = STATES[1];
    const item = paClaimResponseFrom(approved).item?.[0];
    expect(item?.extension?.find((e) => e.url === PROGRAM_EXTENSION.paQuantityUsed)?.valueDecimal).toBe(5);
  });
});
