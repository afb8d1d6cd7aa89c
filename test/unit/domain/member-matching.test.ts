import { describe, expect, it } from 'vitest';
import type { Coverage, Patient } from '@medplum/fhirtypes';
import { configProblems, decide, DEFAULT_MATCH_CONFIG, matchValues, normalisedName, scoreCandidate, type MatchConfig } from '../../../src/domain/member-matching.js';
import { IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';
import { ConfigError, loadConfig } from '../../../src/config.js';

const ours = (id: string, over: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: `M-${id}` }],
  name: [{ family: 'Doña-Smith', given: ['María', 'José'] }],
  birthDate: '1984-03-09',
  gender: 'female',
  address: [{ postalCode: '02118-1234' }],
  telecom: [{ system: 'phone', value: '(617) 555-0101' }],
  ...over,
});

/** What another payer sends: their own Patient shape, our member ID (if any) on the Coverage to match. */
const request = (over: Partial<Patient> = {}, subscriberId?: string): { patient: Patient; coverage: Coverage } => ({
  patient: { resourceType: 'Patient', name: [{ family: 'DONA SMITH', given: ['Maria'] }], birthDate: '1984-03-09', gender: 'female', ...over },
  coverage: { resourceType: 'Coverage', status: 'active', beneficiary: { reference: 'Patient/1' }, payor: [{ reference: 'Organization/x' }], ...(subscriberId ? { subscriberId } : {}) },
});

const score = (config: MatchConfig, req: { patient: Patient; coverage: Coverage }, candidate: Patient) => scoreCandidate(config, matchValues(req.patient, req.coverage), candidate.id as string, matchValues(candidate));

describe('member matching (default program rule)', () => {
  it('when last name, first name, birth date and gender agree (case, accents and punctuation aside), then the candidate scores the threshold and matches', () => {
    const s = score(DEFAULT_MATCH_CONFIG, request(), ours('a'));
    expect(s).toMatchObject({ eligible: true, score: 80, fields: { family: 'equal', given: 'equal', birthDate: 'equal', gender: 'equal', memberId: 'missing' } });
    expect(decide(DEFAULT_MATCH_CONFIG, [s])).toEqual({ outcome: 'matched', patient: 'a', score: 80 });
  });

  it('when the request carries our member ID, then the same ID confirms (100) and a different one sinks the score below the threshold', () => {
    expect(score(DEFAULT_MATCH_CONFIG, request({}, 'M-a'), ours('a')).score).toBe(100);
    const wrong = score(DEFAULT_MATCH_CONFIG, request({}, 'M-zzz'), ours('a'));
    expect(wrong).toMatchObject({ score: 60, fields: { memberId: 'different' } });
    expect(decide(DEFAULT_MATCH_CONFIG, [wrong])).toEqual({ outcome: 'none' });
  });

  it("when the requester's own member ID (MB on their Patient) differs from ours, then it is not read as a member ID; ours on their Patient or on the Coverage is", () => {
    const theirs = request({ identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'http://new-payer.example/member', value: 'NP-77' }] });
    expect(score(DEFAULT_MATCH_CONFIG, theirs, ours('a'))).toMatchObject({ score: 80, fields: { memberId: 'missing' } });
    const oursOnPatient = request({ identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: 'M-a' }] });
    expect(score(DEFAULT_MATCH_CONFIG, oursOnPatient, ours('a')).score).toBe(100);
    const typedOnCoverage = request();
    typedOnCoverage.coverage.identifier = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'http://old-payer.example', value: 'M-a' }];
    expect(score(DEFAULT_MATCH_CONFIG, typedOnCoverage, ours('a')).score).toBe(100);
  });

  it('when a required field is missing or different, then the candidate is not eligible whatever else agrees', () => {
    const noGender = score(DEFAULT_MATCH_CONFIG, request({ gender: undefined }, 'M-a'), ours('a'));
    expect(noGender.eligible).toBe(false);
    expect(decide(DEFAULT_MATCH_CONFIG, [noGender])).toEqual({ outcome: 'none' });
    const otherBirth = score(DEFAULT_MATCH_CONFIG, request({ birthDate: '1984-03-10' }, 'M-a'), ours('a'));
    expect(otherBirth).toMatchObject({ eligible: false, fields: { birthDate: 'different' } });
  });

  it('when two members fit the request equally, then the result is ambiguous and names both, never the first', () => {
    const twins = [score(DEFAULT_MATCH_CONFIG, request(), ours('b')), score(DEFAULT_MATCH_CONFIG, request(), ours('a'))];
    expect(decide(DEFAULT_MATCH_CONFIG, twins)).toEqual({ outcome: 'ambiguous', patients: ['a', 'b'] });
    // The member ID tells them apart.
    const withId = [score(DEFAULT_MATCH_CONFIG, request({}, 'M-b'), ours('b')), score(DEFAULT_MATCH_CONFIG, request({}, 'M-b'), ours('a'))];
    expect(decide(DEFAULT_MATCH_CONFIG, withId)).toEqual({ outcome: 'matched', patient: 'b', score: 100 });
  });

  it('when names differ only by case, accents, spaces and punctuation, then normalised comparison treats them as equal and exact does not', () => {
    expect(normalisedName("O'Brien-Smith")).toBe(normalisedName('obrien smith'));
    const exact: MatchConfig = { ...DEFAULT_MATCH_CONFIG, rules: DEFAULT_MATCH_CONFIG.rules.map((r) => (r.field === 'family' ? { ...r, compare: 'exact' } : r)) };
    expect(score(exact, request(), ours('a')).fields.family).toBe('different');
    expect(score(exact, request({ name: [{ family: 'Doña-Smith', given: ['María'] }] }), ours('a')).fields.family).toBe('equal');
  });
});

describe('member matching (configured rules)', () => {
  const weighted: MatchConfig = {
    rules: [
      { field: 'family', compare: 'normalised', weight: 30, required: true },
      { field: 'birthDate', compare: 'exact', weight: 30, required: true },
      { field: 'given', compare: 'normalised', weight: 10, required: false },
      { field: 'postalCode', compare: 'exact', weight: 15, required: false },
      { field: 'phone', compare: 'exact', weight: 15, required: false },
    ],
    threshold: 75,
  };

  it('when optional fields agree or differ, then each adds or subtracts its weight and the threshold decides', () => {
    // family + birth + given + postal (02118 from 02118-1234) = 85.
    const near = score(weighted, request({ address: [{ postalCode: '02118' }] }), ours('a'));
    expect(near).toMatchObject({ score: 85, fields: { postalCode: 'equal', phone: 'missing' } });
    expect(decide(weighted, [near]).outcome).toBe('matched');
    // A different phone (digits compared: "(617) 555-0101" = "6175550101") costs 15: 70 < 75.
    const far = score(weighted, request({ address: [{ postalCode: '02118' }], telecom: [{ system: 'phone', value: '617-555-9999' }] }), ours('a'));
    expect(far.score).toBe(70);
    expect(decide(weighted, [far]).outcome).toBe('none');
    const samePhone = score(weighted, request({ telecom: [{ system: 'phone', value: '+1 617 555 0101' }] }), ours('a'));
    expect(samePhone.fields.phone).toBe('equal');
  });

  it('when a configuration cannot work (unreachable threshold, repeated field, no evidence needed), then configProblems says why and loadConfig refuses it', () => {
    expect(configProblems(DEFAULT_MATCH_CONFIG)).toEqual([]);
    expect(configProblems({ rules: [{ field: 'family', compare: 'exact', weight: 10, required: true }], threshold: 20 })[0]).toMatch(/above the best possible score/);
    expect(configProblems({ rules: [{ field: 'gender', compare: 'exact', weight: 10, required: false }, { field: 'gender', compare: 'exact', weight: 10, required: false }], threshold: 15 })).toContain('gender has two rules');
    expect(configProblems({ rules: [{ field: 'gender', compare: 'exact', weight: 10, required: false }, { field: 'family', compare: 'exact', weight: 10, required: false }], threshold: 10 })[0]).toMatch(/more than one field/);
    expect(() => loadConfig({ MEMBER_MATCH_RULES: '{"rules":[{"field":"family","compare":"exact","weight":10}],"threshold":50}' })).toThrow(ConfigError);
    expect(() => loadConfig({ MEMBER_MATCH_RULES: 'not json' })).toThrow(/MEMBER_MATCH_RULES/);
    expect(() => loadConfig({ MEMBER_MATCH_RULES: '{"rules":[{"field":"ssn","compare":"exact","weight":10}],"threshold":5}' })).toThrow(ConfigError);
    expect(loadConfig({ MEMBER_MATCH_RULES: JSON.stringify(weighted) }).memberMatchRules).toEqual(weighted);
    expect(loadConfig({}).memberMatchRules).toBeUndefined();
  });
});
