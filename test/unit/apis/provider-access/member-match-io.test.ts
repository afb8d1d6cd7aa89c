import type { Consent, Coverage, Group, Parameters, ParametersParameter, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import {
  MATCH_PARAMETERS_EXTENSION,
  attestingNpis,
  consentConstrainedGroup,
  matchedMembersGroup,
  memberMatchResponse,
  nonMatchedMembersGroup,
  parseProviderMemberMatch,
  type GroupContext,
  type MatchResult,
  type MemberToMatch,
} from '../../../../src/apis/provider-access/member-match-io.js';
import { FhirError } from '../../../../src/fhir/outcome.js';
import { DAVINCI_PROFILE } from '../../../../src/domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../../../src/domain/systems.js';

const RESULT_CS = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS';

/**
 * PDex 2.2.0 example ProviderMemberMatchRequestExample, trimmed (narratives, telecom, address and the
 * second coverage class dropped): HL7/davinci-epdx input/fsh/ExampleProviderMemberMatchRequest.fsh at
 * commit 0fcdfea (the 2.2.0 parameter names MemberBundle / Consent).
 */
const PDEX_EXAMPLE_REQUEST = {
  resourceType: 'Parameters',
  id: 'provider-member-match-request-001',
  meta: { profile: ['http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/provider-parameters-multi-member-match-bundle-in'] },
  parameter: [
    {
      name: 'MemberBundle',
      part: [
        {
          name: 'MemberPatient',
          resource: {
            resourceType: 'Patient',
            id: 'patient-prov-001',
            identifier: [{ system: 'http://example.org/provider-org/patient-ids', value: 'PAT-001' }],
            name: [{ use: 'official', family: 'Johnson', given: ['Robert', 'Michael'] }],
            gender: 'male',
            birthDate: '1965-08-15',
          },
        },
        {
          name: 'CoverageToMatch',
          resource: {
            resourceType: 'Coverage',
            id: 'coverage-to-match-001',
            status: 'draft',
            subscriberId: '12345678',
            beneficiary: { reference: 'Patient/patient-prov-001' },
            payor: [{ identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '9876543210' } }],
          },
        },
        {
          name: 'Consent',
          resource: {
            resourceType: 'Consent',
            id: 'treatment-attestation-001',
            status: 'active',
            scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] },
            category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
            patient: { reference: 'Patient/patient-prov-001' },
            dateTime: '2024-12-10T14:30:00Z',
            performer: [{ reference: 'Practitioner/provider-001', display: 'Dr. Susan Smith, MD' }],
            organization: [{ reference: 'Organization/provider-org-001' }],
            provision: {
              type: 'permit',
              period: { start: '2024-01-15' },
              purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
            },
          },
        },
      ],
    },
    {
      name: 'MemberBundle',
      part: [
        {
          name: 'MemberPatient',
          resource: {
            resourceType: 'Patient',
            id: 'patient-prov-002',
            name: [{ use: 'official', family: 'Williams', given: ['Sarah', 'Elizabeth'] }],
            gender: 'female',
            birthDate: '1978-03-22',
          },
        },
        {
          name: 'CoverageToMatch',
          resource: { resourceType: 'Coverage', id: 'coverage-to-match-002', status: 'draft', subscriberId: '87654321' },
        },
        {
          name: 'Consent',
          resource: {
            resourceType: 'Consent',
            id: 'treatment-attestation-002',
            status: 'active',
            patient: { reference: 'Patient/patient-prov-002' },
            dateTime: '2024-12-09T10:15:00Z',
            performer: [{ reference: 'Practitioner/provider-002' }],
            provision: { type: 'permit', period: { start: '2024-02-01' } },
          },
        },
      ],
    },
  ],
};

const ORG_NPI = '1982947230';

function aPatient(id = 'emr-1'): Patient {
  return { resourceType: 'Patient', id, name: [{ family: 'Doe', given: ['Jane'] }], gender: 'female', birthDate: '1980-01-02' };
}

function aCoverage(subscriberId = '100200300400'): Coverage {
  return {
    resourceType: 'Coverage',
    status: 'active',
    subscriberId,
    beneficiary: { reference: 'Patient/emr-1' },
    payor: [{ display: 'MassHealth' }],
  };
}

function anAttestation(overrides: Partial<Consent> = {}): Consent {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: CODE_SYSTEM.consentScope, code: 'treatment' }] },
    category: [{ coding: [{ system: CODE_SYSTEM.actCode, code: 'IDSCL' }] }],
    patient: { reference: 'Patient/emr-1' },
    dateTime: '2025-03-01T09:00:00Z',
    performer: [{ identifier: { system: IDENTIFIER_SYSTEM.npi, value: ORG_NPI } }],
    provision: { type: 'permit' },
    ...overrides,
  };
}

type PartResource = Patient | Coverage | Consent | { resourceType: string };

function aMemberBundle(parts: Record<string, PartResource | undefined>): ParametersParameter {
  return {
    name: 'MemberBundle',
    part: Object.entries(parts)
      .filter((entry): entry is [string, PartResource] => entry[1] !== undefined)
      .map(([name, resource]) => ({ name, resource: resource as Patient })),
  };
}

function aGoodMember(): ParametersParameter {
  return aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: anAttestation() });
}

function request(...parameter: ParametersParameter[]): Parameters {
  return { resourceType: 'Parameters', parameter };
}

function failure(run: () => unknown): FhirError {
  try {
    run();
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
  throw new Error('expected a FhirError');
}

describe('parseProviderMemberMatch: a well-formed request', () => {
  it('when the PDex 2.2.0 example request is parsed, then each MemberBundle becomes a member with its parts', () => {
    const members = parseProviderMemberMatch(PDEX_EXAMPLE_REQUEST, 100);
    expect(members).toHaveLength(2);
    expect(members.map((m) => m.index)).toEqual([0, 1]);
    expect(members[0].patient.name?.[0].family).toBe('Johnson');
    expect(members[0].coverage.subscriberId).toBe('12345678');
    expect(members[0].attestation.id).toBe('treatment-attestation-001');
    expect(members[0].coverageToLink).toBeUndefined();
    expect(members[1].patient.id).toBe('patient-prov-002');
    expect(members[1].coverage.id).toBe('coverage-to-match-002');
  });

  it('when a member also carries CoverageToLink, then it is mapped, whatever the order of the parts', () => {
    const link = aCoverage('999');
    const [member] = parseProviderMemberMatch(
      request(aMemberBundle({ Consent: anAttestation(), CoverageToLink: link, MemberPatient: aPatient(), CoverageToMatch: aCoverage() })),
      10,
    );
    expect(member.coverageToLink?.subscriberId).toBe('999');
    expect(member.coverage.subscriberId).toBe('100200300400');
    expect(member.attestation.resourceType).toBe('Consent');
  });

  it('when exactly maxMembers are submitted, then all are accepted', () => {
    expect(parseProviderMemberMatch(request(aGoodMember(), aGoodMember()), 2)).toHaveLength(2);
  });
});

describe('parseProviderMemberMatch: 400 for a request that is not a $provider-member-match', () => {
  it.each([
    ['a Bundle', { resourceType: 'Bundle', type: 'collection' }],
    ['null', null],
    ['a string', 'Parameters'],
    ['an array', [{ resourceType: 'Parameters' }]],
  ])('when the body is %s, then 400', (_label, body) => {
    const err = failure(() => parseProviderMemberMatch(body, 10));
    expect(err.status).toBe(400);
    expect(err.issues[0].code).toBe('invalid');
  });

  it('when Parameters has no parameter or an empty list, then 400 (MemberBundle 1..*)', () => {
    expect(failure(() => parseProviderMemberMatch({ resourceType: 'Parameters' }, 10)).status).toBe(400);
    const err = failure(() => parseProviderMemberMatch(request(), 10));
    expect(err.status).toBe(400);
    expect(err.message).toContain('MemberBundle');
  });

  it('when Parameters.parameter is not an array, then 400', () => {
    expect(failure(() => parseProviderMemberMatch({ resourceType: 'Parameters', parameter: { name: 'MemberBundle' } }, 10)).status).toBe(400);
  });

  it('when an unknown parameter is sent, then 400 naming it, even next to good members', () => {
    const err = failure(() => parseProviderMemberMatch(request(aGoodMember(), { name: 'Foo', valueString: 'x' }), 10));
    expect(err.status).toBe(400);
    expect(err.message).toContain("'Foo'");
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[1]']);
  });

  it('when the 2.1.1 draft name MembersToMatch is used, then 400 says the 2.2.0 name', () => {
    const err = failure(() => parseProviderMemberMatch(request({ ...aGoodMember(), name: 'MembersToMatch' }), 10));
    expect(err.status).toBe(400);
    expect(err.message).toContain("calls it 'MemberBundle'");
  });

  it('when more than maxMembers are submitted, then 400 too-costly before any member is checked', () => {
    const err = failure(() => parseProviderMemberMatch(request(aGoodMember(), aGoodMember(), { name: 'MemberBundle' }), 2));
    expect(err.status).toBe(400);
    expect(err.issues[0].code).toBe('too-costly');
    expect(err.message).toContain('at most 2');
  });
});

describe('parseProviderMemberMatch: 422 with one issue per bad member', () => {
  function issuesFor(...parameter: ParametersParameter[]): FhirError {
    const err = failure(() => parseProviderMemberMatch(request(...parameter), 10));
    expect(err.status).toBe(422);
    return err;
  }

  it.each([
    ['MemberPatient', { CoverageToMatch: aCoverage(), Consent: anAttestation() }],
    ['CoverageToMatch', { MemberPatient: aPatient(), Consent: anAttestation() }],
    ['Consent', { MemberPatient: aPatient(), CoverageToMatch: aCoverage() }],
  ])('when %s is missing, then the issue names it at the MemberBundle', (part, parts) => {
    const err = issuesFor(aGoodMember(), aMemberBundle(parts));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].diagnostics).toContain(`MemberBundle 1: part ${part} is missing`);
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[1]']);
  });

  it('when a part holds the wrong resource type, then the issue points at that part', () => {
    const err = issuesFor(aMemberBundle({ MemberPatient: aCoverage(), CoverageToMatch: aPatient(), Consent: anAttestation() }));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].diagnostics).toContain('part MemberPatient must be a Patient, not Coverage');
    expect(err.issues[0].diagnostics).toContain('part CoverageToMatch must be a Coverage, not Patient');
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[0].part[0].resource', 'Parameters.parameter[0].part[1].resource']);
  });

  it('when the Consent part is not a Consent, then it is reported once (not also as missing)', () => {
    const err = issuesFor(aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: { resourceType: 'Task' } }));
    expect(err.issues[0].diagnostics).toContain('part Consent must be a Consent, not Task');
    expect(err.issues[0].diagnostics).not.toContain('missing');
  });

  it('when the attestation denies instead of permitting, then 422 at provision.type', () => {
    const err = issuesFor(aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: anAttestation({ provision: { type: 'deny' } }) }));
    expect(err.issues[0].diagnostics).toContain("provision.type 'permit', not 'deny'");
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[0].part[2].resource.provision.type']);
  });

  it('when the attestation is inactive, then 422 at status', () => {
    const err = issuesFor(aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: anAttestation({ status: 'inactive' }) }));
    expect(err.issues[0].diagnostics).toContain("status 'active', not 'inactive'");
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[0].part[2].resource.status']);
  });

  it('when the attestation has no performer, no dateTime or no provision, then each is reported in the member issue', () => {
    const bad = anAttestation();
    delete bad.performer;
    delete bad.dateTime;
    delete bad.provision;
    const err = issuesFor(aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: bad }));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].expression).toEqual([
      'Parameters.parameter[0].part[2].resource.provision.type',
      'Parameters.parameter[0].part[2].resource.dateTime',
      'Parameters.parameter[0].part[2].resource.performer',
    ]);
  });

  it('when the performer is empty or the dateTime is not a FHIR dateTime, then 422', () => {
    const err = issuesFor(
      aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: anAttestation({ performer: [{ display: 'Dr. X' }] }) }),
      aMemberBundle({ MemberPatient: aPatient(), CoverageToMatch: aCoverage(), Consent: anAttestation({ dateTime: 'yesterday' }) }),
    );
    expect(err.issues.map((i) => i.expression)).toEqual([
      ['Parameters.parameter[0].part[2].resource.performer'],
      ['Parameters.parameter[1].part[2].resource.dateTime'],
    ]);
  });

  it('when two members are bad and one is good, then exactly two issues, in request order', () => {
    const err = issuesFor(
      aMemberBundle({ CoverageToMatch: aCoverage(), Consent: anAttestation() }),
      aGoodMember(),
      { name: 'MemberBundle' },
    );
    expect(err.issues).toHaveLength(2);
    expect(err.issues[0].diagnostics).toMatch(/^MemberBundle 0:/);
    expect(err.issues[1].diagnostics).toMatch(/^MemberBundle 2:/);
    expect(err.issues.every((i) => i.code === 'invalid')).toBe(true);
  });

  it('when a part repeats or has an unknown name, then 422 at that part; the draft name TreatmentAttestation gets a hint', () => {
    const member = aGoodMember();
    member.part?.push({ name: 'MemberPatient', resource: aPatient() }, { name: 'TreatmentAttestation', resource: anAttestation() });
    const err = issuesFor(member);
    expect(err.issues[0].diagnostics).toContain('part MemberPatient appears more than once');
    expect(err.issues[0].diagnostics).toContain("calls it 'Consent'");
    expect(err.issues[0].expression).toEqual(['Parameters.parameter[0].part[3]', 'Parameters.parameter[0].part[4]']);
  });
});

describe('attestingNpis', () => {
  it('when a performer carries an NPI identifier, then it is returned (other identifier systems are not)', () => {
    const consent = anAttestation({
      performer: [
        { identifier: { system: IDENTIFIER_SYSTEM.npi, value: '1234567893' } },
        { identifier: { system: 'http://example.org/staff', value: 'S-1' } },
        { reference: 'Practitioner/p9' },
      ],
    });
    expect(attestingNpis(consent)).toEqual(['1234567893']);
  });

  it('when a performer is a local reference, then the contained resource NPI is returned, once', () => {
    const consent = anAttestation({
      contained: [
        { resourceType: 'Practitioner', id: 'doc', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: '1234567893' }] },
        { resourceType: 'Organization', id: 'org', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: ORG_NPI }] },
        { resourceType: 'Patient', id: 'pat', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: '1111111112' }] },
      ],
      performer: [
        { reference: '#doc' },
        { reference: '#org' },
        { reference: '#pat' },
        { reference: '#missing' },
        { identifier: { system: IDENTIFIER_SYSTEM.npi, value: '1234567893' } },
      ],
    });
    expect(attestingNpis(consent)).toEqual(['1234567893', ORG_NPI]);
  });

  it('when the PDex example names its performer by a plain reference, then no NPI is found', () => {
    const [member] = parseProviderMemberMatch(PDEX_EXAMPLE_REQUEST, 10);
    expect(attestingNpis(member.attestation)).toEqual([]);
  });
});

describe('result Groups and the response Parameters', () => {
  const now = new Date('2025-06-02T15:04:05.000Z');
  const ctx: GroupContext = {
    organization: { reference: 'Organization/org-1', npi: ORG_NPI, display: 'Springfield Medical Center' },
    payer: { reference: 'Organization/payer', display: 'MassHealth' },
    now,
  };

  function aMember(index: number, patientId: string): MemberToMatch {
    const patient: Patient = {
      ...aPatient(patientId),
      meta: { versionId: '7', lastUpdated: '2025-01-01T00:00:00Z', security: [{ code: 'R' }], profile: ['http://example.org/p'] },
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane</div>' },
      contained: [{ resourceType: 'Organization', id: 'x' }],
    };
    return { index, patient, coverage: aCoverage(), attestation: anAttestation() };
  }

  const result: MatchResult = {
    matched: [{ member: aMember(0, 'emr-1'), patientId: 'pat-100' }],
    nonMatched: [aMember(1, 'emr-2')],
    consentConstrained: [{ member: aMember(2, 'emr-3'), patientId: 'pat-300' }],
  };

  it('when members matched, then the matched Group follows pdex-provider-member-match', () => {
    const group = matchedMembersGroup('match-1', result, ctx);
    expect(group).toMatchObject({
      resourceType: 'Group',
      id: 'match-1',
      meta: { profile: [DAVINCI_PROFILE.pdexProviderMemberMatchGroup] },
      type: 'person',
      actual: true,
      code: { coding: [{ system: RESULT_CS, code: 'match' }] },
      identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: ORG_NPI }],
      managingEntity: { reference: 'Organization/payer', display: 'MassHealth' },
      quantity: 1,
    });
    expect(group.characteristic).toEqual([
      {
        code: { coding: [{ system: RESULT_CS, code: 'match', display: 'Matched' }] },
        valueReference: {
          reference: 'Organization/org-1',
          identifier: { system: IDENTIFIER_SYSTEM.npi, value: ORG_NPI },
          display: 'Springfield Medical Center',
        },
        exclude: false,
        period: { start: '2025-06-02T15:04:05.000Z' },
      },
    ]);
    expect(group.member).toEqual([
      { entity: { reference: 'Patient/pat-100', extension: [{ url: MATCH_PARAMETERS_EXTENSION, valueReference: { reference: '#m0' } }] } },
    ]);
  });

  it('when the submitted Patient is contained, then it has our id and none of the elements a contained resource may not carry', () => {
    const group = matchedMembersGroup('match-1', result, ctx);
    expect(group.contained).toEqual([
      {
        resourceType: 'Patient',
        id: 'm0',
        meta: { profile: ['http://example.org/p'] },
        name: [{ family: 'Doe', given: ['Jane'] }],
        gender: 'female',
        birthDate: '1980-01-02',
      },
    ]);
    expect(JSON.stringify(group)).not.toContain('emr-1');
    expect(result.matched[0].member.patient.id).toBe('emr-1');
  });

  it('when two members were submitted with the same Patient id, then their contained ids still differ', () => {
    const twins: MatchResult = {
      matched: [
        { member: aMember(0, 'same'), patientId: 'a' },
        { member: aMember(3, 'same'), patientId: 'b' },
      ],
      nonMatched: [],
      consentConstrained: [],
    };
    const group = matchedMembersGroup('g', twins, ctx);
    expect(group.contained?.map((r) => r.id)).toEqual(['m0', 'm3']);
    expect(group.quantity).toBe(2);
  });

  it('when members did not match, then the no-match Group contains them and refers to them locally', () => {
    const group = nonMatchedMembersGroup(result, ctx);
    expect(group).toMatchObject({
      meta: { profile: [DAVINCI_PROFILE.pdexProviderMemberNoMatchGroup] },
      code: { coding: [{ system: RESULT_CS, code: 'nomatch' }] },
      type: 'person',
      actual: true,
      identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: ORG_NPI }],
      managingEntity: { reference: 'Organization/payer' },
      quantity: 1,
      member: [{ entity: { reference: '#m1', extension: [{ url: MATCH_PARAMETERS_EXTENSION, valueReference: { reference: '#m1' } }] } }],
    });
    expect(group?.contained?.map((r) => r.id)).toEqual(['m1']);
    expect(nonMatchedMembersGroup({ ...result, nonMatched: [] }, ctx)).toBeUndefined();
  });

  it('when members opted out, then the pdex-member-opt-out Group names them without the payer Patient id', () => {
    const group = consentConstrainedGroup(result, ctx);
    expect(group).toMatchObject({
      meta: { profile: [DAVINCI_PROFILE.pdexMemberOptOut] },
      active: true,
      code: { coding: [{ system: RESULT_CS, code: 'consentconstraint' }] },
      characteristic: [
        {
          code: { coding: [{ system: RESULT_CS, code: 'consentconstraint' }] },
          valueCodeableConcept: { coding: [{ system: CODE_SYSTEM.pdexOptOutScope, code: 'global' }] },
          exclude: false,
        },
      ],
      quantity: 1,
      member: [{ entity: { reference: '#m2' } }],
    });
    expect(JSON.stringify(group)).not.toContain('pat-300');
    expect(consentConstrainedGroup({ ...result, consentConstrained: [] }, ctx)).toBeUndefined();
  });

  it('when all three outcomes occur, then the response carries the three Groups by their PDex names', () => {
    const matched = matchedMembersGroup('match-1', result, ctx);
    const response = memberMatchResponse(result, matched, ctx, { suppressConsentConstrained: false });
    expect(response.meta?.profile).toEqual([DAVINCI_PROFILE.pdexProviderMemberMatchOut]);
    expect(response.parameter?.map((p) => p.name)).toEqual(['MatchedMembers', 'NonMatchedMembers', 'ConsentConstrainedMembers']);
    expect(response.parameter?.[0].resource).toBe(matched);
    expect(response.parameter?.every((p) => p.resource?.resourceType === 'Group' && Object.keys(p).length === 2)).toBe(true);
  });

  it('when consent-constrained members are suppressed (§pdex-261a), then they are reported as not matched, in request order', () => {
    const response = memberMatchResponse(result, matchedMembersGroup('m', result, ctx), ctx, { suppressConsentConstrained: true });
    expect(response.parameter?.map((p) => p.name)).toEqual(['MatchedMembers', 'NonMatchedMembers']);
    const noMatch = response.parameter?.[1].resource as Group;
    expect(noMatch.member?.map((m) => m.entity.reference)).toEqual(['#m1', '#m2']);
    expect(noMatch.quantity).toBe(2);
    expect(JSON.stringify(response)).not.toContain('consentconstraint');
    expect(JSON.stringify(response)).not.toContain('pat-300');
  });

  it('when nothing matched, then MatchedMembers (1..1) is still there: a Group with quantity 0 and no member', () => {
    const none: MatchResult = { matched: [], nonMatched: [aMember(0, 'emr-9')], consentConstrained: [] };
    const matched = matchedMembersGroup('empty', none, ctx);
    expect(matched.member).toBeUndefined();
    expect(matched.contained).toBeUndefined();
    expect(matched.quantity).toBe(0);
    const response = memberMatchResponse(none, matched, ctx, { suppressConsentConstrained: true });
    expect(response.parameter?.map((p) => p.name)).toEqual(['MatchedMembers', 'NonMatchedMembers']);
  });

  it('when every member matched, then the response has MatchedMembers only', () => {
    const all: MatchResult = { ...result, nonMatched: [], consentConstrained: [] };
    const response = memberMatchResponse(all, matchedMembersGroup('g', all, ctx), ctx, { suppressConsentConstrained: false });
    expect(response.parameter?.map((p) => p.name)).toEqual(['MatchedMembers']);
  });
});
