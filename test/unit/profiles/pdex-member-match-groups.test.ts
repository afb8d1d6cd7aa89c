// The result Groups of Group/$provider-member-match (Da Vinci PDex 2.2.0, Provider Access v2), all
// loaded from profiles/ and enforced by the server: pdex-provider-member-match (MatchedMembers),
// pdex-provider-member-no-match (NonMatchedMembers) and pdex-member-opt-out (ConsentConstrainedMembers).
// For each: the IG example passes, each translated rule rejects an instance that breaks it, and the
// Groups built by src/apis/provider-access/member-match-io.ts conform; so does the match list Group the
// server stores and serves (attribution-groups.ts matchGroupHeader / groupWithMembers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Group, Patient } from '@medplum/fhirtypes';
import { groupWithMembers, matchGroupHeader } from '../../../src/apis/provider-access/attribution-groups.js';
import { consentConstrainedGroup, matchedMembersGroup, memberMatchResponse, nonMatchedMembersGroup, type GroupContext, type MatchResult, type MemberToMatch } from '../../../src/apis/provider-access/member-match-io.js';
import { DAVINCI_PROFILE } from '../../../src/domain/profile-urls.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import type { AttributionList, AttributionMember } from '../../../src/apis/provider-access/attribution-store.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { copy, describeIssues, expectConforms, expectRuleError, openProviderAccess, PAYER, PDEX, type ProviderAccessHarness, capabilityFromShippedProfiles } from './pdex-profiles.js';

const RESULT_CS = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS';
const NPI = 'http://hl7.org/fhir/sid/us-npi';

const submitted = (id: string, family: string, given: string, gender: Patient['gender'], birthDate: string): Patient => ({
  resourceType: 'Patient',
  id,
  name: [{ use: 'official', family, given: [given] }],
  gender,
  birthDate,
});
const payerEntity = { identifier: { system: NPI, value: '5555555555' }, display: 'Example Payer Organization' };

/** IG example example-provider-matched-group (input/fsh/ExampleProviderMemberMatchGroups.fsh). */
const MATCHED: Group = {
  resourceType: 'Group',
  id: 'example-provider-matched-group',
  meta: { profile: [PDEX.memberMatch] },
  contained: [submitted('prov-patient-1', 'Johnson', 'Robert', 'male', '1965-03-15')],
  identifier: [
    { system: 'http://example.org/payer/match-groups', value: 'MTG-2024-12-16-001', assigner: { display: 'Example Payer' } },
    { system: NPI, value: '1982947230', assigner: { display: 'Provider Organization' } },
  ],
  active: true,
  type: 'person',
  actual: true,
  code: { coding: [{ system: RESULT_CS, code: 'match', display: 'Matched' }] },
  managingEntity: payerEntity,
  characteristic: [
    {
      code: { coding: [{ system: RESULT_CS, code: 'match', display: 'Matched' }] },
      valueReference: { identifier: { system: NPI, value: '1982947230' }, display: 'Provider Organization' },
      exclude: false,
      period: { start: '2024-12-16' },
    },
  ],
  member: [
    {
      entity: { reference: 'Patient/payer-member-001', display: 'Robert Michael Johnson', extension: [{ url: PDEX.matchParameters, valueReference: { reference: '#prov-patient-1' } }] },
      inactive: false,
    },
  ],
  quantity: 1,
};

/** IG example example-provider-nomatch-group. */
const NO_MATCH: Group = {
  resourceType: 'Group',
  id: 'example-provider-nomatch-group',
  meta: { profile: [PDEX.memberNoMatch] },
  contained: [submitted('prov-patient-2', 'Smith', 'Jane', 'female', '1978-06-22')],
  identifier: [{ system: 'http://example.org/payer/match-groups', value: 'NMG-2024-12-16-001', assigner: { display: 'Example Payer' } }],
  active: true,
  type: 'person',
  actual: true,
  code: { coding: [{ system: RESULT_CS, code: 'nomatch', display: 'Not Matched' }] },
  managingEntity: payerEntity,
  member: [{ entity: { reference: '#prov-patient-2', extension: [{ url: PDEX.matchParameters, valueReference: { reference: '#prov-patient-2' } }] } }],
};

/** IG example ExampleMemberOptOutGroup (input/fsh/ProfileMemberOptOut.fsh @ 4db73a57). */
const OPT_OUT: Group = {
  resourceType: 'Group',
  id: 'member-opt-out-group-001',
  meta: { profile: [PDEX.memberOptOut] },
  identifier: [{ system: 'http://example.org/payer/opt-out-groups', value: 'OPT-OUT-2024-001', assigner: { display: 'Example Payer' } }],
  active: true,
  type: 'person',
  actual: true,
  code: { coding: [{ system: RESULT_CS, code: 'consentconstraint', display: 'Consent Constraint' }] },
  managingEntity: { identifier: { system: NPI, value: '5555555555' }, display: 'Example Payer Organization' },
  characteristic: [
    {
      extension: [
        {
          url: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/opt-out-reason',
          valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/opt-out-reason', code: 'privacy-concern', display: 'Privacy Concern' }] },
        },
      ],
      code: { coding: [{ system: RESULT_CS, code: 'consentconstraint', display: 'Consent Constraint' }] },
      valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/opt-out-scope', code: 'provider-specific', display: 'Provider-Specific Opt-Out' }] },
      exclude: false,
      period: { start: '2024-06-01' },
    },
  ],
  member: [
    {
      entity: {
        reference: 'Patient/1',
        display: 'Jane Doe - Opted out of provider data sharing',
        extension: [{ url: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/opt-out-details', valueString: 'Member requested opt-out on 2024-06-01 citing privacy concerns.' }],
      },
      inactive: false,
    },
  ],
  quantity: 1,
};

type G = Group & Record<string, unknown>;
const characteristic = (g: Group) => (g.characteristic ?? [])[0] as NonNullable<Group['characteristic']>[number] & Record<string, unknown>;
const member = (g: Group) => (g.member ?? [])[0] as NonNullable<Group['member']>[number];
const twice = <T>(items: T[] | undefined): T[] => [...(items ?? []), ...(items ?? [])];

// ---- what the server builds (member-match-io.ts), for three submitted members -----------------------

const ctx: GroupContext = {
  organization: { reference: 'Organization/clinic-1', npi: '1234567893', display: 'Riverside Clinic' },
  payer: { reference: 'Organization/masshealth', display: 'MassHealth' },
  now: new Date('2026-03-02T15:04:05Z'),
};

function toMatch(index: number, family: string): MemberToMatch {
  return {
    index,
    patient: { resourceType: 'Patient', id: `their-${index}`, meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00Z' }, name: [{ family, given: ['Ann'] }], birthDate: '1980-01-01', gender: 'female' },
    coverage: { resourceType: 'Coverage', status: 'active', beneficiary: { reference: `Patient/their-${index}` }, payor: [{ display: 'MassHealth' }] },
    attestation: { resourceType: 'Consent', status: 'active', scope: { text: 'treatment' }, category: [{ text: 'treatment' }], dateTime: '2026-03-01' },
  };
}

const result: MatchResult = {
  matched: [
    { member: toMatch(0, 'Alpha'), patientId: 'member-1' },
    { member: toMatch(3, 'Delta'), patientId: 'member-4' },
  ],
  nonMatched: [toMatch(1, 'Bravo')],
  consentConstrained: [{ member: toMatch(2, 'Charlie'), patientId: 'member-3' }],
};

let loaded: ProfileRegistry;
beforeAll(() => {
  loaded = loadProfileRegistry();
});

/** Every Group profile in profiles/ (none is abstract), as the registry sorts them (by URL). */
const GROUP_PROFILES = [PDEX.memberOptOut, PDEX.providerGroup, PDEX.memberMatch, PDEX.memberNoMatch];

describe('PDex Group profiles: which are loaded and declared', () => {
  it('when the profiles folder is loaded, then the roster and the three result Group profiles are declared for Group, with every binding checkable', () => {
    const groupProfiles = loaded.declaredProfiles().filter((p) => p.type === 'Group').map((p) => p.url);
    expect(groupProfiles).toEqual(GROUP_PROFILES);
    for (const url of GROUP_PROFILES) expect(loaded.get(url)?.uncheckedBindings).toEqual([]);
  });

  it('when the CapabilityStatement is built from the profiles the server validates with, then Group lists them as supportedProfile', () => {
    const capability = capabilityFromShippedProfiles();
    const group = capability.rest?.[0]?.resource?.find((r) => r.type === 'Group');
    expect(group?.supportedProfile).toEqual(GROUP_PROFILES);
  });

  it('when the server names these profiles, then it uses the canonical URLs of the shipped files', () => {
    expect(DAVINCI_PROFILE.pdexProviderMemberMatchGroup).toBe(PDEX.memberMatch);
    expect(DAVINCI_PROFILE.pdexProviderMemberNoMatchGroup).toBe(PDEX.memberNoMatch);
    expect(DAVINCI_PROFILE.pdexMemberOptOut).toBe(PDEX.memberOptOut);
  });
});

describe('Provider Member No Match Group (pdex-provider-member-no-match, PDex 2.2.0)', () => {
  const P = PDEX.memberNoMatch;
  const example = (): G => copy(NO_MATCH) as G;

  it('when the IG example is validated, then no error or warning is reported', () => {
    expectConforms(example(), loaded);
  });

  const broken: ReadonlyArray<readonly [string, (g: G) => void, string, string]> = [
    ['type is not person', (g) => (g.type = 'practitioner'), 'pattern', 'Group.type'],
    ['actual is false', (g) => (g.actual = false), 'pattern', 'Group.actual'],
    ['code is missing', (g) => delete g.code, 'min', 'Group.code'],
    ['code is outside PDexMultiMemberMatchResultVS', (g) => (g.code = { coding: [{ system: RESULT_CS, code: 'maybe' }] }), 'binding', 'Group.code'],
    ['managingEntity is missing', (g) => delete g.managingEntity, 'min', 'Group.managingEntity'],
    ['there is no member', (g) => delete g.member, 'min', 'Group.member'],
    ['a member names two submitted Patients', (g) => (member(g).entity.extension = twice(member(g).entity.extension)), 'slice-max', 'Group.member[0].entity.extension'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const g = example();
    breakIt(g);
    expectRuleError(g, loaded, P, rule, expression);
  });

  it('when the server builds NonMatchedMembers, then it conforms', () => {
    const group = nonMatchedMembersGroup(result, ctx) as Group;
    expect(group.meta?.profile).toEqual([P]);
    expectConforms(group, loaded);
  });

  it('when opt-out status is suppressed (§pdex-261a), then the NonMatchedMembers Group holding the opted-out members conforms too', () => {
    const response = memberMatchResponse(result, matchedMembersGroup('match-1', result, ctx), ctx, { suppressConsentConstrained: true });
    const group = response.parameter?.find((p) => p.name === 'NonMatchedMembers')?.resource as Group;
    expect(group.member).toHaveLength(2);
    expectConforms(group, loaded);
  });
});

describe('Member Opt-Out Group (pdex-member-opt-out, PDex 2.2.0)', () => {
  const P = PDEX.memberOptOut;
  const example = (): G => copy(OPT_OUT) as G;

  it('when the IG example is validated, then no error or warning is reported', () => {
    expectConforms(example(), loaded);
  });

  const broken: ReadonlyArray<readonly [string, (g: G) => void, string, string]> = [
    ['active is false', (g) => (g.active = false), 'pattern', 'Group.active'],
    ['type is not person', (g) => (g.type = 'device'), 'pattern', 'Group.type'],
    ['actual is false', (g) => (g.actual = false), 'pattern', 'Group.actual'],
    ['code is outside PDexMultiMemberMatchResultVS', (g) => (g.code = { coding: [{ system: RESULT_CS, code: 'optedout' }] }), 'binding', 'Group.code'],
    ['the characteristic code is not consentconstraint', (g) => (characteristic(g).code = { coding: [{ system: RESULT_CS, code: 'match', display: 'Matched' }] }), 'pattern', 'Group.characteristic[0].code'],
    ['the characteristic has no value', (g) => delete characteristic(g).valueCodeableConcept, 'min', 'Group.characteristic[0].value[x]'],
    ['the characteristic value is not a CodeableConcept', (g) => {
      delete characteristic(g).valueCodeableConcept;
      characteristic(g).valueBoolean = true;
    }, 'type', 'Group.characteristic[0].valueBoolean'],
    ['the opt-out scope is outside OptOutScopeValueSet', (g) => (characteristic(g).valueCodeableConcept = { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/opt-out-scope', code: 'everything' }] }), 'binding', 'Group.characteristic[0].valueCodeableConcept'],
    ['exclude is true', (g) => (characteristic(g).exclude = true), 'pattern', 'Group.characteristic[0].exclude'],
    ['two opt-out reasons are given', (g) => (characteristic(g).extension = twice(characteristic(g).extension)), 'slice-max', 'Group.characteristic[0].extension'],
    ['a member is not a Patient', (g) => (member(g).entity = { reference: 'Practitioner/1' }), 'target', 'Group.member[0].entity'],
    ['a member has two opt-out details', (g) => (member(g).entity.extension = twice(member(g).entity.extension)), 'slice-max', 'Group.member[0].entity.extension'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const g = example();
    breakIt(g);
    expectRuleError(g, loaded, P, rule, expression);
  });

  it('when the server builds ConsentConstrainedMembers, then it conforms (members refer to the contained submitted Patient)', () => {
    const group = consentConstrainedGroup(result, ctx) as Group;
    expect(group.meta?.profile).toEqual([P]);
    expect(member(group).entity.reference).toBe('#m2');
    expectConforms(group, loaded);
    // Rules a later PDex 2.2.0 revision adds (code fixed to consentconstraint, managingEntity an Organization) hold as well.
    expect(group.code?.coding?.[0]).toMatchObject({ system: RESULT_CS, code: 'consentconstraint' });
    expect(group.managingEntity?.reference).toMatch(/^Organization\//);
  });
});

describe('Provider Member Match Group (pdex-provider-member-match, PDex 2.2.0)', () => {
  const P = PDEX.memberMatch;
  const example = (): G => copy(MATCHED) as G;

  it('when the IG example is validated, then no error or warning is reported', () => {
    expectConforms(example(), loaded);
  });

  const broken: ReadonlyArray<readonly [string, (g: G) => void, string, string]> = [
    ['type is not person', (g) => (g.type = 'practitioner'), 'pattern', 'Group.type'],
    ['actual is false', (g) => (g.actual = false), 'pattern', 'Group.actual'],
    ['code is missing', (g) => delete g.code, 'min', 'Group.code'],
    ['code is outside PDexMultiMemberMatchResultVS', (g) => (g.code = { coding: [{ system: 'http://example.org/x', code: 'match' }] }), 'binding', 'Group.code'],
    ['managingEntity is missing', (g) => delete g.managingEntity, 'min', 'Group.managingEntity'],
    ['the characteristic code is outside PDexMultiMemberMatchResultVS', (g) => (characteristic(g).code = { coding: [{ system: 'http://example.org/attribution', code: 'match' }] }), 'binding', 'Group.characteristic[0].code.coding[0]'],
    ['the characteristic code is not match', (g) => (characteristic(g).code = { coding: [{ system: RESULT_CS, code: 'nomatch' }] }), 'pattern', 'Group.characteristic[0].code.coding[0].code'],
    ['exclude is true', (g) => (characteristic(g).exclude = true), 'pattern', 'Group.characteristic[0].exclude'],
    ['there is no member', (g) => delete g.member, 'min', 'Group.member'],
    ['a member names two submitted Patients', (g) => (member(g).entity.extension = twice(member(g).entity.extension)), 'slice-max', 'Group.member[0].entity.extension'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const g = example();
    breakIt(g);
    expectRuleError(g, loaded, P, rule, expression);
  });

  it('when the server builds MatchedMembers with matched members (the operation response), then it conforms', () => {
    const group = matchedMembersGroup('match-1', result, ctx);
    expect(group.meta?.profile).toEqual([P]);
    expect(group.member).toHaveLength(2);
    expectConforms(group, loaded);
  });

  it('when nothing matched, then the MatchedMembers Group the server returns has no member, does not claim the profile and conforms to R4', () => {
    const none: MatchResult = { matched: [], nonMatched: result.nonMatched, consentConstrained: result.consentConstrained };
    const group = matchedMembersGroup('match-2', none, ctx);
    expect(group.member).toBeUndefined();
    expect(group.quantity).toBe(0);
    expect(group.meta?.profile).toBeUndefined();
    expectConforms(group, loaded);
  });

  it('when nothing matched, then the operation response still carries MatchedMembers (1..1), without the profile claim', () => {
    const none: MatchResult = { matched: [], nonMatched: result.nonMatched, consentConstrained: result.consentConstrained };
    const response = memberMatchResponse(none, matchedMembersGroup('match-2', none, ctx), ctx, { suppressConsentConstrained: false });
    const matched = response.parameter?.filter((p) => p.name === 'MatchedMembers') ?? [];
    expect(matched).toHaveLength(1);
    expect((matched[0].resource as Group).meta?.profile).toBeUndefined();
  });
});

// ---- a match list as $provider-member-match records it (attribution store), one member matched -------

const MATCH_LIST: AttributionList = { _id: 'match-1', organization: 'Organization/clinic-1', npi: '1234567893', name: 'Matched members - Riverside Clinic', kind: 'match', client: 'clinic-backend', createdAt: 0, updatedAt: 0 };
const MATCH_ENTRY: AttributionMember = {
  _id: 'match-1|member-1',
  list: 'match-1',
  organization: 'Organization/clinic-1',
  patient: 'member-1',
  start: '2026-03-02',
  end: '2026-04-01',
  basis: ['match'],
  submitted: JSON.stringify({ resourceType: 'Patient', id: 'm0', name: [{ family: 'Alpha', given: ['Ann'] }], birthDate: '1980-01-01', gender: 'female' }),
  updatedAt: 0,
};

// The match list Group as attribution-groups.ts builds it: the header publish() stores (no members, so
// no profile claim) and the Group a read renders (the header with the members in force).
describe('Provider Member Match Group: the match list Group the server builds (attribution-groups.ts)', () => {
  const P = PDEX.memberMatch;
  const header = (): Group => matchGroupHeader(MATCH_LIST, 1, PAYER);

  it('when the header is built, then it claims no profile and uses PdexMultiMemberMatchResultCS#match for code and characteristic code', () => {
    const g = header();
    expect(g.meta?.profile).toBeUndefined();
    expect(g.member).toBeUndefined();
    expect(g.code?.coding).toEqual([expect.objectContaining({ system: RESULT_CS, code: 'match' })]);
    expect(characteristic(g).code.coding).toEqual([expect.objectContaining({ system: RESULT_CS, code: 'match' })]);
    expectConforms(g, loaded);
  });

  it('when the header is checked against pdex-provider-member-match, then only the missing member (rendered on read) breaks it', () => {
    const claimed = { ...header(), meta: { profile: [P] } };
    const errors = validateResource(claimed, loaded).filter((i) => i.severity === 'error').map((i) => `${i.rule} ${i.expression?.join(',')}`);
    expect(errors).toEqual(['min Group.member']);
  });

  it('when the list is rendered with a member in force, then it claims pdex-provider-member-match and conforms', () => {
    const g = groupWithMembers(header(), MATCH_LIST, [MATCH_ENTRY], '2026-03-02');
    expect(g.meta?.profile).toEqual([P]);
    expect(member(g).entity.extension).toEqual([{ url: PDEX.matchParameters, valueReference: { reference: '#m0' } }]);
    expectConforms(g, loaded);
  });

  it('when every entry of the list has ended, then the rendered Group does not claim pdex-provider-member-match', () => {
    const g = groupWithMembers(header(), MATCH_LIST, [MATCH_ENTRY], '2026-05-01');
    expect(g.quantity).toBe(0);
    expect(g.meta?.profile).toBeUndefined();
    expect(describeIssues(validateResource(g, loaded).filter((i) => i.profile !== undefined))).toEqual([]);
  });

  it('when every entry of the list has ended, then the rendered Group has no member key (R4 JSON has no empty arrays) and conforms', () => {
    const g = groupWithMembers(header(), MATCH_LIST, [MATCH_ENTRY], '2026-05-01');
    expect('member' in g).toBe(false);
    expectConforms(g, loaded);
  });
});

// What the server stores for a match list and serves on a read of it, written through the FHIR engine
// (which validates against the loaded profiles) the way $provider-member-match does (attribution list +
// entry, then publish()).
describe('Provider Member Match Group: the match list Group the server stores and serves', () => {
  const P = PDEX.memberMatch;
  let pa: ProviderAccessHarness;
  let stored: Group;
  let served: Group;

  beforeAll(async () => {
    pa = await openProviderAccess();
    await pa.api.attribution.lists.put(MATCH_LIST);
    await pa.api.attribution.members.put(MATCH_ENTRY);
    await pa.api.publish(MATCH_LIST);
    const record = await pa.store.current('Group', 'match-1');
    if (!record?.res) throw new Error('publish() stored no Group');
    stored = record.res as Group;
    served = JSON.parse((await pa.api.renderers.Group(record)) as string) as Group;
  });

  afterAll(async () => {
    await pa?.close();
  });

  it('when the match list is published, then the stored header claims no profile and conforms to R4', () => {
    expect(stored.meta?.profile).toBeUndefined();
    expect(stored.code?.coding?.[0]).toMatchObject({ system: RESULT_CS, code: 'match' });
    expectConforms(stored, loaded);
  });

  it('when the published match list is read, then the served Group claims pdex-provider-member-match, carries the matched member and conforms', () => {
    expect(served.meta?.profile).toEqual([P]);
    expect(served.member?.map((m) => m.entity.reference)).toEqual(['Patient/member-1']);
    expect(served.contained?.map((r) => r.id)).toEqual(['m0']);
    expectConforms(served, loaded);
  });
});
