import type { Coverage, ExplanationOfBenefit, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { Query } from 'mingo';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessFor, policyDeps, type MemberReach, type PolicyDeps } from '../../../src/auth/access-policy.js';
import { parseScope, type ResourceScope } from '../../../src/auth/scopes.js';
import type { Access, Interaction } from '../../../src/fhir/access.js';
import { buildRecord } from '../../../src/fhir/rest/stored-record.js';
import { loadSearchRegistry, type SearchRegistry } from '../../../src/fhir/search/registry.js';
import type { FilterDocument, StoredRecord } from '../../../src/store/port.js';

const BASE = 'http://localhost/fhir';
const NOW = new Date('2025-03-01T12:00:00Z');
const ALL_INTERACTIONS: Interaction[] = ['read', 'vread', 'history-instance', 'search', 'history-type', 'create', 'update', 'patch', 'delete'];

let registry: SearchRegistry;
let deps: PolicyDeps;

beforeAll(() => {
  registry = loadSearchRegistry();
  deps = policyDeps(registry, () => NOW);
});

const scopes = (...texts: string[]): ResourceScope[] =>
  texts.map((t) => {
    const s = parseScope(t);
    if (!s) throw new Error(`test scope ${t} does not parse`);
    return s;
  });
const memberA: MemberReach = { kind: 'patient', id: 'A' };
const access = (members: MemberReach, ...texts: string[]): Access => accessFor({ principal: 'client:test', scopes: scopes(...texts), members }, deps);
const allowed = (a: Access, type: string): Interaction[] => ALL_INTERACTIONS.filter((i) => a.allows(type, i));

const record = (resource: Resource): StoredRecord => buildRecord(resource, 1, NOW, registry, BASE);
const admits = (filter: FilterDocument | undefined, r: StoredRecord): boolean => filter === undefined || new Query(filter).test(r as unknown as Record<string, unknown>);

const coverage = (id: string, patient: string): Coverage => ({ resourceType: 'Coverage', id, status: 'active', beneficiary: { reference: `Patient/${patient}` }, payor: [{ reference: 'Organization/payer' }] });
const eob = (id: string, patient: string, from: string, to = from): ExplanationOfBenefit => ({
  resourceType: 'ExplanationOfBenefit',
  id,
  status: 'active',
  type: { text: 'professional' },
  use: 'claim',
  patient: { reference: `Patient/${patient}` },
  created: '2024-01-01',
  insurer: { reference: 'Organization/payer' },
  provider: { reference: 'Organization/clinic' },
  outcome: 'complete',
  insurance: [{ focal: true, coverage: { reference: 'Coverage/c1' } }],
  billablePeriod: { start: from, end: to },
  item: [{ sequence: 1, productOrService: { text: 'visit' }, servicedDate: from }],
});

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const observation = (id: string, patient: string, category: string): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: [{ coding: [{ system: CATEGORY, code: category }] }],
  code: { text: 'x' },
  subject: { reference: `Patient/${patient}` },
});

describe('access policy: SMART letters → interactions', () => {
  it.each([
    ['patient/Observation.r', ['read', 'vread', 'history-instance']],
    ['patient/Observation.s', ['search', 'history-type']],
    ['patient/Observation.c', ['create']],
    ['patient/Observation.u', ['update', 'patch']],
    ['patient/Observation.d', ['delete']],
    ['patient/Observation.read', ['read', 'vread', 'history-instance', 'search', 'history-type']],
    ['patient/Observation.write', ['create', 'update', 'patch', 'delete']],
    ['patient/Observation.cruds', ALL_INTERACTIONS],
  ])('when the only scope is %s, then exactly %j are allowed on Observation', (scope, want) => {
    expect(allowed(access(memberA, scope), 'Observation')).toEqual(want);
  });

  it('when a scope names one type, then other types are not allowed; a wildcard reaches every compartment type', () => {
    const one = access(memberA, 'patient/Observation.rs');
    expect(allowed(one, 'Coverage')).toEqual([]);
    const all = access(memberA, 'patient/*.rs');
    for (const t of ['Observation', 'Coverage', 'ExplanationOfBenefit', 'Claim', 'Encounter']) expect(all.allows(t, 'search')).toBe(true);
  });

  it('when the principal is given, then the Access carries it unchanged', () => {
    expect(access(memberA, 'patient/*.rs').principal).toBe('client:test');
  });
});

describe('access policy: scope context must fit the member reach', () => {
  it('when a patient/ scope is used without a patient in context, then it grants nothing', () => {
    for (const members of [{ kind: 'all' }, { kind: 'none' }] as MemberReach[]) {
      const a = access(members, 'patient/*.cruds');
      expect(allowed(a, 'Observation')).toEqual([]);
      expect(allowed(a, 'Organization')).toEqual([]);
    }
  });

  it('when a user/ scope is used with a patient in context, then it applies within that patient compartment', () => {
    const a = access(memberA, 'user/Observation.rs');
    expect(a.allows('Observation', 'search')).toBe(true);
    const filter = a.filterFor('Observation', 'search');
    expect(admits(filter, record(observation('mine', 'A', 'laboratory')))).toBe(true);
    expect(admits(filter, record(observation('theirs', 'B', 'laboratory')))).toBe(false);
  });

  it('when a system/ scope is used with reach all, then it applies without any member filter', () => {
    const a = access({ kind: 'all' }, 'system/*.rs');
    expect(a.allows('Observation', 'read')).toBe(true);
    expect(a.filterFor('Observation', 'read')).toBeUndefined();
    expect(a.allows('Observation', 'create')).toBe(false);
  });
});

describe('access policy: member reach "patient"', () => {
  const a = (): Access => access(memberA, 'patient/*.cruds');

  it('when the type is in the patient compartment, then every interaction filters to that compartment', () => {
    const mine = { Observation: observation('o1', 'A', 'laboratory'), Coverage: coverage('c1', 'A'), ExplanationOfBenefit: eob('e1', 'A', '2020-05-01') };
    const theirs = { Observation: observation('o2', 'B', 'laboratory'), Coverage: coverage('c2', 'B'), ExplanationOfBenefit: eob('e2', 'B', '2020-05-01') };
    for (const t of ['Observation', 'Coverage', 'ExplanationOfBenefit'] as const) {
      for (const i of ALL_INTERACTIONS) {
        expect(admits(a().filterFor(t, i), record(mine[t]))).toBe(true);
        expect(admits(a().filterFor(t, i), record(theirs[t]))).toBe(false);
      }
    }
  });

  it('when a record of the member has dates of service only before 2016-01-01, then it is not released; one reaching 2016 or without dates is', () => {
    const filter = a().filterFor('ExplanationOfBenefit', 'read');
    expect(admits(filter, record(eob('old', 'A', '2015-12-31')))).toBe(false);
    expect(admits(filter, record(eob('new', 'A', '2016-01-01')))).toBe(true);
    expect(admits(filter, record(eob('straddles', 'A', '2015-12-20', '2016-01-03')))).toBe(true);
    expect(admits(filter, record({ ...eob('undated', 'A', '2020-01-01'), billablePeriod: undefined, item: undefined } as ExplanationOfBenefit))).toBe(true);
    const coverageFilter = a().filterFor('Coverage', 'search');
    expect(admits(coverageFilter, record({ ...coverage('ended', 'A'), period: { start: '2010-01-01', end: '2015-06-30' } }))).toBe(false);
    expect(admits(coverageFilter, record({ ...coverage('open', 'A'), period: { start: '2010-01-01' } }))).toBe(true);
    // Staff (reach all) see everything, however old.
    expect(admits(access({ kind: 'all' }, 'system/*.rs').filterFor('ExplanationOfBenefit', 'read'), record(eob('old', 'A', '2015-12-31')))).toBe(true);
  });

  it('when the type is Patient, then only the member own record is admitted, not one that links to them', () => {
    const own = record({ resourceType: 'Patient', id: 'A' } as Patient);
    const linked = record({ resourceType: 'Patient', id: 'B', link: [{ other: { reference: 'Patient/A' }, type: 'seealso' }] } as Patient);
    expect(linked.cmp).toContain('Patient/A'); // the compartment alone would have let B through
    const filter = a().filterFor('Patient', 'read');
    expect(filter).toEqual({ _id: 'Patient/A' });
    expect(admits(filter, own)).toBe(true);
    expect(admits(filter, linked)).toBe(false);
  });

  it.each(['Group', 'AuditEvent', 'Person'])('when the type is %s, then nothing is allowed even with patient/*.cruds', (type) => {
    expect(allowed(a(), type)).toEqual([]);
  });

  it.each(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'InsurancePlan', 'Endpoint', 'Medication', 'Questionnaire', 'ValueSet', 'CodeSystem'])(
    'when the type is the shared reference type %s, then it is read and searched unfiltered but never written',
    (type) => {
      expect(allowed(a(), type)).toEqual(['read', 'vread', 'history-instance', 'search', 'history-type']);
      expect(a().filterFor(type, 'read')).toBeUndefined();
    },
  );

  it('when the type is neither in the compartment nor shared, or is not a resource type, then nothing is allowed', () => {
    expect(deps.inPatientCompartment('Library')).toBe(false);
    expect(allowed(a(), 'Library')).toEqual([]);
    expect(allowed(a(), 'NotAType')).toEqual([]);
  });

  it('when an interaction is not allowed, then its filter matches no record rather than every record', () => {
    const filter = access(memberA, 'patient/Observation.rs').filterFor('Observation', 'delete');
    expect(filter).toBeDefined();
    expect(admits(filter, record(observation('o1', 'A', 'laboratory')))).toBe(false);
  });
});

describe('access policy: member reach "none" and "all"', () => {
  it('when no member is in context, then only the shared reference types are readable, whatever the scopes', () => {
    const a = access({ kind: 'none' }, 'user/*.cruds');
    expect(allowed(a, 'Organization')).toEqual(['read', 'vread', 'history-instance', 'search', 'history-type']);
    for (const t of ['Observation', 'Patient', 'Coverage', 'Group', 'Library']) expect(allowed(a, t)).toEqual([]);
  });

  it('when the reach is all, then scopes alone limit types and letters, and no member filter applies', () => {
    const a = access({ kind: 'all' }, 'system/Observation.rs', 'system/Group.cruds');
    expect(allowed(a, 'Observation')).toEqual(['read', 'vread', 'history-instance', 'search', 'history-type']);
    expect(allowed(a, 'Group')).toEqual(ALL_INTERACTIONS);
    expect(allowed(a, 'Coverage')).toEqual([]);
    expect(a.filterFor('Group', 'update')).toBeUndefined();
  });
});

describe('access policy: query-restricted scopes', () => {
  const labA = (): StoredRecord => record(observation('lab-a', 'A', 'laboratory'));
  const vitalA = (): StoredRecord => record(observation('vital-a', 'A', 'vital-signs'));
  const socialA = (): StoredRecord => record(observation('social-a', 'A', 'social-history'));
  const labB = (): StoredRecord => record(observation('lab-b', 'B', 'laboratory'));

  it('when the scope allows only laboratory Observations, then the filter admits the member lab results and nothing else', () => {
    const filter = access(memberA, 'patient/Observation.rs?category=laboratory').filterFor('Observation', 'search');
    expect(admits(filter, labA())).toBe(true);
    expect(admits(filter, vitalA())).toBe(false);
    expect(admits(filter, labB())).toBe(false);
  });

  it('when the restriction names the code system, then it matches on system and code', () => {
    const filter = access(memberA, `patient/Observation.rs?category=${CATEGORY}|laboratory`).filterFor('Observation', 'read');
    expect(admits(filter, labA())).toBe(true);
    expect(admits(filter, vitalA())).toBe(false);
  });

  it('when two restricted scopes match, then either restriction admits a record', () => {
    const filter = access(memberA, 'patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=vital-signs').filterFor('Observation', 'read');
    expect([labA(), vitalA(), socialA(), labB()].map((r) => admits(filter, r))).toEqual([true, true, false, false]);
  });

  it('when an unrestricted scope also matches, then the restriction is lifted but the compartment stays', () => {
    const filter = access(memberA, 'patient/Observation.rs?category=laboratory', 'patient/*.r').filterFor('Observation', 'read');
    expect([labA(), vitalA(), socialA(), labB()].map((r) => admits(filter, r))).toEqual([true, true, true, false]);
    // ...but only for the letters the unrestricted scope has
    const search = access(memberA, 'patient/Observation.rs?category=laboratory', 'patient/*.r').filterFor('Observation', 'search');
    expect(admits(search, vitalA())).toBe(false);
  });

  it('when a restricted scope is the only one and its query does not compile for the type, then nothing is allowed', () => {
    const a = access(memberA, 'patient/Observation.rs?nonsense=1');
    expect(a.allows('Observation', 'search')).toBe(false);
    // a wildcard restriction applies only where the parameter exists
    const w = access(memberA, 'patient/*.rs?category=laboratory');
    expect(w.allows('Observation', 'search')).toBe(true);
    expect(w.allows('Coverage', 'search')).toBe(false);
  });

  it('when the same type and interaction are asked again, then the same filter object is returned (compiled once)', () => {
    let compiles = 0;
    const counting: PolicyDeps = { ...deps, compileQuery: (t, q) => (compiles++, deps.compileQuery(t, q)) };
    const a = accessFor({ principal: 'p', scopes: scopes('patient/Observation.rs?category=laboratory'), members: memberA }, counting);
    const first = a.filterFor('Observation', 'read');
    expect(a.filterFor('Observation', 'vread')).toBe(first);
    a.filterFor('Observation', 'search');
    a.allows('Observation', 'history-type');
    expect(compiles).toBe(1);
  });
});

describe('policyDeps.compileQuery', () => {
  it.each([
    [[['nonsense', '1']], 'an unknown parameter'],
    [[['category:foo', 'laboratory']], 'an unknown modifier'],
    [[['date', 'not-a-date']], 'a malformed value'],
    [[['_count', '1']], 'a result parameter'],
    [[['_include', 'Observation:subject']], 'an include'],
    [[['_sort', 'date']], 'a sort'],
    [[['_format', 'json']], 'a format'],
    [[['subject.name', 'x']], 'a chain'],
    [[], 'no parameters'],
  ] as Array<[Array<[string, string]>, string]>)('when the scope query is %j (%s), then it is refused', (query) => {
    expect(() => deps.compileQuery('Observation', query)).toThrow();
  });

  it('when the scope query is valid, then the filter includes the type and every pair', () => {
    const filter = deps.compileQuery('Observation', [
      ['category', 'laboratory'],
      ['status', 'final'],
    ]);
    expect(admits(filter, record(observation('x', 'A', 'laboratory')))).toBe(true);
    expect(admits(filter, record({ ...observation('y', 'A', 'laboratory'), status: 'preliminary' }))).toBe(false);
    expect(admits(filter, record({ resourceType: 'Basic', id: 'z', code: { text: 'x' } } as Resource))).toBe(false);
  });

  it('when asked about types, then resource types and the patient compartment come from the registry', () => {
    expect(deps.isResourceType('Observation')).toBe(true);
    expect(deps.isResourceType('Observations')).toBe(false);
    expect(deps.inPatientCompartment('Patient')).toBe(true);
    expect(deps.inPatientCompartment('ExplanationOfBenefit')).toBe(true);
    expect(deps.inPatientCompartment('Organization')).toBe(false);
  });
});
