/**
 * A member's other payer as staff record it at enrollment (other-payer-coverage.ts): the input's shape,
 * the dates each kind of payer allows (a previous payer's coverage has ended, a concurrent one covers
 * the member today), and the Coverage written for it.
 */
import { describe, expect, it } from 'vitest';
import { FhirError } from '../../../../src/fhir/outcome.js';
import { otherPayerCoverage, otherPayerInput, periodProblem, type OtherPayerInput } from '../../../../src/apis/payer-to-payer/other-payer-coverage.js';

const TODAY = '2026-06-15';

describe('otherPayerInput', () => {
  const ok = { payer: 'Organization/old-plan', memberId: 'OP-123_4.5', kind: 'previous', end: '2026-01-31' };

  it('when the input is well formed, then it is accepted as given', () => {
    expect(otherPayerInput.parse(ok)).toEqual(ok);
  });

  it.each([
    ['a payer that is not an Organization reference', { ...ok, payer: 'Patient/x' }],
    ['a bare payer id', { ...ok, payer: 'old-plan' }],
    ['no member ID', { ...ok, memberId: undefined }],
    ['a member ID with spaces or markup', { ...ok, memberId: 'A B<script>' }],
    ['a member ID over 64 characters', { ...ok, memberId: 'A'.repeat(65) }],
    ['a kind other than previous or concurrent', { ...ok, kind: 'former' }],
    ['a date that is not YYYY-MM-DD', { ...ok, end: '01/31/2026' }],
    ['a date that is not on the calendar', { ...ok, end: '2026-02-30' }],
    ['a month that does not exist', { ...ok, end: '2026-13-45' }],
    ['a field the route does not know (a typo, or a status to force)', { ...ok, status: 'cancelled' }],
  ])('when the input has %s, then it is refused', (_what, input) => {
    expect(otherPayerInput.safeParse(input).success).toBe(false);
  });
});

describe('periodProblem', () => {
  it.each<[string, Pick<OtherPayerInput, 'kind' | 'start' | 'end'>, RegExp | undefined]>([
    ['a previous payer whose coverage ended yesterday', { kind: 'previous', start: '2020-01-01', end: '2026-06-14' }, undefined],
    ['a previous payer without an end', { kind: 'previous', start: '2020-01-01' }, /needs the day its coverage ended/],
    ['a previous payer ending today', { kind: 'previous', end: TODAY }, /must be before today/],
    ['a previous payer ending in the future', { kind: 'previous', end: '2027-01-01' }, /must be before today/],
    ['a concurrent payer with no dates', { kind: 'concurrent' }, undefined],
    ['a concurrent payer that started today and ends next year', { kind: 'concurrent', start: TODAY, end: '2027-06-30' }, undefined],
    ['a concurrent payer starting tomorrow', { kind: 'concurrent', start: '2026-06-16' }, /must not be after today/],
    ['a concurrent payer that ended yesterday', { kind: 'concurrent', end: '2026-06-14' }, /record an ended coverage as previous/],
    ['an end before the start', { kind: 'previous', start: '2025-01-01', end: '2024-01-01' }, /end is before start/],
  ])('when staff record %s, then %s', (_what, input, problem) => {
    const out = periodProblem(input, TODAY);
    if (problem === undefined) expect(out).toBeUndefined();
    else expect(out).toMatch(problem);
  });
});

describe('otherPayerCoverage', () => {
  it('when a previous payer is recorded, then the Coverage is active, ended, self, with the member ID as subscriberId and the payer as payor', () => {
    const input = otherPayerInput.parse({ payer: 'Organization/old-plan', memberId: 'OP-1', kind: 'previous', start: '2021-01-01', end: '2025-12-31' });
    expect(otherPayerCoverage(input, { patient: 'p1', payerName: 'Old Plan', today: TODAY })).toEqual({
      resourceType: 'Coverage',
      status: 'active',
      subscriberId: 'OP-1',
      beneficiary: { reference: 'Patient/p1' },
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self', display: 'Self' }] },
      period: { start: '2021-01-01', end: '2025-12-31' },
      payor: [{ reference: 'Organization/old-plan', display: 'Old Plan' }],
    });
  });

  it('when a concurrent payer is recorded without dates, then the Coverage has no period', () => {
    const input = otherPayerInput.parse({ payer: 'Organization/job-plan', memberId: 'JP-9', kind: 'concurrent' });
    const c = otherPayerCoverage(input, { patient: 'p1', today: TODAY });
    expect(c.period).toBeUndefined();
    expect(c.payor).toEqual([{ reference: 'Organization/job-plan' }]);
  });

  it('when the dates do not fit the kind, then a 400 FhirError says why', () => {
    const input = otherPayerInput.parse({ payer: 'Organization/old-plan', memberId: 'OP-1', kind: 'previous' });
    try {
      otherPayerCoverage(input, { patient: 'p1', today: TODAY });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FhirError);
      expect((err as FhirError).status).toBe(400);
      expect((err as FhirError).message).toMatch(/needs the day its coverage ended/);
    }
  });
});
