// The Da Vinci PDex 2.1.0 Provider Access Consent profile (profiles/pdex-provider-consent.json): a
// conforming opt-out (the IG example no-consent-1 as 2.1.0 publishes it) passes, each rule the profile
// adds rejects an instance that breaks it, and the Consents the server writes conform: the member's
// choice written by the Provider Access API (setChoice), with the Provenance naming payer staff who
// recorded it for the member, and the synthetic opt-outs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consent, Provenance } from '@medplum/fhirtypes';
import { DAVINCI_PROFILE } from '../../../src/domain/profile-urls.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { aMember } from '../../../src/synthetic/member-builder.js';
import { copy, expectConforms, expectRuleError, NOW, openProviderAccess, PAYER, PDEX, type ProviderAccessHarness } from './pdex-profiles.js';

const P = PDEX.providerConsent;

/** The IG example Consent/no-consent-1 (PDex 2.1.x input/fsh/ExamplePDexProviderAccessConsent.fsh), without the 2.2.0 additions. */
const OPT_OUT: Consent = {
  resourceType: 'Consent',
  id: 'no-consent-1',
  meta: { profile: [P] },
  status: 'active',
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
  patient: { reference: 'Patient/1' },
  performer: [{ reference: 'Patient/1' }],
  organization: [{ reference: 'Organization/Payer1-1' }],
  policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'cric', display: 'Common Rule Informed Consent' }] },
  provision: {
    type: 'deny',
    period: { start: '2024-06-11' },
    actor: [
      {
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'performer' }] },
        reference: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '0123456789' }, display: 'My Health Plan' },
      },
    ],
    action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'disclose', display: 'Disclose' }] }],
  },
};

type Mutable = Consent & Record<string, unknown>;
const optOut = (): Mutable => copy(OPT_OUT) as Mutable;
const provision = (c: Consent): NonNullable<Consent['provision']> => c.provision as NonNullable<Consent['provision']>;

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('PDex Provider Access Consent profile (pdex-provider-consent, PDex 2.1.0)', () => {
  it('when the profiles folder is loaded, then the profile is declared for Consent and its bindings can all be checked', () => {
    expect(registry.declaredProfiles().find((p) => p.url === P)).toMatchObject({ type: 'Consent', version: '2.1.0' });
    expect(registry.get(P)?.uncheckedBindings).toEqual([]);
    expect(DAVINCI_PROFILE.pdexProviderConsent).toBe(P);
  });

  it('when the IG opt-out example is validated, then no error or warning is reported; a permit (back in) conforms too', () => {
    expectConforms(optOut(), registry);
    const permit = optOut();
    provision(permit).type = 'permit';
    expectConforms(permit, registry);
  });

  const broken: ReadonlyArray<readonly [string, (c: Mutable) => void, string, string]> = [
    ['status is not active', (c) => (c.status = 'inactive'), 'fixed', 'Consent.status'],
    ['scope is not patient-privacy', (c) => (c.scope = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] }), 'pattern', 'Consent.scope'],
    ['the IDSCL category is missing', (c) => (c.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'INFA' }] }]), 'slice-min', 'Consent.category'],
    ['the IDSCL category appears twice', (c) => (c.category = [...(c.category ?? []), ...(c.category ?? [])]), 'slice-max', 'Consent.category'],
    ['patient is missing', (c) => delete c.patient, 'min', 'Consent.patient'],
    ['patient is not a Patient', (c) => (c.patient = { reference: 'Group/1' }), 'target', 'Consent.patient'],
    ['performer is missing', (c) => delete c.performer, 'min', 'Consent.performer'],
    ['there are two performers', (c) => (c.performer = [{ reference: 'Patient/1' }, { reference: 'Patient/2' }]), 'max', 'Consent.performer'],
    ['performer is not a Patient', (c) => (c.performer = [{ reference: 'Practitioner/staff-1' }]), 'target', 'Consent.performer'],
    ['organization is missing', (c) => delete c.organization, 'min', 'Consent.organization'],
    ['there are two organizations', (c) => (c.organization = [{ reference: 'Organization/a' }, { reference: 'Organization/b' }]), 'max', 'Consent.organization'],
    ['policyRule is not cric', (c) => (c.policyRule = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'hipaa-auth' }] }), 'pattern', 'Consent.policyRule'],
    ['provision is missing', (c) => delete c.provision, 'min', 'Consent.provision'],
    ['provision.type is missing', (c) => delete provision(c).type, 'min', 'Consent.provision.type'],
    ['provision.period is missing', (c) => delete provision(c).period, 'min', 'Consent.provision.period'],
    ['provision.period has no start', (c) => (provision(c).period = { end: '2030-01-01' }), 'min', 'Consent.provision.period.start'],
    ['no actor has the performer role', (c) => (provision(c).actor = [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { display: 'x' } }]), 'slice-min', 'Consent.provision.actor'],
    ['provision.action is missing', (c) => delete provision(c).action, 'min', 'Consent.provision.action'],
    ['there are two actions', (c) => (provision(c).action = [...(provision(c).action ?? []), ...(provision(c).action ?? [])]), 'max', 'Consent.provision.action'],
    ['the action is not disclose', (c) => (provision(c).action = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }]), 'pattern', 'Consent.provision.action'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const consent = optOut();
    breakIt(consent);
    expectRuleError(consent, registry, P, rule, expression);
  });

  it('when a synthetic member opted out of Provider Access, then their Consent claims the profile and conforms', () => {
    const m = aMember(14).optedOutOfProviderAccess().build();
    const consents = m.resources.filter((r): r is Consent => r.resourceType === 'Consent' && (r.meta?.profile ?? []).includes(P));
    expect(consents).toHaveLength(1);
    expect(consents[0].provision?.type).toBe('deny');
    expectConforms(consents[0], registry);
  });
});

// The Provider Access API writes the member's choice through the FHIR engine, which validates every
// write against the declared profiles (422 on an error): the Consent it returns is the stored one. The
// performer is always the member (PDex 2.1.0 allows only the Patient); when someone else recorded the
// choice, a Provenance names them as enterer on the member's behalf.
describe('PDex Provider Access Consent profile: Consents written by the Provider Access API (setChoice)', () => {
  let pa: ProviderAccessHarness;

  /** The stored Provenances whose target is this Consent. */
  async function provenancesOf(consent: Consent): Promise<Provenance[]> {
    const { records } = await pa.store.find({ filter: { type: 'Provenance' }, sort: [['_id', 1]], limit: 1_000 });
    return records.map((r) => r.res as Provenance).filter((p) => p.target.some((t) => t.reference === `Consent/${consent.id}`));
  }

  beforeAll(async () => {
    pa = await openProviderAccess();
  });

  afterAll(async () => {
    await pa?.close();
  });

  it('when a member opts out on their own account page, then the stored deny Consent conforms', async () => {
    const consent = await pa.api.setChoice('member-1', 'out', { reference: 'Patient/member-1' });
    expect(consent.id).toBeDefined();
    expect(consent.provision?.type).toBe('deny');
    expect(consent.organization).toEqual([PAYER]);
    expectConforms(consent, registry);
  });

  it('when a member records their own choice, then no Provenance is written for it', async () => {
    const consent = await pa.api.setChoice('member-1', 'out', { reference: 'Patient/member-1' });
    expect(await provenancesOf(consent)).toEqual([]);
  });

  it('when a member opts back in, then the stored permit Consent conforms', async () => {
    const consent = await pa.api.setChoice('member-1', 'in', { reference: 'Patient/member-1' });
    expect(consent.provision?.type).toBe('permit');
    expectConforms(consent, registry);
  });

  it('when payer staff without a FHIR user record the choice, then the Consent names the member as performer and conforms', async () => {
    const consent = await pa.api.setChoice('member-2', 'out', { display: "payer staff on the member's behalf" });
    expect(consent.performer).toEqual([{ reference: 'Patient/member-2' }]);
    expectConforms(consent, registry);
  });

  it('when payer staff without a FHIR user record the choice, then a Provenance names them (by display) as enterer on behalf of the member', async () => {
    const consent = await pa.api.setChoice('member-2', 'in', { display: "payer staff on the member's behalf" });
    const [provenance, ...more] = await provenancesOf(consent);
    expect(more).toEqual([]);
    expect(provenance.agent).toEqual([expect.objectContaining({ who: { display: "payer staff on the member's behalf" }, onBehalfOf: { reference: 'Patient/member-2' } })]);
    expect(provenance.agent[0].type?.coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'enterer' });
    expectConforms(provenance, registry);
  });

  it('when payer staff whose account has a Practitioner fhirUser record the choice, then the Consent names the member (not the Practitioner) as performer and conforms', async () => {
    const consent = await pa.api.setChoice('member-3', 'out', { reference: 'Practitioner/staff-1', display: 'Pat Staff' });
    expect(consent.id).toBeDefined();
    expect(consent.performer).toEqual([{ reference: 'Patient/member-3' }]);
    expectConforms(consent, registry);
  });

  it('when payer staff whose account has a Practitioner fhirUser record the choice, then a Provenance names that Practitioner as enterer on behalf of the member', async () => {
    const consent = await pa.api.setChoice('member-3', 'in', { reference: 'Practitioner/staff-1', display: 'Pat Staff' });
    const [provenance, ...more] = await provenancesOf(consent);
    expect(more).toEqual([]);
    expect(provenance.target).toEqual([{ reference: `Consent/${consent.id}` }]);
    expect(provenance.recorded).toBe(NOW.toISOString());
    expect(provenance.agent).toHaveLength(1);
    expect(provenance.agent[0]).toMatchObject({ who: { reference: 'Practitioner/staff-1', display: 'Pat Staff' }, onBehalfOf: { reference: 'Patient/member-3' } });
    expect(provenance.agent[0].type?.coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'enterer' });
    expectConforms(provenance, registry);
  });
});
