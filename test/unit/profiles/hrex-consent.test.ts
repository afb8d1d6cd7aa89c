// The Da Vinci HRex 1.1.0 Consent profile (hrex-consent), the member's Payer-to-Payer permission: the
// official examples pass (PDex Consent/consent-2, the Consent of HRex Parameters/member-match-in), each
// rule the profile adds rejects an instance that breaks it, and the Consents the server writes conform:
// the opt-in written by the Payer-to-Payer API (member-choice.ts optIn) and the synthetic opt-ins.
//
// The registry is the one the server loads (profiles/). A withdrawn opt-in is inactive, which hrex-consent
// does not allow, so withdrawing drops the claim (last describe below).
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consent, DocumentReference, Organization, Resource } from '@medplum/fhirtypes';
import { engineContext } from '../../../src/app.js';
import { memberChoices, type MemberChoices } from '../../../src/apis/payer-to-payer/member-choice.js';
import { HREX_POLICY } from '../../../src/apis/payer-to-payer/exchange-consent.js';
import { loadConfig } from '../../../src/config.js';
import { DAVINCI_PROFILE, HREX_CONSENT_POLICY_REGULAR } from '../../../src/domain/profile-urls.js';
import { fullAccess } from '../../../src/fhir/access.js';
import type { IssueType } from '../../../src/fhir/outcome.js';
import { dispatch } from '../../../src/fhir/rest/dispatch.js';
import type { FhirRequest, FhirResponse } from '../../../src/fhir/rest/types.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { openStore } from '../../../src/server.js';
import type { ResourceStore } from '../../../src/store/port.js';
import { aMember } from '../../../src/synthetic/member-builder.js';
import { describeIssues, errorsOf, expectConforms, expectRuleError, NOW } from './pdex-profiles.js';

const P = DAVINCI_PROFILE.hrexConsent;

const FIXTURES = join(import.meta.dirname, '../../fixtures/ig-examples');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
/** The registry the server loads (profiles/, with hrex-consent). */
const hrexRegistry = (): ProfileRegistry => loadProfileRegistry();

/** PDex's payer-to-payer example (fsh-generated Consent-consent-2.json), as stored in the fixtures. */
const consent2 = (): Mutable => readJson<Mutable>(join(FIXTURES, 'davinci-pdex/Consent-consent-2.json'));

/** The Consent part of HRex 1.1.0 Parameters/member-match-in (no meta.profile there: the Parameters profile types it as hrex-consent). */
function memberMatchInConsent(): Mutable {
  const parameters = readJson<{ parameter: Array<{ name: string; resource?: Resource }> }>(join(FIXTURES, 'davinci-hrex/Parameters-member-match-in.json'));
  const consent = parameters.parameter.find((p) => p.name === 'Consent')?.resource as Mutable;
  expect(consent.resourceType).toBe('Consent');
  return { ...consent, meta: { profile: [P] } };
}

type Mutable = Consent & Record<string, unknown>;
const provision = (c: Consent): NonNullable<Consent['provision']> => c.provision as NonNullable<Consent['provision']>;
const role = (system: string, code: string) => ({ coding: [{ system, code }] });
const SOURCE_ROLE = role('http://terminology.hl7.org/CodeSystem/provenance-participant-type', 'performer');
const RECIPIENT_ROLE = role('http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'IRCP');
const actorsWith = (c: Consent, code: string) => (provision(c).actor ?? []).filter((a) => a.role.coding?.some((x) => x.code === code));

let registry: ProfileRegistry;
beforeAll(() => {
  registry = hrexRegistry();
});

describe('HRex Consent profile (hrex-consent, HRex 1.1.0)', () => {
  it('when the profile is loaded, then it is declared for Consent at 1.1.0 and its required binding (hrex-consent-policy) can be checked', () => {
    expect(registry.declaredProfiles().find((p) => p.url === P)).toMatchObject({ type: 'Consent', version: '1.1.0', name: 'HRexConsent' });
    const profile = registry.get(P);
    expect(profile?.uncheckedBindings).toEqual([]);
    expect(profile?.root.children.get('policy')?.slices.get('hrex')?.children.get('uri')?.binding?.valueSet).toBe('http://hl7.org/fhir/us/davinci-hrex/ValueSet/hrex-consent-policy');
    expect(HREX_CONSENT_POLICY_REGULAR).toBe(HREX_POLICY.regular);
  });

  it('when the PDex payer-to-payer example Consent/consent-2 is validated, then no error or warning is reported', () => {
    expectConforms(consent2(), registry);
  });

  it('when the Consent of the HRex member-match-in example is validated against hrex-consent, then no error or warning is reported', () => {
    expectConforms(memberMatchInConsent(), registry);
  });

  it('when the policy is #sensitive, or a further policy sits beside the hrex one, then it still conforms (the slicing is open)', () => {
    const sensitive = consent2();
    sensitive.policy = [{ uri: HREX_POLICY.sensitive }];
    expectConforms(sensitive, registry);
    const extra = consent2();
    extra.policy = [...(extra.policy ?? []), { uri: 'http://example.org/policy/state-addendum' }];
    expectConforms(extra, registry);
  });

  it('when the consent is mutual (both payers as source and as recipient), then it conforms', () => {
    const c = consent2();
    const [source, recipient] = provision(c).actor ?? [];
    provision(c).actor = [source, recipient, { role: SOURCE_ROLE, reference: recipient.reference }, { role: RECIPIENT_ROLE, reference: source.reference }];
    expectConforms(c, registry);
  });

  const broken: ReadonlyArray<readonly [string, (c: Mutable) => void, string, string]> = [
    ['status is not active', (c) => (c.status = 'inactive'), 'fixed', 'Consent.status'],
    ['scope is not patient-privacy', (c) => (c.scope = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] }), 'pattern', 'Consent.scope'],
    ['the IDSCL category is missing', (c) => (c.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'INFA' }] }]), 'slice-min', 'Consent.category'],
    ['the IDSCL category appears twice', (c) => (c.category = [...(c.category ?? []), ...(c.category ?? [])]), 'slice-max', 'Consent.category'],
    ['patient is missing', (c) => delete c.patient, 'min', 'Consent.patient'],
    ['patient is not a Patient', (c) => (c.patient = { reference: 'Group/1' }), 'target', 'Consent.patient'],
    ['performer is missing', (c) => delete c.performer, 'min', 'Consent.performer'],
    ['there are two performers', (c) => (c.performer = [{ reference: 'Patient/2' }, { reference: 'RelatedPerson/3' }]), 'max', 'Consent.performer'],
    ['source[x] is missing', (c) => delete c.sourceReference, 'min', 'Consent.source'],
    ['the source is an Attachment, not a Reference', (c) => {
      delete c.sourceReference;
      c.sourceAttachment = { contentType: 'text/plain', data: 'c2lnbmVk' };
    }, 'type', 'Consent.source'],
    ['sourceReference is not a DocumentReference', (c) => (c.sourceReference = { reference: 'Contract/signed-1' }), 'target', 'Consent.source'],
    ['policy is missing', (c) => delete c.policy, 'min', 'Consent.policy'],
    ['no policy has an hrex-consent-policy URI', (c) => (c.policy = [{ uri: 'http://example.org/policy/everything' }]), 'slice-min', 'Consent.policy'],
    ['the only policy names an authority but no URI', (c) => (c.policy = [{ authority: 'http://example.org' }]), 'slice-min', 'Consent.policy'],
    ['both hrex policies are given', (c) => (c.policy = [{ uri: HREX_POLICY.regular }, { uri: HREX_POLICY.sensitive }]), 'slice-max', 'Consent.policy'],
    ['provision is missing', (c) => delete c.provision, 'min', 'Consent.provision'],
    ['provision.type is missing', (c) => delete provision(c).type, 'min', 'Consent.provision.type'],
    ['provision.type is deny', (c) => (provision(c).type = 'deny'), 'fixed', 'Consent.provision.type'],
    ['provision.period is missing', (c) => delete provision(c).period, 'min', 'Consent.provision.period'],
    ['provision.period has no start', (c) => delete provision(c).period?.start, 'min', 'Consent.provision.period.start'],
    ['provision.period has no end', (c) => delete provision(c).period?.end, 'min', 'Consent.provision.period.end'],
    ['there is a single actor', (c) => (provision(c).actor = actorsWith(c, 'performer')), 'min', 'Consent.provision.actor'],
    ['no actor has the performer (source) role', (c) => (provision(c).actor = [...actorsWith(c, 'IRCP'), ...actorsWith(c, 'IRCP')]), 'slice-min', 'Consent.provision.actor'],
    ['no actor has the IRCP (recipient) role', (c) => (provision(c).actor = [...actorsWith(c, 'performer'), ...actorsWith(c, 'performer')]), 'slice-min', 'Consent.provision.actor'],
    ['provision.action is missing', (c) => delete provision(c).action, 'min', 'Consent.provision.action'],
    ['there are two actions', (c) => (provision(c).action = [...(provision(c).action ?? []), ...(provision(c).action ?? [])]), 'max', 'Consent.provision.action'],
    ['the action is not disclose', (c) => (provision(c).action = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }]), 'pattern', 'Consent.provision.action'],
    ['provision.securityLabel is given', (c) => (provision(c).securityLabel = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }]), 'max', 'Consent.provision.securityLabel'],
    ['provision.purpose is given', (c) => (provision(c).purpose = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }]), 'max', 'Consent.provision.purpose'],
    ['provision.class is given', (c) => (provision(c).class = [{ system: 'http://hl7.org/fhir/resource-types', code: 'Claim' }]), 'max', 'Consent.provision.class'],
    ['provision.code is given', (c) => (provision(c).code = [{ coding: [{ system: 'http://loinc.org', code: '11503-0' }] }]), 'max', 'Consent.provision.code'],
    ['provision.dataPeriod is given', (c) => (provision(c).dataPeriod = { start: '2023-01-01' }), 'max', 'Consent.provision.dataPeriod'],
    ['provision.data is given', (c) => (provision(c).data = [{ meaning: 'instance', reference: { reference: 'Claim/1' } }]), 'max', 'Consent.provision.data'],
    ['a nested provision is given', (c) => (provision(c).provision = [{ type: 'deny' }]), 'max', 'Consent.provision.provision'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const consent = consent2();
    breakIt(consent);
    expectRuleError(consent, registry, P, rule, expression);
  });

  it('when a policy URI outside hrex-consent-policy is the only one, then the binding is enforced through the policy:hrex slice (slice-min), never as a binding error', () => {
    // policy is sliced by value on uri and the hrex slice is recognised by the required binding itself,
    // so a URI outside the value set is simply not in the slice; its `binding` and `uri 1..` rules cannot fire.
    const c = consent2();
    c.policy = [{ uri: `${HREX_POLICY.regular}-not` }];
    const rules = errorsOf(validateResource(c, registry)).filter((i) => i.profile === P).map((i) => i.rule);
    expect(rules).toEqual(['slice-min']);
  });

  it('when synthetic members opted in to Payer-to-Payer, then their hrex-consent Consents conform and reference the signed form', () => {
    for (const index of [3, 7, 21]) {
      const m = aMember(index).optedInToPayerToPayer().build();
      const consents = m.resources.filter((r): r is Consent => r.resourceType === 'Consent' && (r.meta?.profile ?? []).includes(P));
      expect(consents).toHaveLength(1);
      const [consent] = consents;
      expectConforms(consent, registry);
      const form = m.resources.find((r): r is DocumentReference => r.resourceType === 'DocumentReference' && `DocumentReference/${r.id}` === consent.sourceReference?.reference);
      expect(form, 'sourceReference names the synthetic signed form').toBeDefined();
      expect(actorsWith(consent, 'performer')).toHaveLength(1);
      expect(actorsWith(consent, 'IRCP')).toHaveLength(1);
    }
  });
});

// The Payer-to-Payer API records a member's opt-in (member-choice.ts optIn) as a DocumentReference (the
// statement) and an hrex-consent Consent, both through the FHIR engine, which validates every write
// (here against the registry above: the server's profiles with hrex-consent loaded) and answers 422 on
// an error. The Consent returned is the stored one.
describe('HRex Consent profile: Consents written by the Payer-to-Payer API (member-choice.ts)', () => {
  const OLD_PLAN = 'Organization/old-plan';
  const NPI = 'http://hl7.org/fhir/sid/us-npi';
  const US = { reference: 'Organization/org-masshealth', display: 'MassHealth' };
  let dir: string;
  let store: ResourceStore;
  let system: (req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>) => Promise<FhirResponse>;
  let choices: MemberChoices;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrex-consent-'));
    const config = loadConfig({ DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' });
    store = await openStore(config, pino({ level: 'silent' }));
    const validate = (resource: Resource) =>
      validateResource(resource, registry).map((i) => ({
        severity: i.severity,
        code: i.code as IssueType,
        diagnostics: i.profile ? `${i.diagnostics} (profile ${i.profile}${i.rule ? `, rule ${i.rule}` : ''})` : i.diagnostics,
        ...(i.expression ? { expression: i.expression } : {}),
      }));
    const engine = engineContext({ config: { ...config, baseUrl: 'http://localhost/fhir' }, store, registry: loadSearchRegistry(), validate, clock: () => NOW, newId: () => crypto.randomUUID() });
    system = (req) => dispatch({ ...engine, access: fullAccess('system:payer-to-payer') }, { query: [], headers: {}, ...req });
    choices = memberChoices({ store, payer: US, system, clock: () => NOW });
    const orgs: Organization[] = [
      { resourceType: 'Organization', id: 'org-masshealth', name: 'MassHealth', identifier: [{ system: NPI, value: '1234567877' }] },
      { resourceType: 'Organization', id: 'old-plan', name: 'Old Plan', identifier: [{ system: NPI, value: '1234567893' }] },
      { resourceType: 'Organization', id: 'no-id-plan', name: 'Plan Without Identifiers' },
    ];
    for (const org of orgs) await system({ method: 'PUT', path: ['Organization', org.id as string], body: org });
  });

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('when a member opts in for another payer, then the stored Consent claims hrex-consent and conforms', async () => {
    const consent = await choices.optIn('member-1', OLD_PLAN, 'signed on the member account page');
    expect(consent.id).toBeDefined();
    expect(consent.meta?.profile).toEqual([P]);
    expect(consent.meta?.versionId).toBeDefined();
    expectConforms(consent, registry);
  });

  it('when a member opts in, then the Consent names that payer as source, us as recipient, policy #regular, for five years from today, backed by the stored statement', async () => {
    const consent = await choices.optIn('member-2', OLD_PLAN, 'recorded by staff');
    expect(consent.policy).toEqual([{ uri: HREX_POLICY.regular }]);
    expect(provision(consent)).toMatchObject({ type: 'permit', period: { start: '2026-03-02', end: '2031-03-02' } });
    expect(actorsWith(consent, 'performer').map((a) => a.reference)).toEqual([{ reference: OLD_PLAN, identifier: { system: NPI, value: '1234567893' }, display: 'Old Plan' }]);
    expect(actorsWith(consent, 'IRCP').map((a) => a.reference)).toEqual([{ reference: US.reference, identifier: { system: NPI, value: '1234567877' }, display: 'MassHealth' }]);
    const docId = consent.sourceReference?.reference?.replace('DocumentReference/', '');
    const doc = await store.current('DocumentReference', docId as string);
    expect(doc?.res?.resourceType).toBe('DocumentReference');
  });

  it('when the other payer has no identifier, then the opt-in (naming it by reference only) still conforms', async () => {
    const consent = await choices.optIn('member-3', 'Organization/no-id-plan', 'signed on the member account page');
    expect(actorsWith(consent, 'performer').map((a) => a.reference)).toEqual([{ reference: 'Organization/no-id-plan', display: 'Plan Without Identifiers' }]);
    expectConforms(consent, registry);
  });

  it('when the opt-in is listed among the member\'s other payers, then it is the conforming stored Consent', async () => {
    await system({
      method: 'PUT',
      path: ['Coverage', 'cov-old-4'],
      body: { resourceType: 'Coverage', id: 'cov-old-4', status: 'active', beneficiary: { reference: 'Patient/member-4' }, payor: [{ reference: OLD_PLAN }], subscriberId: 'OP-4', period: { start: '2020-01-01', end: '2025-12-31' } },
    });
    const consent = await choices.optIn('member-4', OLD_PLAN, 'signed on the member account page');
    const [listed, ...more] = await choices.otherPayers('member-4');
    expect(more).toEqual([]);
    expect(listed.optIn?.id).toBe(consent.id);
    expectConforms(listed.optIn as Consent, registry);
  });

  // hrex-consent fixes status to active, so a withdrawn opt-in stops claiming it (member-choice.ts withdraw).
  it('when a member withdraws an opt-in, then the Consent is inactive and no longer claims hrex-consent, and the write is accepted', async () => {
    const consent = await choices.optIn('member-5', OLD_PLAN, 'signed on the member account page');
    const withdrawn = { ...consent, status: 'inactive' } as Consent;
    // Had it kept the claim, the profile would refuse it.
    expect(describeIssues(errorsOf(validateResource(withdrawn, registry)))).toEqual([
      `error ${P} fixed Consent.status: Consent.status must equal the value fixed by the profile`,
    ]);
    expect(await choices.withdraw('member-5', OLD_PLAN)).toBe(1);
    const stored = (await store.current('Consent', consent.id as string))?.res as Consent | undefined;
    expect(stored?.status).toBe('inactive');
    expect(stored?.meta?.profile ?? []).not.toContain(P);
    expect(describeIssues(errorsOf(validateResource(stored as Consent, registry)))).toEqual([]);
  });

});
