/** A member's Provider Access choice from their PDex Consents: opt-out by default off, the latest active choice wins. */
import { describe, expect, it } from 'vitest';
import type { Consent } from '@medplum/fhirtypes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { choiceOf, enrolledOn } from '../../../../src/apis/provider-access/member-status.js';
import { openEmbeddedStore } from '../../../../src/store/embedded/embedded-store.js';
import { loadSearchRegistry } from '../../../../src/fhir/search/registry.js';
import { loadResources } from '../../../../src/demo-data.js';
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

describe('enrolledOn', () => {
  it("when a member's only coverage in force is another payer's (recorded at enrollment for Payer-to-Payer), then with our payer given they are not enrolled; ours counts", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enrolled-'));
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const coverage = (id: string, patient: string, payor: string) => ({ resourceType: 'Coverage' as const, id, status: 'active' as const, beneficiary: { reference: `Patient/${patient}` }, payor: [{ reference: payor }], period: { start: '2020-01-01' } });
      await loadResources(
        [
          { resourceType: 'Patient', id: 'ours' },
          { resourceType: 'Patient', id: 'theirs' },
          coverage('c1', 'ours', 'Organization/org-masshealth'),
          coverage('c2', 'theirs', 'Organization/other-plan'),
        ],
        { store, registry: loadSearchRegistry(), baseUrl: 'http://localhost/fhir' },
      );
      expect([...(await enrolledOn(store, ['ours', 'theirs'], '2026-01-01'))].sort()).toEqual(['ours', 'theirs']);
      expect([...(await enrolledOn(store, ['ours', 'theirs'], '2026-01-01', 'Organization/org-masshealth'))]).toEqual(['ours']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
