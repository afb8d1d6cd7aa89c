import { describe, expect, it } from 'vitest';
import { describeScope, grantableScopes, intersectScope, parseScope, parseScopes, scopeCovers, type ResourceScope } from '../../../src/auth/scopes.js';

const letters = (s: ResourceScope | undefined): string => (s ? ['c', 'r', 'u', 'd', 's'].filter((l) => s.letters.has(l as never)).join('') : '-');
const must = (text: string): ResourceScope => {
  const s = parseScope(text);
  if (!s) throw new Error(`test scope ${text} does not parse`);
  return s;
};

describe('parseScope', () => {
  it.each([
    // text, context, type, letters, version, canonical text
    ['patient/*.read', 'patient', '*', 'rs', 1, 'patient/*.read'],
    ['user/Observation.write', 'user', 'Observation', 'cud', 1, 'user/Observation.write'],
    ['system/*.*', 'system', '*', 'cruds', 1, 'system/*.*'],
    ['patient/ExplanationOfBenefit.rs', 'patient', 'ExplanationOfBenefit', 'rs', 2, 'patient/ExplanationOfBenefit.rs'],
    ['user/*.cruds', 'user', '*', 'cruds', 2, 'user/*.cruds'],
    ['system/Coverage.s', 'system', 'Coverage', 's', 2, 'system/Coverage.s'],
    ['patient/Patient.cd', 'patient', 'Patient', 'cd', 2, 'patient/Patient.cd'],
  ] as const)('when the scope is %s, then it is %s/%s with letters %s (v%s), canonically %s', (text, context, type, want, version, canonical) => {
    const s = parseScope(text);
    expect(s?.context).toBe(context);
    expect(s?.type).toBe(type);
    expect(letters(s)).toBe(want);
    expect(s?.version).toBe(version);
    expect(s?.text).toBe(canonical);
    expect(s?.query).toBeUndefined();
  });

  it.each([
    ['patient/Observation.sr', 'letters out of cruds order'],
    ['patient/Observation.rr', 'a repeated letter'],
    ['patient/Observation.', 'no letters'],
    ['patient/Observation.x', 'an unknown letter'],
    ['patient/Observation.Read', 'a v1 suffix in the wrong case'],
    ['patient/observation.rs', 'a type not starting with a capital'],
    ['patient/O.rs', 'a one-letter type'],
    ['patient/Obs3rvation.rs', 'a digit in the type'],
    ['member/Observation.rs', 'an unknown context'],
    ['patient/Observation', 'no permission part'],
    ['patient/*.read?category=laboratory', 'a query on a v1 scope'],
    ['patient/Observation.rs?', 'an empty query'],
    ['patient/Observation.rs?category', 'a query pair without a value'],
    ['patient/Observation.rs?=laboratory', 'a query pair without a name'],
    ['patient/Observation.rs?category=', 'an empty value'],
    ['patient/Observation.rs?category=%E0%A4%A', 'a malformed percent escape'],
    ['patient/Observation.rs ', 'whitespace'],
    ['openid', 'not a resource scope'],
    ['launch/patient', 'a launch scope'],
  ])('when the scope is %s (%s), then it is not a resource scope', (text) => {
    expect(parseScope(text)).toBeUndefined();
  });

  it('when a v2 scope carries a query, then its pairs are URL-decoded and the canonical text re-encodes only what must be', () => {
    const s = parseScope('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&code=a%26b%3Dc');
    expect(s?.query).toEqual([
      ['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory'],
      ['code', 'a&b=c'],
    ]);
    expect(s?.text).toBe('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&code=a%26b%3Dc');
    expect(parseScope(s!.text)?.query).toEqual(s?.query);
  });
});

describe('parseScopes', () => {
  it('when a scope string mixes every kind, then each lands in its place and unknown tokens are kept', () => {
    const p = parseScopes('openid fhirUser launch launch/patient launch/encounter offline_access online_access patient/*.rs user/Coverage.read bogus patient/Observation.sr');
    expect(p).toMatchObject({ openid: true, fhirUser: true, launch: true, launchPatient: true, launchEncounter: true, offlineAccess: true, onlineAccess: true });
    expect(p.resource.map((s) => s.text)).toEqual(['patient/*.rs', 'user/Coverage.read']);
    expect(p.other).toEqual(['bogus', 'patient/Observation.sr']);
  });

  it('when the scope is absent or blank, then nothing is granted', () => {
    for (const scope of [undefined, '', '   ']) {
      const p = parseScopes(scope);
      expect(p.resource).toEqual([]);
      expect([p.openid, p.fhirUser, p.launch, p.launchPatient, p.offlineAccess, p.onlineAccess]).toEqual([false, false, false, false, false, false]);
      expect(p.other).toEqual([]);
    }
  });
});

describe('scopeCovers', () => {
  it.each([
    ['patient/*.rs', 'patient/Observation.rs', true],
    ['patient/*.read', 'patient/Observation.r', true],
    ['patient/Observation.rs', 'patient/*.rs', false],
    ['patient/Observation.rs', 'patient/Coverage.rs', false],
    ['patient/*.rs', 'patient/Observation.rud', false],
    ['patient/*.cruds', 'user/*.r', false],
    ['user/*.rs', 'patient/*.rs', false],
    ['patient/Observation.rs', 'patient/Observation.rs?category=laboratory', true],
    ['patient/Observation.rs?category=laboratory', 'patient/Observation.rs', false],
    ['patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory&code=1234-5', true],
    ['patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=vital-signs', false],
  ])('when %s is granted and %s is asked, then covered is %s', (granted, requested, want) => {
    expect(scopeCovers(must(granted), must(requested))).toBe(want);
  });
});

describe('intersectScope', () => {
  it.each([
    ['patient/*.cruds', 'patient/*.rs', 'patient/*.rs'],
    ['patient/*.read', 'patient/Observation.cruds', 'patient/Observation.read'],
    ['patient/*.*', 'patient/*.rs', 'patient/*.read'],
    ['patient/*.write', 'patient/Observation.cu', 'patient/Observation.cu'],
    ['patient/Observation.rs', 'patient/*.r', 'patient/Observation.r'],
    ['patient/Observation.cud', 'patient/Observation.rs', undefined],
    ['patient/Observation.rs', 'patient/Coverage.rs', undefined],
    ['user/*.rs', 'patient/*.rs', undefined],
    ['patient/Observation.rs', 'patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory'],
    ['patient/Observation.rs?category=laboratory', 'patient/Observation.rs', 'patient/Observation.rs?category=laboratory'],
    ['patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory'],
    ['patient/Observation.rs?category=laboratory&code=1', 'patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory&code=1'],
    ['patient/Observation.rs?category=vital-signs', 'patient/Observation.rs?category=laboratory', undefined],
    ['patient/*.read', 'patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=laboratory'],
  ])('when %s is asked and %s is allowed, then %s is what may be granted', (requested, allowed, want) => {
    expect(intersectScope(must(requested), must(allowed))?.text).toBe(want);
  });

  it('when a narrowed piece is granted, then the allowed scope covers it and it covers no more than was asked', () => {
    const asked = must('patient/*.cruds');
    const allowed = must('patient/ExplanationOfBenefit.rs');
    const piece = intersectScope(asked, allowed)!;
    expect(scopeCovers(allowed, piece)).toBe(true);
    expect(scopeCovers(asked, piece)).toBe(true);
  });
});

describe('grantableScopes', () => {
  const allowed = ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/*.rs', 'patient/Observation.rs?category=laboratory', 'patient/Coverage.cruds'];

  it('when an app asks within what it is allowed, then it gets exactly that', () => {
    expect(grantableScopes('launch/patient openid fhirUser patient/ExplanationOfBenefit.rs', allowed)).toEqual({
      granted: ['launch/patient', 'openid', 'fhirUser', 'patient/ExplanationOfBenefit.rs'],
      dropped: [],
    });
  });

  it('when an app asks for write on everything, then it gets read/search everywhere plus the writes it is allowed, and the ask is reported as not granted in full', () => {
    const { granted, dropped } = grantableScopes('patient/*.cruds', allowed);
    expect(granted).toEqual(['patient/*.rs', 'patient/Coverage.cruds']);
    expect(dropped).toEqual(['patient/*.cruds']);
  });

  it.each([
    ['user/*.rs', 'a user/ scope when only patient/ is allowed'],
    ['system/*.rs', 'a system/ scope'],
    ['patient/Observation.d', 'a letter no allowed scope has'],
    ['online_access', 'a non-resource scope not allowed'],
    ['launch', 'EHR launch when only standalone is allowed'],
    ['patient/Observation.rs?category=laboratory,vital-signs', 'a query wider than the allowed one'],
    ['patient/Observation.sr', 'a malformed scope'],
    ['admin', 'an unknown token'],
  ])('when an app asks for %s (%s), then nothing of it is granted', (asked) => {
    expect(grantableScopes(asked, ['launch/patient', 'patient/Observation.rs?category=laboratory', 'patient/Coverage.rs'])).toEqual({ granted: [], dropped: [asked] });
  });

  it('when an app asks for an unrestricted type the allowed scopes restrict, then it gets the restricted form', () => {
    expect(grantableScopes('patient/Observation.rs', ['patient/Observation.rs?category=laboratory'])).toEqual({
      granted: ['patient/Observation.rs?category=laboratory'],
      dropped: ['patient/Observation.rs'],
    });
  });

  it('when pieces repeat or one covers another, then each is granted once and covered pieces are dropped', () => {
    const { granted } = grantableScopes('patient/Observation.rs patient/Observation.read patient/*.rs', ['patient/*.rs', 'patient/Observation.rs']);
    expect(granted).toEqual(['patient/*.rs']);
  });

  it('when a v1 scope is asked, then the grant keeps the v1 form where the letters allow it', () => {
    expect(grantableScopes('patient/*.read', ['patient/*.cruds']).granted).toEqual(['patient/*.read']);
    expect(grantableScopes('patient/*.*', ['patient/*.rs']).granted).toEqual(['patient/*.read']);
    expect(grantableScopes('patient/*.write', ['patient/*.cu']).granted).toEqual(['patient/*.cu']);
  });

  it('when nothing is asked, then nothing is granted', () => {
    expect(grantableScopes('', allowed)).toEqual({ granted: [], dropped: [] });
  });
});

describe('describeScope', () => {
  it.each([
    ['patient/ExplanationOfBenefit.rs', 'Read and search your claims and explanations of benefit'],
    ['patient/ExplanationOfBenefit.read', 'Read and search your claims and explanations of benefit'],
    ['patient/Coverage.cruds', 'Create, read, update, delete and search your insurance coverage'],
    ['patient/Observation.r', 'Read your test results and measurements'],
    ['patient/*.rs', 'Read and search all your health and insurance records'],
    ['user/Condition.rs', 'Read and search health conditions you have access to'],
    ['system/MedicationRequest.s', 'Search prescriptions of any member, as a system without a user'],
    ['patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', 'Read and search your test results and measurements (only with category laboratory)'],
    ['patient/Observation.rs?category=laboratory,vital-signs&status=final', 'Read and search your test results and measurements (only with category laboratory or vital-signs and status final)'],
    ['patient/Basic.rs', 'Read and search your Basic records'],
  ])('when the scope is %s, then it reads "%s"', (text, want) => {
    expect(describeScope(text)).toBe(want);
  });

  it('when the scope is an identity, launch or refresh scope, then it is described in words, never echoed', () => {
    for (const s of ['openid', 'fhirUser', 'offline_access', 'online_access', 'launch', 'launch/patient']) {
      const d = describeScope(s);
      expect(d).not.toMatch(/unrecognised/i);
      expect(d.split(' ').length).toBeGreaterThan(3);
    }
    expect(describeScope('offline_access')).not.toBe(describeScope('online_access'));
  });

  it('when the scope is not understood, then the text says so', () => {
    expect(describeScope('patient/Observation.sr')).toMatch(/unrecognised/i);
  });
});
