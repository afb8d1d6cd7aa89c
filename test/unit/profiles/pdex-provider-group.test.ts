// The Da Vinci PDex 2.1.0 Provider Group profile (profiles/pdex-provider-group.json), the Provider
// Access v1 attribution roster, loaded and enforced by the server: the IG example passes, each rule the
// profile adds rejects an instance that breaks it, and the roster Group the server builds conforms, both
// the header it stores (attribution-groups.ts rosterGroupHeader, written by publish() through the FHIR
// engine, which answers 422 to a write breaking a loaded profile) and the Group it renders on read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Group } from '@medplum/fhirtypes';
import { groupWithMembers, rosterGroupHeader } from '../../../src/apis/provider-access/attribution-groups.js';
import type { AttributionList, AttributionMember } from '../../../src/apis/provider-access/attribution-store.js';
import { DAVINCI_PROFILE } from '../../../src/domain/profile-urls.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { copy, describeIssues, expectConforms, expectRuleError, openProviderAccess, PDEX, type ProviderAccessHarness } from './pdex-profiles.js';

const P = PDEX.providerGroup;
const ATTRIBUTION_CS = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMemberAttributionCS';
const EXT = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/';

/** IG example Example-PDex-Provider-Group (PDex 2.1.x, input/fsh/ExamplePDexProviderGroup.fsh). */
const EXAMPLE: Group = {
  resourceType: 'Group',
  id: 'Example-PDex-Provider-Group',
  meta: { lastUpdated: '2024-03-21T17:18:00.000Z', profile: [P] },
  extension: [
    { url: 'http://hl7.org/fhir/us/davinci-atr/StructureDefinition/ext-attributionListStatus', valueCode: 'final' },
    { url: `${EXT}base-ext-members-opted-out`, valueQuantity: { value: 5 } },
  ],
  identifier: [
    { system: 'http://hl7.org/fhir/sid/us-npi', value: '1122334455' },
    { system: 'urn:oid:2.16.840.1.113883.4.4', value: '99-12345' },
  ],
  active: true,
  type: 'person',
  actual: true,
  code: { coding: [{ system: ATTRIBUTION_CS, code: 'pdexprovidergroup', display: 'PDex Provider Group' }] },
  name: 'Attributed List of Health Plan Members for Practitioner 1122334455.',
  managingEntity: { reference: 'Organization/ProviderOrg1' },
  characteristic: [
    {
      code: { coding: [{ system: ATTRIBUTION_CS, code: 'pdexprovidergroup', display: 'PDex Provider Group' }] },
      valueReference: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '0123456789' } },
      exclude: false,
      period: { start: '2024-03-21' },
    },
  ],
  member: [
    {
      id: '0',
      extension: [
        { url: `${EXT}base-ext-last-transmission`, valueDateTime: '2024-03-21T17:18:00.000Z' },
        { url: `${EXT}base-ext-last-types`, valueString: 'Patient,Condition,Observation,Procedure' },
        { url: `${EXT}base-ext-last-typefilter`, valueString: 'Condition?recordedDate=ge2023-09-23,Procedure?performed=ge2023-03-21' },
      ],
      entity: { reference: 'Patient/1001' },
    },
  ],
};

type G = Group & Record<string, unknown>;
const example = (): G => copy(EXAMPLE) as G;
const characteristic = (g: Group) => (g.characteristic ?? [])[0] as NonNullable<Group['characteristic']>[number];
const member = (g: Group) => (g.member ?? [])[0] as NonNullable<Group['member']>[number];
const withExtension = (g: Group, url: string) => [...(g.extension ?? []), ...(g.extension ?? []).filter((e) => e.url === url)];
const withMemberExtension = (g: Group, url: string) => [...(member(g).extension ?? []), ...(member(g).extension ?? []).filter((e) => e.url === url)];

// ---- the roster the server builds (attribution-groups.ts) ----------------------------------------------

const payer = { reference: 'Organization/masshealth', display: 'MassHealth' };
const list: AttributionList = {
  _id: 'roster-org-1',
  organization: 'Organization/org-1',
  npi: '1234567893',
  name: 'Riverside Clinic attributed members',
  kind: 'roster',
  createdAt: 0,
  updatedAt: 0,
};
const entries: AttributionMember[] = [
  { _id: 'roster-org-1|member-1', list: 'roster-org-1', organization: 'Organization/org-1', patient: 'member-1', start: '2025-01-01', basis: ['pcp'], coverage: 'cov-1', provider: 'Practitioner/pr-1', updatedAt: 0 },
  { _id: 'roster-org-1|member-2', list: 'roster-org-1', organization: 'Organization/org-1', patient: 'member-2', start: '2025-02-01', end: '2026-12-31', basis: ['claims'], updatedAt: 0 },
];
const rosterHeader = (): Group => rosterGroupHeader(list, entries.length, payer);
const rosterRead = (): Group => groupWithMembers(rosterHeader(), list, entries, '2026-03-02');

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

describe('PDex Provider Group profile (pdex-provider-group, PDex 2.1.0)', () => {
  it('when the server loads its profiles folder, then pdex-provider-group is declared for Group and its bindings can all be checked', () => {
    expect(registry.declaredProfiles().find((p) => p.url === P)).toMatchObject({ type: 'Group', version: '2.1.0' });
    expect(registry.get(P)?.uncheckedBindings).toEqual([]);
    expect(DAVINCI_PROFILE.pdexProviderGroup).toBe(P);
  });

  it('when the IG example is validated, then no error or warning is reported', () => {
    expectConforms(example(), registry);
  });

  const broken: ReadonlyArray<readonly [string, (g: G) => void, string, string]> = [
    ['code is missing', (g) => delete g.code, 'min', 'Group.code'],
    ['code is outside PDexMultiMemberMatchResultVS', (g) => (g.code = { coding: [{ system: 'http://example.org/groups', code: 'roster' }] }), 'binding', 'Group.code'],
    ['the characteristic code is not pdexprovidergroup', (g) => (characteristic(g).code = { coding: [{ system: 'http://example.org/attribution', code: 'attributed-organization' }] }), 'pattern', 'Group.characteristic[0].code'],
    ['exclude is true', (g) => (characteristic(g).exclude = true), 'pattern', 'Group.characteristic[0].exclude'],
    ['the opted-out count is given twice', (g) => (g.extension = withExtension(g, `${EXT}base-ext-members-opted-out`)), 'slice-max', 'Group.extension'],
    ['a member has two lastTransmitted', (g) => (member(g).extension = withMemberExtension(g, `${EXT}base-ext-last-transmission`)), 'slice-max', 'Group.member[0].extension'],
    ['a member has two lastResources', (g) => (member(g).extension = withMemberExtension(g, `${EXT}base-ext-last-types`)), 'slice-max', 'Group.member[0].extension'],
    ['a member has two lastFilters', (g) => (member(g).extension = withMemberExtension(g, `${EXT}base-ext-last-typefilter`)), 'slice-max', 'Group.member[0].extension'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const g = example();
    breakIt(g);
    expectRuleError(g, registry, P, rule, expression);
  });
});

describe('PDex Provider Group profile: the roster Group the server builds (attribution-groups.ts)', () => {
  it('when the server builds a roster header, then it claims pdex-provider-group with characteristic code PdexMemberAttributionCS#pdexprovidergroup and conforms', () => {
    const header = rosterHeader();
    expect(header.meta?.profile).toEqual([P]);
    expect(characteristic(header).code?.coding).toEqual([expect.objectContaining({ system: ATTRIBUTION_CS, code: 'pdexprovidergroup' })]);
    expect(characteristic(header).valueReference?.reference).toBe('Organization/org-1');
    expectConforms(header, registry);
  });

  it('when the roster is rendered with its members, then it still claims pdex-provider-group and conforms', () => {
    const group = rosterRead();
    expect(group.meta?.profile).toEqual([P]);
    expect(group.member?.map((m) => m.entity.reference)).toEqual(['Patient/member-1', 'Patient/member-2']);
    expectConforms(group, registry);
  });

  it('when every entry of the roster has ended, then the rendered roster still passes every pdex-provider-group rule', () => {
    const ended = entries.map((e) => ({ ...e, end: '2025-12-31' }));
    const group = groupWithMembers(rosterHeader(), list, ended, '2026-03-02');
    expect(group.quantity).toBe(0);
    expect(describeIssues(validateResource(group, registry).filter((i) => i.profile === P))).toEqual([]);
  });

  it('when every entry of the roster has ended, then the rendered roster has no member key (R4 JSON has no empty arrays) and conforms', () => {
    const group = groupWithMembers(rosterHeader(), list, entries.map((e) => ({ ...e, end: '2025-12-31' })), '2026-03-02');
    expect('member' in group).toBe(false);
    expectConforms(group, registry);
  });
});

// What the server stores for a roster and serves on a read of it, written through the FHIR engine (which
// validates against the loaded profiles) the way the attribution rebuild does (list + entries, then publish()).
describe('PDex Provider Group profile: the roster Group the server stores and serves', () => {
  let pa: ProviderAccessHarness;
  let stored: Group;
  let served: Group;

  beforeAll(async () => {
    pa = await openProviderAccess();
    await pa.api.attribution.lists.put(list);
    for (const entry of entries) await pa.api.attribution.members.put(entry);
    await pa.api.publish(list);
    const record = await pa.store.current('Group', list._id);
    if (!record?.res) throw new Error('publish() stored no Group');
    stored = record.res as Group;
    served = JSON.parse((await pa.api.renderers.Group(record)) as string) as Group;
  });

  afterAll(async () => {
    await pa?.close();
  });

  it('when a roster is published, then the stored Group claims pdex-provider-group and conforms', () => {
    expect(stored.meta?.profile).toEqual([P]);
    expect(stored.quantity).toBe(2);
    expectConforms(stored, registry);
  });

  it('when the published roster is read, then the served Group carries its members and conforms', () => {
    expect(served.meta?.profile).toEqual([P]);
    expect(served.member?.map((m) => m.entity.reference)).toEqual(['Patient/member-1', 'Patient/member-2']);
    expectConforms(served, registry);
  });
});
