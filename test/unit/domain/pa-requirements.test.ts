import { describe, expect, it } from 'vitest';
import {
  codeMatches,
  codeRange,
  determineCoverage,
  matchingServiceRule,
  publishedServices,
  ruleSetProblems,
  SERVICE_CODE_SYSTEMS,
  serviceCodeSystem,
  serviceRuleProblems,
  type CoverageFacts,
  type OrderedService,
  type PaRuleSet,
  type PaServiceRule,
} from '../../../src/domain/pa-requirements.js';
import { CODE_SYSTEM } from '../../../src/domain/systems.js';
import { initialPaRuleSet, QUESTIONNAIRE_VERSION, questionnaireUrl } from '../../../src/synthetic/prior-auth/pa-rule-set.js';

const CPT = SERVICE_CODE_SYSTEMS.cpt;
const HCPCS = SERVICE_CODE_SYSTEMS.hcpcs;
const ICD10PCS = SERVICE_CODE_SYSTEMS.icd10pcs;

const TODAY = '2026-03-01';
/** The first date of service of the reinstated referral rule and of the enforced ORP edit. */
const AUG_1 = '2025-08-01';

/** A valid service rule, changed by `over`. */
const svc = (over: Partial<PaServiceRule> = {}): PaServiceRule => ({
  id: 'knee-brace',
  system: 'hcpcs',
  code: 'L1810',
  display: 'Knee orthosis, elastic with joints',
  category: 'Orthotics',
  planTypes: ['FFS', 'PCC', 'PCACO', 'MCO'],
  from: '2016-01-01',
  ...over,
});

/** The program rules of the initial set with these services only. */
const withServices = (services: PaServiceRule[]): PaRuleSet => ({ ...initialPaRuleSet(false), services });

const order = (system: string, code: string, over: Partial<OrderedService> = {}): OrderedService => ({ system, code, serviceDate: TODAY, ...over });
const facts = (over: Partial<CoverageFacts> = {}): CoverageFacts => ({ plan: 'FFS', today: TODAY, ...over });

/** A day `n` days after `day` (YYYY-MM-DD, UTC). */
const plusDays = (day: string, n: number): string => new Date(Date.parse(day) + n * 86_400_000).toISOString().slice(0, 10);

describe('service codes and ranges', () => {
  it('when a rule names one code, then its range is that code and only that exact code matches', () => {
    expect(codeRange('70551')).toEqual(['70551', '70551']);
    expect(codeRange('0SRC0J9')).toEqual(['0SRC0J9', '0SRC0J9']);
    expect(codeMatches('70551', '70551')).toBe(true);
    expect(codeMatches('70551', '70552')).toBe(false);
    expect(codeMatches('70551', '705510')).toBe(false);
    expect(codeMatches('70551', '7055')).toBe(false);
  });

  it('when a rule names a range, then both ends and the codes between match and codes outside do not', () => {
    expect(codeRange('E0100-E0199')).toEqual(['E0100', 'E0199']);
    expect(codeMatches('E0100-E0199', 'E0100')).toBe(true);
    expect(codeMatches('E0100-E0199', 'E0199')).toBe(true);
    expect(codeMatches('E0100-E0199', 'E0150')).toBe(true);
    expect(codeMatches('E0100-E0199', 'E0099')).toBe(false);
    expect(codeMatches('E0100-E0199', 'E0200')).toBe(false);
    expect(codeMatches('E0100-E0199', 'K0150')).toBe(false);
  });

  it('when a code has another length than the range, then it never matches even if it sorts between the ends', () => {
    // 'E015' and 'E01500' sort between 'E0100' and 'E0199' character by character.
    expect('E015' > 'E0100' && 'E015' < 'E0199').toBe(true);
    expect(codeMatches('E0100-E0199', 'E015')).toBe(false);
    expect(codeMatches('E0100-E0199', 'E01500')).toBe(false);
  });

  it('when a range is reversed, of different lengths, of three parts or has bad characters, then it is malformed and matches nothing', () => {
    for (const bad of ['E0199-E0100', 'E010-E0199', 'E0100-E0150-E0199', 'E01 0', 'E0100-E01_9', 'E0100-', '-E0100', '', 'A'.repeat(17), 'É0100']) {
      expect(codeRange(bad), bad).toBeUndefined();
    }
    expect(codeMatches('E0199-E0100', 'E0150')).toBe(false);
    expect(codeMatches('E010-E0199', 'E0150')).toBe(false);
  });

  it('when a code system URI is one the rules use, then it has the rules\u2019 name; any other URI has none', () => {
    expect(serviceCodeSystem(CODE_SYSTEM.cpt)).toBe('cpt');
    expect(serviceCodeSystem(CODE_SYSTEM.nubcRevenue)).toBe('revenue');
    expect(serviceCodeSystem(CODE_SYSTEM.snomed)).toBeUndefined();
    expect(serviceCodeSystem(undefined)).toBeUndefined();
  });
});

describe('service rule validation', () => {
  it('when every demo service and a hand-built one are checked, then none has a problem', () => {
    for (const s of initialPaRuleSet(true).services) expect(serviceRuleProblems(s), s.id).toEqual([]);
    expect(serviceRuleProblems(svc())).toEqual([]);
    expect(serviceRuleProblems(svc({ to: '2016-01-01', paFreeQuantity: 0, maxQuantity: 0, questionnaire: 'https://example.org/Questionnaire/q|2', documentation: 'admin', notes: 'n' }))).toEqual([]);
    expect(serviceRuleProblems(svc({ code: 'L1810-L1860' }))).toEqual([]);
    // An empty list of answers needs no questionnaire.
    expect(serviceRuleProblems(svc({ autoApprove: { answers: [] } }))).toEqual([]);
  });

  const cases: Array<{ what: string; change: Record<string, unknown>; message: RegExp }> = [
    { what: 'an id with upper-case letters', change: { id: 'Knee-Brace' }, message: /^service: id must be lower-case/ },
    { what: 'an id starting with a dash', change: { id: '-knee' }, message: /^service: id must be/ },
    { what: 'an id of 65 characters', change: { id: 'a'.repeat(65) }, message: /^service: id must be/ },
    { what: 'no id', change: { id: undefined }, message: /^service: id must be/ },
    { what: 'an unknown code system', change: { system: 'snomed' }, message: /^service: system must be one of cpt, hcpcs, icd10pcs, revenue$/ },
    { what: 'a code system URI instead of its name', change: { system: CODE_SYSTEM.cpt }, message: /^service: system must be one of/ },
    { what: 'a reversed code range', change: { code: 'L1860-L1810' }, message: /^service: code must be a code or FIRST-LAST/ },
    { what: 'a code with a space', change: { code: 'L 1810' }, message: /^service: code must be/ },
    { what: 'a numeric code', change: { code: 1810 }, message: /^service: code must be/ },
    { what: 'no display', change: { display: undefined }, message: /^service: display is required/ },
    { what: 'a blank display', change: { display: '   ' }, message: /^service: display is required/ },
    { what: 'a display of 301 characters', change: { display: 'x'.repeat(301) }, message: /^service: display is required \(at most 300 characters\)$/ },
    { what: 'no category', change: { category: '' }, message: /^service: category is required/ },
    { what: 'empty planTypes', change: { planTypes: [] }, message: /^service: planTypes must list one or more of FFS, PCC, PCACO, MCO$/ },
    { what: 'an unknown plan type', change: { planTypes: ['FFS', 'HMO'] }, message: /^service: planTypes must list/ },
    { what: 'planTypes that are not a list', change: { planTypes: 'FFS' }, message: /^service: planTypes must list/ },
    { what: 'no from date', change: { from: undefined }, message: /^service: from must be a date \(YYYY-MM-DD\)$/ },
    { what: 'a from date with month 13', change: { from: '2025-13-01' }, message: /^service: from must be a date/ },
    { what: 'a from date with slashes', change: { from: '2025/01/01' }, message: /^service: from must be a date/ },
    { what: 'a from dateTime', change: { from: '2025-01-01T00:00:00Z' }, message: /^service: from must be a date/ },
    { what: 'a to date that is not a date', change: { to: 'never' }, message: /^service: to must be a date on or after from$/ },
    { what: 'a to date before from', change: { to: '2015-12-31' }, message: /^service: to must be a date on or after from$/ },
    { what: 'a negative paFreeQuantity', change: { paFreeQuantity: -1 }, message: /^service: paFreeQuantity must be a number ≥ 0$/ },
    { what: 'a paFreeQuantity given as text', change: { paFreeQuantity: '4' }, message: /^service: paFreeQuantity must be/ },
    { what: 'a negative maxQuantity', change: { maxQuantity: -5 }, message: /^service: maxQuantity must be a number ≥ 0$/ },
    { what: 'an infinite maxQuantity', change: { maxQuantity: Number.POSITIVE_INFINITY }, message: /^service: maxQuantity must be/ },
    { what: 'a questionnaire that is not a URL', change: { questionnaire: 'pa-mri-brain' }, message: /^service: questionnaire must be a canonical URL$/ },
    { what: 'a questionnaire URL with a space', change: { questionnaire: 'https://example.org/Questionnaire/a b' }, message: /^service: questionnaire must be a canonical URL$/ },
    { what: 'an unknown documentation kind', change: { documentation: 'x-ray' }, message: /^service: documentation must be clinical, admin or both$/ },
    { what: 'notes of 2,001 characters', change: { notes: 'n'.repeat(2001) }, message: /^service: notes must be text/ },
    { what: 'autoApprove answers without a questionnaire', change: { autoApprove: { answers: [{ linkId: 'a', equals: true }] } }, message: /^service: autoApprove.answers need a questionnaire$/ },
    { what: 'autoApprove without a list of answers', change: { autoApprove: { answers: 'all' } }, message: /^service: autoApprove.answers must be a list$/ },
    { what: 'autoApprove that is null', change: { autoApprove: null }, message: /^service: autoApprove.answers must be a list$/ },
    {
      what: 'an autoApprove answer without a linkId',
      change: { questionnaire: 'https://example.org/Questionnaire/q', autoApprove: { answers: [{ equals: true }] } },
      message: /^service: autoApprove.answers\[0\] needs a linkId and equals \(boolean or text\) or atLeast \(number\)$/,
    },
    {
      what: 'an autoApprove answer without a condition',
      change: { questionnaire: 'https://example.org/Questionnaire/q', autoApprove: { answers: [{ linkId: 'a', equals: true }, { linkId: 'b' }] } },
      message: /^service: autoApprove.answers\[1\] needs a linkId/,
    },
    {
      what: 'an autoApprove answer with a negative atLeast',
      change: { questionnaire: 'https://example.org/Questionnaire/q', autoApprove: { answers: [{ linkId: 'ahi', atLeast: -1 }] } },
      message: /^service: autoApprove.answers\[0\] needs a linkId/,
    },
    {
      what: 'a negative autoApprove.maxQuantity',
      change: { questionnaire: 'https://example.org/Questionnaire/q', autoApprove: { answers: [{ linkId: 'a', equals: 'yes' }], maxQuantity: -1 } },
      message: /^service: autoApprove.maxQuantity must be a number ≥ 0$/,
    },
    { what: 'an unknown field', change: { colour: 'blue' }, message: /^service: unknown field colour$/ },
  ];

  it.each(cases)('when a service has $what, then exactly one problem is reported and it names the field', ({ change, message }) => {
    const problems = serviceRuleProblems({ ...svc(), ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('when a service is checked at a position in a list, then its problems start with that position', () => {
    expect(serviceRuleProblems({ ...svc(), maxQuantity: -1 }, 'services[3]')).toEqual(['services[3]: maxQuantity must be a number ≥ 0']);
  });

  it('when several fields are wrong, then each is reported', () => {
    const problems = serviceRuleProblems({ ...svc(), id: 'X', system: 'loinc', from: 'soon' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/id must be/);
    expect(problems.join('\n')).toMatch(/system must be/);
    expect(problems.join('\n')).toMatch(/from must be a date/);
  });

  it('when the service is not an object (null, a list, text, a number), then the only problem says it must be an object', () => {
    for (const v of [null, undefined, [svc()], 'knee-brace', 42]) expect(serviceRuleProblems(v)).toEqual(['service: must be an object']);
  });
});

describe('rule set validation', () => {
  it('when the initial rule set is checked, with or without the demo services, then it has no problem', () => {
    expect(ruleSetProblems(initialPaRuleSet(true))).toEqual([]);
    expect(ruleSetProblems(initialPaRuleSet(false))).toEqual([]);
    // As the admin endpoint receives it: JSON.
    expect(ruleSetProblems(JSON.parse(JSON.stringify(initialPaRuleSet(true))))).toEqual([]);
  });

  it('when a service of the set is bad, then the problem names its position', () => {
    const rules = withServices([svc({ id: 'a' }), { ...svc({ id: 'b' }), code: 'L1860-L1810' }]);
    expect(ruleSetProblems(rules)).toEqual(['services[1]: code must be a code or FIRST-LAST of codes of one length']);
  });

  it('when two services share an id, then the duplicate id is reported', () => {
    const rules = withServices([svc({ id: 'same', code: 'L1810' }), svc({ id: 'other', code: 'L1820' }), svc({ id: 'same', code: 'L1830' })]);
    expect(ruleSetProblems(rules)).toEqual(['services: id same is used twice']);
  });

  it('when services is not a list, then it is reported', () => {
    expect(ruleSetProblems({ ...initialPaRuleSet(false), services: { a: svc() } })).toEqual(['services must be a list']);
  });

  it('when the referral, orp or screening rule is missing, then each is reported as required', () => {
    const base = initialPaRuleSet(false);
    expect(ruleSetProblems({ ...base, referral: undefined })).toEqual(['referral is required']);
    expect(ruleSetProblems({ ...base, orp: null })).toEqual(['orp is required']);
    expect(ruleSetProblems({ ...base, screening: 'always' })).toEqual(['screening is required']);
    expect(ruleSetProblems({ services: [] })).toEqual(['referral is required', 'orp is required', 'screening is required']);
  });

  it('when the referral rule is malformed, then each malformed field is reported under referral', () => {
    const base = initialPaRuleSet(false);
    const bad = (change: Record<string, unknown>): string[] => ruleSetProblems({ ...base, referral: { ...base.referral, ...change } });
    expect(bad({ planTypes: ['PCC', 'ACO'] })).toEqual(['referral: planTypes must list one or more of FFS, PCC, PCACO, MCO']);
    expect(bad({ from: '2025-8-1' })).toEqual(['referral: from must be a date (YYYY-MM-DD)']);
    expect(bad({ to: '2025-07-31' })).toEqual(['referral: to must be a date on or after from']);
    expect(bad({ urgentCarePlacesOfService: ['2O'] })).toEqual(['referral: urgentCarePlacesOfService must list codes of digits']);
    expect(bad({ urgentCarePlacesOfService: '20' })).toEqual(['referral: urgentCarePlacesOfService must list codes of digits']);
    expect(bad({ urgentCareAdmissionTypes: [2] })).toEqual(['referral: urgentCareAdmissionTypes must list codes of digits']);
    expect(bad({ retroactiveDays: 365.5 })).toEqual(['referral: retroactiveDays must be a whole number ≥ 0']);
    expect(bad({ retroactiveDays: -1 })).toEqual(['referral: retroactiveDays must be a whole number ≥ 0']);
  });

  it('when the ORP rule is malformed, then each malformed field is reported under orp', () => {
    const base = initialPaRuleSet(false);
    const bad = (change: Record<string, unknown>): string[] => ruleSetProblems({ ...base, orp: { ...base.orp, ...change } });
    expect(bad({ planTypes: [] })).toEqual(['orp: planTypes must list one or more of FFS, PCC, PCACO, MCO']);
    expect(bad({ from: undefined })).toEqual(['orp: from must be a date (YYYY-MM-DD)']);
    expect(bad({ authorizedProviderTypes: ['PT-01', '17'] })).toEqual(['orp: authorizedProviderTypes must list PT-xx codes']);
    expect(bad({ services: 'therapy' })).toEqual(['orp: services must be a list']);
    expect(bad({ services: [{ service: 'therapy', system: 'cpt', code: '97010-97799' }, { service: 'Therapy', system: 'cpt', code: '97010-97799' }] })).toEqual([
      'orp: services[1] needs service (an id), system and code (or range)',
    ]);
    expect(bad({ services: [{ service: 'therapy', system: 'nubc', code: '0420' }] })).toEqual(['orp: services[0] needs service (an id), system and code (or range)']);
    expect(bad({ services: [{ service: 'therapy', system: 'cpt', code: '97799-97010' }] })).toEqual(['orp: services[0] needs service (an id), system and code (or range)']);
    expect(bad({ services: [null] })).toEqual(['orp: services[0] needs service (an id), system and code (or range)']);
  });

  it('when the screening rule is malformed, then each malformed field is reported under screening', () => {
    const base = initialPaRuleSet(false);
    const bad = (change: Record<string, unknown>): string[] => ruleSetProblems({ ...base, screening: { ...base.screening, ...change } });
    expect(bad({ planTypes: ['MCO', 'VA'] })).toEqual(['screening: planTypes must list one or more of FFS, PCC, PCACO, MCO']);
    expect(bad({ from: '16-01-01' })).toEqual(['screening: from must be a date (YYYY-MM-DD)']);
    expect(bad({ leadDays: 7.5 })).toEqual(['screening: leadDays must be a whole number ≥ 0']);
    expect(bad({ leadDays: '7' })).toEqual(['screening: leadDays must be a whole number ≥ 0']);
  });

  it('when the rule set is not an object (null, text, a number), then the only problem says it must be an object', () => {
    for (const v of [null, undefined, 'rules', 42, true]) expect(ruleSetProblems(v)).toEqual(['the rule set must be an object']);
  });

  it('when the rule set is a list, then the only problem says it must be an object', () => {
    expect(ruleSetProblems([initialPaRuleSet(true)])).toEqual(['the rule set must be an object']);
  });

  it('when a service in the list is null or not an object, then it is reported, never thrown', () => {
    const problems = ruleSetProblems({ ...initialPaRuleSet(false), services: [null, 'x', svc()] });
    expect(problems).toEqual(['services[0]: must be an object', 'services[1]: must be an object']);
  });

  it('when a code system is an inherited property name (constructor, toString), then it is refused', () => {
    for (const system of ['constructor', 'toString', '__proto__']) {
      expect(serviceRuleProblems({ ...svc(), system }).some((p) => p.includes('system must be one of')), system).toBe(true);
      const orp = { ...initialPaRuleSet(false).orp, services: [{ service: 'therapy', system, code: '97110' }] };
      expect(ruleSetProblems({ ...initialPaRuleSet(false), orp }), system).toEqual(['orp: services[0] needs service (an id), system and code (or range)']);
    }
  });

  it('when a date does not exist in the calendar (2025-02-30, 2025-04-31), then it is refused; 2024-02-29 is accepted', () => {
    expect(serviceRuleProblems({ ...svc(), from: '2025-02-30' })).toEqual(['service: from must be a date (YYYY-MM-DD)']);
    expect(serviceRuleProblems({ ...svc(), from: '2025-04-31' })).toEqual(['service: from must be a date (YYYY-MM-DD)']);
    expect(serviceRuleProblems({ ...svc(), from: '2024-02-29' })).toEqual([]);
  });

  it('when a code is given in lower case, then it matches the rule as the upper-case code does', () => {
    expect(codeMatches('E0601', 'e0601')).toBe(true);
    expect(codeMatches('k0001-k0899', 'K0005')).toBe(true);
  });
});

describe('coverage determination: prior authorization (initial rules)', () => {
  const rules = initialPaRuleSet(true);

  it('when the member is not enrolled on the date of service, then the service is not covered and nothing else is asked', () => {
    const d = determineCoverage(rules, order(CPT, '70551'), facts({ plan: undefined }));
    expect(d).toMatchObject({ covered: 'not-covered', paNeeded: 'no-auth', infoNeeded: [], referral: { needed: false }, orp: { required: false }, screening: { required: false } });
    expect(d.questionnaire).toBeUndefined();
    expect(d.reasons).toEqual([`The member is not enrolled with the program on ${TODAY}.`]);
  });

  it('when an MRI of the brain (CPT 70551) is ordered, then PA is needed with the DTR questionnaire and clinical documentation', () => {
    const d = determineCoverage(rules, order(CPT, '70551'), facts({ orderingProviderType: 'PT-01', orderingProviderEnrolled: true }));
    expect(d).toMatchObject({ covered: 'covered', paNeeded: 'auth-needed', docNeeded: 'clinical', questionnaire: `${questionnaireUrl('mri-brain')}|${QUESTIONNAIRE_VERSION}` });
    expect(d.rule?.id).toBe('mri-brain');
    expect(d.reasons[0]).toMatch(/^Prior authorization is required for .* \(CPT 70551\)\.$/);
  });

  it('when an elective admission (ICD-10-PCS 0SRC0J9) is requested, then its documentation is both clinical and administrative', () => {
    const d = determineCoverage(rules, order(ICD10PCS, '0SRC0J9'), facts());
    expect(d).toMatchObject({ paNeeded: 'auth-needed', docNeeded: 'both', questionnaire: `${questionnaireUrl('elective-admission')}|${QUESTIONNAIRE_VERSION}` });
  });

  it('when a service not on the list is ordered, then no PA is needed and no documentation is asked', () => {
    for (const o of [order(CPT, '99213'), order(HCPCS, 'E0602'), order(CPT, '70552')]) {
      const d = determineCoverage(rules, o, facts());
      expect(d.paNeeded, o.code).toBe('no-auth');
      expect(d.covered).toBe('covered');
      expect(d.rule).toBeUndefined();
      expect(d.questionnaire).toBeUndefined();
      expect(d.docNeeded).toBeUndefined();
      expect(d.reasons[0]).toBe(`No prior authorization is needed for this service (${o.code}) under the FFS plan.`);
    }
  });

  it('when the same code comes in a code system the rules do not list it under, then no PA is needed', () => {
    expect(determineCoverage(rules, order(HCPCS, '70551'), facts()).paNeeded).toBe('no-auth');
    expect(determineCoverage(rules, order(CODE_SYSTEM.snomed, '70551'), facts()).paNeeded).toBe('no-auth');
  });

  it('when physical therapy (97110) is ordered within the PA-free quantity of 4, then no PA is needed; above it, PA is needed with documentation', () => {
    const four = determineCoverage(rules, order(CPT, '97110', { quantity: 4 }), facts());
    expect(four.paNeeded).toBe('no-auth');
    expect(four.questionnaire).toBeUndefined();
    expect(four.reasons[0]).toMatch(/^No prior authorization is needed for up to 4 of /);
    const five = determineCoverage(rules, order(CPT, '97110', { quantity: 5 }), facts());
    expect(five).toMatchObject({ paNeeded: 'auth-needed', docNeeded: 'clinical', questionnaire: `${questionnaireUrl('physical-therapy')}|${QUESTIONNAIRE_VERSION}` });
  });

  it('when physical therapy (97110) is ordered without a quantity, then PA is conditional and the documentation is still named', () => {
    const d = determineCoverage(rules, order(CPT, '97110'), facts());
    expect(d).toMatchObject({ paNeeded: 'conditional', docNeeded: 'clinical', questionnaire: `${questionnaireUrl('physical-therapy')}|${QUESTIONNAIRE_VERSION}` });
    expect(d.reasons[0]).toMatch(/above 4 per request; the order gives no quantity/);
  });
});

describe('coverage determination: hand-built service rules', () => {
  it('when a rule has effective dates, then it applies from its first to its last day inclusive and not outside them', () => {
    const rules = withServices([svc({ from: '2026-01-01', to: '2026-06-30' })]);
    const pa = (day: string) => determineCoverage(rules, order(HCPCS, 'L1810', { serviceDate: day }), facts({ today: day })).paNeeded;
    expect(pa('2025-12-31')).toBe('no-auth');
    expect(pa('2026-01-01')).toBe('auth-needed');
    expect(pa('2026-06-30')).toBe('auth-needed');
    expect(pa('2026-07-01')).toBe('no-auth');
  });

  it('when a rule is for PCC Plan members only, then an FFS member needs no PA and a PCC member does', () => {
    const rules = withServices([svc({ planTypes: ['PCC'] })]);
    expect(determineCoverage(rules, order(HCPCS, 'L1810'), facts({ plan: 'FFS' })).paNeeded).toBe('no-auth');
    expect(determineCoverage(rules, order(HCPCS, 'L1810'), facts({ plan: 'PCC', byPrimaryCare: true })).paNeeded).toBe('auth-needed');
  });

  it('when a rule names a range of codes, then every code in it needs PA and the reason names the code ordered', () => {
    const rules = withServices([svc({ code: 'L1810-L1860' })]);
    const d = determineCoverage(rules, order(HCPCS, 'L1832'), facts());
    expect(d.paNeeded).toBe('auth-needed');
    expect(d.reasons[0]).toMatch(/\(HCPCS L1832\)\.$/);
    expect(determineCoverage(rules, order(HCPCS, 'L1861'), facts()).paNeeded).toBe('no-auth');
  });

  it('when PA is needed and the rule names a questionnaire without a documentation kind, then clinical documentation is asked; without a questionnaire, none', () => {
    const q = 'https://example.org/Questionnaire/brace|1';
    const withQ = determineCoverage(withServices([svc({ questionnaire: q })]), order(HCPCS, 'L1810'), facts());
    expect(withQ).toMatchObject({ paNeeded: 'auth-needed', docNeeded: 'clinical', questionnaire: q });
    const withoutQ = determineCoverage(withServices([svc()]), order(HCPCS, 'L1810'), facts());
    expect(withoutQ.paNeeded).toBe('auth-needed');
    expect(withoutQ.docNeeded).toBeUndefined();
    expect(withoutQ.questionnaire).toBeUndefined();
  });

  it('when the PA-free quantity is 0, then any positive quantity needs PA and a quantity of 0 does not', () => {
    const rules = withServices([svc({ paFreeQuantity: 0 })]);
    expect(determineCoverage(rules, order(HCPCS, 'L1810', { quantity: 1 }), facts()).paNeeded).toBe('auth-needed');
    expect(determineCoverage(rules, order(HCPCS, 'L1810', { quantity: 0 }), facts()).paNeeded).toBe('no-auth');
  });
});

describe('matching service rule', () => {
  it('when a code system URI is not one the rules use, then no rule matches even if the code does', () => {
    const rules = withServices([svc({ system: 'cpt', code: '70551' })]);
    expect(matchingServiceRule(rules, { system: CODE_SYSTEM.snomed, code: '70551', serviceDate: TODAY }, 'FFS')).toBeUndefined();
    expect(matchingServiceRule(rules, { system: CODE_SYSTEM.ndc, code: '70551', serviceDate: TODAY }, 'FFS')).toBeUndefined();
    expect(matchingServiceRule(rules, { system: 'urn:unknown', code: '70551', serviceDate: TODAY }, 'FFS')).toBeUndefined();
    expect(matchingServiceRule(rules, { system: CPT, code: '70551', serviceDate: TODAY }, 'FFS')?.code).toBe('70551');
  });

  it('when two rules match, then the first in the list decides', () => {
    const rules = withServices([svc({ id: 'range', code: 'L1800-L1899' }), svc({ id: 'single', code: 'L1810' })]);
    expect(matchingServiceRule(rules, { system: HCPCS, code: 'L1810', serviceDate: TODAY }, 'FFS')?.id).toBe('range');
  });

  it('when the initial rules are asked for E0601 under HCPCS, then the CPAP rule matches', () => {
    expect(matchingServiceRule(initialPaRuleSet(true), { system: HCPCS, code: 'E0601', serviceDate: TODAY }, 'MCO')?.id).toBe('cpap');
  });
});

describe('coverage determination: PCC Plan / Primary Care ACO referral (initial rules)', () => {
  const rules = initialPaRuleSet(true);
  const office = (over: Partial<OrderedService> = {}) => order(CPT, '99213', { serviceDate: AUG_1, ...over });

  it('when a PCC Plan member sees someone other than their PCP on or after 2025-08-01, then a referral is needed and whether it is on file comes from the facts', () => {
    const without = determineCoverage(rules, office(), facts({ plan: 'PCC', byPrimaryCare: false }));
    expect(without.referral).toEqual({ needed: true, onFile: false, reason: expect.stringMatching(/PCC Plan: this service needs a referral from their PCC\/PCP on file \(it may be issued up to 365 days after/) });
    expect(without.reasons).toContain(without.referral.reason);
    const onFile = determineCoverage(rules, office({ serviceDate: '2026-02-10' }), facts({ plan: 'PCC', byPrimaryCare: false, referralOnFile: true }));
    expect(onFile.referral).toEqual({ needed: true, onFile: true, reason: "A referral from the member's PCC/PCP is on file for this service." });
    expect(determineCoverage(rules, office(), facts({ plan: 'PCC', byPrimaryCare: false, referralOnFile: false })).referral.onFile).toBe(false);
  });

  it('when a Primary Care ACO member sees someone other than their PCP on or after 2025-08-01, then a referral is needed too', () => {
    const d = determineCoverage(rules, office(), facts({ plan: 'PCACO', byPrimaryCare: false }));
    expect(d.referral).toMatchObject({ needed: true, onFile: false });
    expect(d.referral.reason).toMatch(/Primary Care ACO/);
  });

  it('when the date of service is before 2025-08-01, then no referral is needed', () => {
    for (const plan of ['PCC', 'PCACO'] as const) {
      const d = determineCoverage(rules, office({ serviceDate: '2025-07-31' }), facts({ plan, byPrimaryCare: false }));
      expect(d.referral, plan).toEqual({ needed: false, reason: '' });
      expect(d.infoNeeded).not.toContain('performer');
    }
  });

  it('when the member is fee-for-service or in an MCO, then no referral is ever needed, nor the performer asked for', () => {
    for (const plan of ['FFS', 'MCO'] as const) {
      for (const byPrimaryCare of [false, undefined]) {
        const d = determineCoverage(rules, office({ serviceDate: '2026-02-10' }), facts({ plan, byPrimaryCare }));
        expect(d.referral.needed, `${plan} ${String(byPrimaryCare)}`).toBe(false);
        expect(d.infoNeeded).not.toContain('performer');
      }
    }
  });

  it('when the service is urgent care (place of service 20), then no referral is needed; another place of service needs one', () => {
    expect(determineCoverage(rules, office({ placeOfService: '20' }), facts({ plan: 'PCC', byPrimaryCare: false })).referral).toEqual({ needed: false, reason: 'Urgent care needs no referral.' });
    expect(determineCoverage(rules, office({ placeOfService: '11' }), facts({ plan: 'PCC', byPrimaryCare: false })).referral.needed).toBe(true);
  });

  it('when the admission type is urgent, written 02 or 2, then no referral is needed; elective (3) needs one', () => {
    for (const admissionType of ['02', '2']) {
      const d = determineCoverage(rules, office({ admissionType }), facts({ plan: 'PCACO', byPrimaryCare: false }));
      expect(d.referral, admissionType).toEqual({ needed: false, reason: 'Urgent care needs no referral.' });
    }
    expect(determineCoverage(rules, office({ admissionType: '3' }), facts({ plan: 'PCACO', byPrimaryCare: false })).referral.needed).toBe(true);
  });

  it("when the member's PCC/PCP performs the service, then no referral is needed", () => {
    const d = determineCoverage(rules, office(), facts({ plan: 'PCC', byPrimaryCare: true }));
    expect(d.referral).toEqual({ needed: false, reason: "The member's PCC/PCP performs the service; no referral is needed." });
    expect(d.infoNeeded).toEqual([]);
  });

  it('when the order names no performer, then a referral is needed (none on file unless said) and the performer is asked for', () => {
    const d = determineCoverage(rules, office(), facts({ plan: 'PCC' }));
    expect(d.referral).toMatchObject({ needed: true, onFile: false });
    expect(d.referral.reason).toMatch(/anyone other than their PCC\/PCP needs the PCC\/PCP's referral on file/);
    expect(d.infoNeeded).toContain('performer');
    expect(determineCoverage(rules, office(), facts({ plan: 'PCC', referralOnFile: true })).referral.onFile).toBe(true);
  });

  it('when a referral is needed or not, then the PA answer stays what the service rules say', () => {
    const variants: Array<Partial<CoverageFacts>> = [{ byPrimaryCare: true }, { byPrimaryCare: false }, { byPrimaryCare: false, referralOnFile: true }, {}];
    for (const f of variants) {
      const mri = determineCoverage(rules, office({ code: '70551' }), facts({ plan: 'PCC', ...f }));
      const visit = determineCoverage(rules, office(), facts({ plan: 'PCC', ...f }));
      expect(mri.paNeeded, JSON.stringify(f)).toBe('auth-needed');
      expect(visit.paNeeded, JSON.stringify(f)).toBe('no-auth');
      expect(visit.covered).toBe('covered');
    }
  });
});

describe('coverage determination: ordering, referring and prescribing provider (initial rules)', () => {
  const rules = initialPaRuleSet(true);
  const therapy = (over: Partial<OrderedService> = {}) => order(CPT, '97110', { quantity: 4, serviceDate: AUG_1, ...over });

  it('when a physician (PT-01), enrolled, orders therapy for an FFS member on or after 2025-08-01, then the ORP is required and authorized', () => {
    const d = determineCoverage(rules, therapy(), facts({ orderingProviderType: 'PT-01', orderingProviderEnrolled: true }));
    expect(d.orp).toEqual({ required: true, service: 'therapy', authorized: true, reason: "The ordering provider's type (PT-01) may order this service." });
    expect(d.infoNeeded).toEqual([]);
    expect(d.reasons).toContain(d.orp.reason);
  });

  it('when a therapist (PT-46) orders therapy, then the ORP is not authorized and the reason names the type and the authorized ones', () => {
    const d = determineCoverage(rules, therapy(), facts({ orderingProviderType: 'PT-46', orderingProviderEnrolled: true }));
    expect(d.orp).toMatchObject({ required: true, service: 'therapy', authorized: false });
    expect(d.orp.reason).toMatch(/^The ordering provider's type \(PT-46\) is not authorized to order, refer or prescribe; this service needs one of PT-01, /);
  });

  it('when the ordering provider is not enrolled, then the ORP is not authorized whatever its type', () => {
    const d = determineCoverage(rules, therapy(), facts({ orderingProviderType: 'PT-01', orderingProviderEnrolled: false }));
    expect(d.orp).toMatchObject({ required: true, authorized: false });
    expect(d.orp.reason).toMatch(/not enrolled with the program/);
  });

  it('when the ordering provider is unknown, then the ORP is required, undecided, and the ordering provider is asked for', () => {
    const d = determineCoverage(rules, therapy(), facts());
    expect(d.orp).toEqual({ required: true, service: 'therapy', reason: 'This service (therapy) must carry the NPI of an authorized, enrolled ordering or referring provider.' });
    expect(d.infoNeeded).toEqual(['ordering-provider']);
  });

  it('when the member is in an MCO, then no ORP is required; PCC Plan and Primary Care ACO members need one', () => {
    const mco = determineCoverage(rules, therapy(), facts({ plan: 'MCO' }));
    expect(mco.orp).toEqual({ required: false, reason: '' });
    expect(mco.infoNeeded).not.toContain('ordering-provider');
    for (const plan of ['PCC', 'PCACO'] as const) expect(determineCoverage(rules, therapy(), facts({ plan, byPrimaryCare: true })).orp.required, plan).toBe(true);
  });

  it('when the date of service is before 2025-08-01, then no ORP is required', () => {
    expect(determineCoverage(rules, therapy({ serviceDate: '2025-07-31' }), facts()).orp.required).toBe(false);
  });

  it('when the code is outside every ORP service list, then no ORP is required', () => {
    for (const o of [order(CPT, '99213', { serviceDate: AUG_1 }), order(ICD10PCS, '0SRC0J9', { serviceDate: AUG_1 }), order(CODE_SYSTEM.snomed, '97110', { serviceDate: AUG_1 })]) {
      const d = determineCoverage(rules, o, facts());
      expect(d.orp, `${o.system} ${o.code}`).toEqual({ required: false, reason: '' });
      expect(d.infoNeeded).not.toContain('ordering-provider');
    }
  });

  it('when a code is in more than one ORP service, then the first listed wins (E0601 is oxygen and respiratory equipment, not DME)', () => {
    const orp = (code: string) => determineCoverage(rules, order(HCPCS, code, { serviceDate: AUG_1 }), facts()).orp.service;
    expect(orp('E0601')).toBe('oxygen-respiratory-equipment');
    expect(orp('E0260')).toBe('dme-and-supplies');
    expect(orp('K0001')).toBe('dme-and-supplies');
    expect(orp('G0151')).toBe('home-health');
  });
});

describe('coverage determination: pre-admission screening (initial rules)', () => {
  const rules = initialPaRuleSet(true);
  const admission = (serviceDate: string, over: Partial<OrderedService> = {}) => order(ICD10PCS, '0SRC0J9', { serviceDate, inpatient: true, ...over });

  it('when an elective inpatient admission in ICD-10-PCS is requested 10 days ahead, then a screening is required, the lead time is met and PA is needed', () => {
    const d = determineCoverage(rules, admission(plusDays(TODAY, 10)), facts());
    expect(d.screening).toEqual({ required: true, leadTimeMet: true, reason: 'An elective inpatient admission needs a pre-admission screening, requested at least 7 days before admission.' });
    expect(d.paNeeded).toBe('auth-needed');
    expect(d.reasons).toContain(d.screening.reason);
  });

  it('when the admission is 3 days away, then the lead time is not met and the reason says so', () => {
    const day = plusDays(TODAY, 3);
    const d = determineCoverage(rules, admission(day), facts());
    expect(d.screening).toMatchObject({ required: true, leadTimeMet: false });
    expect(d.screening.reason).toMatch(new RegExp(`\\(the admission on ${day} is less than 7 days away\\)`));
  });

  it('when the admission is exactly 7 days away, across a month end, then the lead time is met', () => {
    const d = determineCoverage(rules, admission('2026-03-04'), facts({ today: '2026-02-25' }));
    expect(d.screening.leadTimeMet).toBe(true);
    expect(determineCoverage(rules, admission('2026-03-03'), facts({ today: '2026-02-25' })).screening.leadTimeMet).toBe(false);
  });

  it('when the admission is an emergency or urgent one (admission type 1, 01, 2 or 02), then no screening is required', () => {
    for (const admissionType of ['1', '01', '2', '02']) {
      expect(determineCoverage(rules, admission(plusDays(TODAY, 10), { admissionType }), facts()).screening, admissionType).toEqual({ required: false, reason: '' });
    }
    expect(determineCoverage(rules, admission(plusDays(TODAY, 10), { admissionType: '3' }), facts()).screening.required).toBe(true);
  });

  it('when the order is not an inpatient admission, then no screening is required', () => {
    for (const inpatient of [false, undefined]) {
      expect(determineCoverage(rules, admission(plusDays(TODAY, 10), { inpatient }), facts()).screening.required, String(inpatient)).toBe(false);
    }
  });

  it('when an elective inpatient admission is coded in CPT, then the screening reason says ICD-10-PCS only', () => {
    const d = determineCoverage(rules, order(CPT, '99221', { serviceDate: plusDays(TODAY, 10), inpatient: true }), facts());
    expect(d.screening.required).toBe(true);
    expect(d.screening.reason).toBe('An elective inpatient admission needs a pre-admission screening, coded in ICD-10-PCS only (not CPT).');
  });

  it('when an elective inpatient procedure is not on the PA list, then the screening alone makes PA needed (without a questionnaire)', () => {
    const d = determineCoverage(rules, admission(plusDays(TODAY, 10), { code: '0SRD0J9' }), facts());
    expect(d.rule).toBeUndefined();
    expect(d.screening.required).toBe(true);
    expect(d.paNeeded).toBe('auth-needed');
    expect(d.questionnaire).toBeUndefined();
  });
});

describe('published list of services needing PA', () => {
  it('when the initial services are published, then they are ordered by category, then code system, then code', () => {
    expect(publishedServices(initialPaRuleSet(true), TODAY).map((s) => s.id)).toEqual([
      'mri-brain',
      'mri-lumbar',
      'hospital-bed',
      'cpap',
      'wheelchair',
      'home-health',
      'elective-admission',
      'physical-therapy',
    ]);
  });

  it('when services share a category, then CPT comes before HCPCS and codes sort within a system; the stored order is left as it was', () => {
    const rules = withServices([
      svc({ id: 'h2', system: 'hcpcs', code: 'L2000' }),
      svc({ id: 'h1', system: 'hcpcs', code: 'L1810' }),
      svc({ id: 'c1', system: 'cpt', code: '97760' }),
      svc({ id: 'z', category: 'Audiology', system: 'hcpcs', code: 'V5010' }),
    ]);
    expect(publishedServices(rules, TODAY).map((s) => s.id)).toEqual(['z', 'c1', 'h1', 'h2']);
    expect(rules.services.map((s) => s.id)).toEqual(['h2', 'h1', 'c1', 'z']);
  });

  it('when a service ended before the day, then it is left out; one ending on the day is still listed', () => {
    const rules = withServices([svc({ id: 'ended', code: 'L1810', to: '2026-02-28' }), svc({ id: 'last-day', code: 'L1820', to: TODAY }), svc({ id: 'open', code: 'L1830' })]);
    expect(publishedServices(rules, TODAY).map((s) => s.id)).toEqual(['last-day', 'open']);
  });
});
