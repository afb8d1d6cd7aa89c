import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Consent, Parameters } from '@medplum/fhirtypes';
import { checkExchangeConsent, HREX_POLICY, policyOf } from '../../../../src/apis/payer-to-payer/exchange-consent.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/ig-examples');
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const us = { reference: 'Organization/org-masshealth', identifiers: [{ system: NPI, value: '9876543210' }] };
const requester = { identifiers: [{ system: NPI, value: '0123456789' }] };

const pdexConsent = (): Consent => JSON.parse(readFileSync(join(FIXTURES, 'davinci-pdex/Consent-consent-2.json'), 'utf8')) as Consent;
const hrexConsent = (): Consent =>
  ((JSON.parse(readFileSync(join(FIXTURES, 'davinci-hrex/Parameters-member-match-in.json'), 'utf8')) as Parameters).parameter ?? []).find((p) => p.name === 'Consent')?.resource as Consent;

describe('the Consent another payer sends', () => {
  it('when the official HRex and PDex examples are checked on a day inside their periods, then they are accepted with the regular policy', () => {
    expect(checkExchangeConsent(hrexConsent(), { today: '2022-01-15', us, requester })).toEqual({ accepted: true, policy: 'regular', start: '2022-01-01', end: '2022-01-31' });
    expect(checkExchangeConsent(pdexConsent(), { today: '2024-01-10', us, requester })).toEqual({ accepted: true, policy: 'regular', start: '2023-12-01', end: '2024-03-31' });
  });

  it('when the Consent expired or has not started, then it is refused with the date', () => {
    expect(checkExchangeConsent(pdexConsent(), { today: '2024-04-01', us, requester })).toEqual({ accepted: false, reason: 'The Consent expired on 2024-03-31' });
    expect(checkExchangeConsent(pdexConsent(), { today: '2023-11-30', us, requester })).toEqual({ accepted: false, reason: 'The Consent is not in force until 2023-12-01' });
  });

  const broken: Array<[string, (c: Consent) => void, RegExp]> = [
    ['is inactive', (c) => (c.status = 'inactive'), /not active/],
    ['denies', (c) => ((c.provision as NonNullable<Consent['provision']>).type = 'deny'), /does not permit/],
    ['has no end date', (c) => delete c.provision?.period?.end, /period/],
    ['names an unknown policy', (c) => (c.policy = [{ uri: 'http://example.org/policy' }]), /not one this payer can comply with/],
    ['names two policies', (c) => (c.policy = [{ uri: HREX_POLICY.regular }, { uri: HREX_POLICY.sensitive }]), /exactly one policy/],
    ['names another source payer', (c) => ((c.provision?.actor ?? [])[0].reference = { identifier: { system: NPI, value: '1111111111' } }), /source/],
    ['names another recipient', (c) => ((c.provision?.actor ?? [])[1].reference = { identifier: { system: NPI, value: '2222222222' } }), /recipient/],
    ['only permits access, not disclosure', (c) => ((c.provision as NonNullable<Consent['provision']>).action = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }]), /disclosure/],
  ];

  it.each(broken)('when the Consent %s, then it is refused and says why', (_what, breakIt, reason) => {
    const c = pdexConsent();
    breakIt(c);
    const check = checkExchangeConsent(c, { today: '2024-01-10', us, requester });
    expect(check.accepted).toBe(false);
    expect(check.accepted === false && check.reason).toMatch(reason);
  });

  it('when no Consent is sent, then the exchange is refused (the program requires the member\'s permission)', () => {
    expect(checkExchangeConsent(undefined, { today: '2024-01-10', us, requester })).toMatchObject({ accepted: false, reason: expect.stringMatching(/Consent is required/) });
  });

  it('when we are named by our Organization reference instead of an identifier, or the policy URL uses https, then that is accepted too', () => {
    const c = pdexConsent();
    (c.provision?.actor ?? [])[0].reference = { reference: 'Organization/org-masshealth' };
    c.policy = [{ uri: HREX_POLICY.sensitive.replace('http:', 'https:') }];
    expect(checkExchangeConsent(c, { today: '2024-01-10', us, requester })).toMatchObject({ accepted: true, policy: 'sensitive' });
    expect(policyOf(`${HREX_POLICY.regular}x`)).toBeUndefined();
  });
});
