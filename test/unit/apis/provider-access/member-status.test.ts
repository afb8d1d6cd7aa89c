/** A member's Provider Access choice from their PDex Consents: opt-out by default off, the latest active choice wins. */
import { describe, expect, it } from 'vitest';
import type { Consent } from '@medplum/fhirtypes';
import { choiceOf } from '../../../../src/apis/provider-access/member-status.js';
import { DAVINCI_PROFILE } from '../../../../src/domain/profile-urls.js';

const consent = (type: 'deny' | 'permit', dateTime: string, extra: Partial<Consent> = {}): Consent => ({
  resourceType: 'Consent',
  meta: { profile: [DAVINCI_PROFILE.pdexProviderConsent] },
  status: 'active',
  scope: { text: 'privacy' },
  category: [{ text: 'IDSCL' }],
  dateTime,
  provision: { type, period: { start: dateTime.slice(0, 10) } },
  ...extra,
});

describe('choiceOf', () => {
  it('when a member has no Provider Access Consent, then they are in', () => {
    expect(choiceOf([], '2026-11-23')).toBe('in');
  });
  it('when the latest active choice is a deny in force, then out; a later permit brings them back in', () => {
    const out = consent('deny', '2026-01-01T10:00:00Z');
    expect(choiceOf([out], '2026-11-23')).toBe('out');
    expect(choiceOf([consent('permit', '2026-02-01T10:00:00Z'), out], '2026-11-23')).toBe('in');
    expect(choiceOf([consent('permit', '2025-02-01T10:00:00Z'), out], '2026-11-23')).toBe('out');
  });
  it('when the deny is inactive, of another profile, not yet in force or ended, then it does not count', () => {
    expect(choiceOf([consent('deny', '2026-01-01T10:00:00Z', { status: 'inactive' })], '2026-11-23')).toBe('in');
    expect(choiceOf([consent('deny', '2026-01-01T10:00:00Z', { meta: { profile: [DAVINCI_PROFILE.hrexConsent] } })], '2026-11-23')).toBe('in');
    expect(choiceOf([consent('deny', '2026-12-01T10:00:00Z')], '2026-11-23')).toBe('in');
    expect(choiceOf([consent('deny', '2026-01-01T10:00:00Z', { provision: { type: 'deny', period: { start: '2026-01-01', end: '2026-06-30' } } })], '2026-11-23')).toBe('in');
  });
});
