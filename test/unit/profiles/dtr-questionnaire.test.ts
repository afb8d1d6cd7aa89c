// The Da Vinci DTR 2.0.1 profiles the server ships (profiles/dtr-std-questionnaire.json,
// profiles/dtr-questionnaireresponse.json): the demo DTR Questionnaires (pa-rule-set.ts
// demoQuestionnaires, which claim dtr-std-questionnaire) conform with no error and no warning, every
// rule the Questionnaire profile enforces rejects a Questionnaire that breaks it, a conforming DTR
// QuestionnaireResponse passes and one missing (or breaking) each required element fails, and both
// profiles are declared in the CapabilityStatement.
//
// The registry is the one the server loads (profiles/). See profiles/README.md ("Da Vinci DTR") for
// what is enforced and what is left out.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Extension, Questionnaire, QuestionnaireItem, QuestionnaireResponse, QuestionnaireResponseItemAnswer } from '@medplum/fhirtypes';
import type { RuleNode } from '../../../src/fhir/validation/profile-compiler.js';
import { loadProfileRegistry, type ProfileRegistry } from '../../../src/fhir/validation/profile-registry.js';
import { validateResource } from '../../../src/fhir/validation/validate-resource.js';
import { DTR_QUESTIONNAIRE_PROFILE, demoQuestionnaires } from '../../../src/synthetic/prior-auth/pa-rule-set.js';
import { copy, describeIssues, errorsOf, expectConforms, expectRuleError, capabilityFromShippedProfiles } from './pdex-profiles.js';

const DTR = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/';
const Q_PROFILE = `${DTR}dtr-std-questionnaire`;
const QR_PROFILE = `${DTR}dtr-questionnaireresponse`;
const FHIR = 'http://hl7.org/fhir/StructureDefinition/';
const SDC = 'http://hl7.org/fhir/uv/sdc/StructureDefinition/';

let registry: ProfileRegistry;
beforeAll(() => {
  registry = loadProfileRegistry();
});

/** Extension URL of each extension slice of a node, by slice name. */
function extensionSlices(node: RuleNode | undefined): Map<string, { url: string | undefined; max: number | undefined }> {
  const out = new Map<string, { url: string | undefined; max: number | undefined }>();
  for (const [name, slice] of node?.children.get('extension')?.slices ?? []) out.set(name, { url: slice.extensionUrl, max: slice.max });
  return out;
}

describe('DTR profiles: loading and declaration', () => {
  it('when the profiles folder is loaded, then dtr-std-questionnaire and dtr-questionnaireresponse are declared at DTR 2.0.1 with every binding checkable', () => {
    const declared = registry.declaredProfiles();
    expect(declared.find((p) => p.url === Q_PROFILE)).toMatchObject({ type: 'Questionnaire', version: '2.0.1', name: 'DTRStdQuestionnaire' });
    expect(declared.find((p) => p.url === QR_PROFILE)).toMatchObject({ type: 'QuestionnaireResponse', version: '2.0.1', name: 'DTRQuestionnaireResponse' });
    expect(registry.get(Q_PROFILE)?.uncheckedBindings).toEqual([]);
    expect(registry.get(QR_PROFILE)?.uncheckedBindings).toEqual([]);
    // The SDC parents are not shipped: each profile is its own whole chain.
    expect(registry.chain(Q_PROFILE).map((p) => p.url)).toEqual([Q_PROFILE]);
    expect(registry.chain(QR_PROFILE).map((p) => p.url)).toEqual([QR_PROFILE]);
  });

  it('when the CapabilityStatement is built from the profiles the server validates with, then Questionnaire and QuestionnaireResponse list the DTR profiles', () => {
    const capability = capabilityFromShippedProfiles();
    const resources = capability.rest?.[0]?.resource ?? [];
    expect(resources.find((r) => r.type === 'Questionnaire')?.supportedProfile).toContain(Q_PROFILE);
    expect(resources.find((r) => r.type === 'QuestionnaireResponse')?.supportedProfile).toContain(QR_PROFILE);
  });
});

describe('DTR Standard Questionnaire (dtr-std-questionnaire, DTR 2.0.1): the demo Questionnaires', () => {
  it('when the server names the profile its demo Questionnaires claim, then it is the shipped canonical URL', () => {
    expect(DTR_QUESTIONNAIRE_PROFILE).toBe(Q_PROFILE);
  });

  it('when the demo DTR Questionnaires are validated, then each claims dtr-std-questionnaire and none has an error or a warning', () => {
    const questionnaires = demoQuestionnaires();
    expect(questionnaires.length).toBeGreaterThan(0);
    for (const q of questionnaires) {
      expect(q.meta?.profile).toEqual([Q_PROFILE]);
      expect(describeIssues(validateResource(q, registry)), q.id).toEqual([]);
    }
  });

  it('when a demo Questionnaire is checked, then it carries the narrative, a Patient subject type and at least one item', () => {
    for (const q of demoQuestionnaires()) {
      expect(q.text?.status).toBe('generated');
      expect(q.text?.div).toMatch(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">.*<\/div>$/);
      expect(q.text?.div).toContain(q.title ?? '(no title)');
      expect(q.subjectType).toEqual(['Patient']);
      expect(q.item?.length).toBeGreaterThan(0);
    }
  });
});

describe('DTR Standard Questionnaire (dtr-std-questionnaire, DTR 2.0.1): each rule', () => {
  type Q = Questionnaire & Record<string, unknown>;
  const CHOICE: QuestionnaireItem = {
    linkId: 'device-type',
    text: 'Device type',
    type: 'choice',
    answerOption: [{ valueCoding: { system: 'http://example.org/device-type', code: 'auto', display: 'Auto-titrating' } }, { valueCoding: { system: 'http://example.org/device-type', code: 'fixed', display: 'Fixed pressure' } }],
  };
  /** The CPAP demo Questionnaire with a choice item appended (so answerOption rules have something to act on). */
  const questionnaire = (): Q => {
    const q = copy(demoQuestionnaires()[0] as Questionnaire) as Q;
    q.item = [...(q.item ?? []), copy(CHOICE)];
    return q;
  };
  const item = (q: Q, i = 0): QuestionnaireItem => (q.item ?? [])[i] as QuestionnaireItem;
  const lastItem = (q: Q): QuestionnaireItem => (q.item ?? [])[(q.item?.length ?? 1) - 1] as QuestionnaireItem;
  const ext = (url: string): Extension => ({ url, valueString: 'x' });
  const twice = (url: string): Extension[] => [ext(url), ext(url)];

  it('when a demo Questionnaire gets a choice item and one of each 0..1 extension (styleSensitive false), then it still conforms', () => {
    const q = questionnaire();
    q.extension = [{ url: `${FHIR}rendering-styleSensitive`, valueBoolean: false }, { url: `${FHIR}questionnaire-signatureRequired`, valueCodeableConcept: { coding: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.1' }] } }];
    item(q).extension = [{ url: `${FHIR}questionnaire-hidden`, valueBoolean: false }, { url: `${SDC}sdc-questionnaire-shortText`, valueString: 'Sleep study' }];
    const option = lastItem(q).answerOption?.[0];
    expect(option).toBeDefined();
    (option as NonNullable<typeof option>).extension = [{ url: `${FHIR}ordinalValue`, valueDecimal: 1 }];
    expectConforms(q, registry);
  });

  const broken: ReadonlyArray<readonly [string, (q: Q) => void, string, string]> = [
    ['the narrative (text) is missing', (q) => delete q.text, 'min', 'Questionnaire.text'],
    ['subjectType is missing', (q) => delete q.subjectType, 'min', 'Questionnaire.subjectType'],
    ['subjectType is not Patient', (q) => (q.subjectType = ['Practitioner']), 'pattern', 'Questionnaire.subjectType'],
    ['subjectType lists Patient and another type', (q) => (q.subjectType = ['Patient', 'RelatedPerson']), 'max', 'Questionnaire.subjectType'],
    ['styleSensitive is true', (q) => (q.extension = [{ url: `${FHIR}rendering-styleSensitive`, valueBoolean: true }]), 'pattern', 'Questionnaire.extension[0].valueBoolean'],
    ['styleSensitive is given twice', (q) => (q.extension = [{ url: `${FHIR}rendering-styleSensitive`, valueBoolean: false }, { url: `${FHIR}rendering-styleSensitive`, valueBoolean: false }]), 'slice-max', 'Questionnaire.extension'],
    ['the SDC assemble-expectation extension is given', (q) => (q.extension = [{ url: `${SDC}sdc-questionnaire-assemble-expectation`, valueCode: 'assemble-root' }]), 'slice-max', 'Questionnaire.extension'],
    ['the SDC endpoint extension is given', (q) => (q.extension = [{ url: `${SDC}sdc-questionnaire-endpoint`, valueUri: 'https://payer.example.org/fhir' }]), 'slice-max', 'Questionnaire.extension'],
    ['signatureRequired is given twice', (q) => (q.extension = twice(`${FHIR}questionnaire-signatureRequired`)), 'slice-max', 'Questionnaire.extension'],
    ['an answerOption has no value', (q) => (lastItem(q).answerOption = [{ extension: [{ url: `${FHIR}questionnaire-optionExclusive`, valueBoolean: true }] }]), 'min', `Questionnaire.item[`],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const q = questionnaire();
    breakIt(q);
    expectRuleError(q, registry, Q_PROFILE, rule, expression);
  });

  it('when an answerOption has no value, then the error is the answerOption.value[x] minimum of dtr-std-questionnaire', () => {
    const q = questionnaire();
    lastItem(q).answerOption = [{ extension: [{ url: `${FHIR}questionnaire-optionExclusive`, valueBoolean: true }] }];
    const rules = errorsOf(validateResource(q, registry)).filter((i) => i.profile === Q_PROFILE).map((i) => `${i.rule} ${i.expression?.join(',') ?? ''}`);
    expect(rules).toEqual([`min Questionnaire.item[${(q.item?.length ?? 0) - 1}].answerOption[0].value[x]`]);
  });

  /** The item extensions dtr-std-questionnaire allows at most once (slice name → URL). */
  const ITEM_ONCE: ReadonlyArray<readonly [string, string]> = [
    ['itemMedia', `${SDC}sdc-questionnaire-itemMedia`],
    ['itemOptionalDisplay', `${SDC}sdc-questionnaire-optionalDisplay`],
    ['shortText', `${SDC}sdc-questionnaire-shortText`],
    ['itemHidden', `${FHIR}questionnaire-hidden`],
    ['openLabel', `${SDC}sdc-questionnaire-openLabel`],
    ['itemControl', `${FHIR}questionnaire-itemControl`],
    ['choiceOrientation', `${FHIR}questionnaire-choiceOrientation`],
    ['displayCategory', `${FHIR}questionnaire-displayCategory`],
    ['width', `${SDC}sdc-questionnaire-width`],
    ['sliderStepValue', `${FHIR}questionnaire-sliderStepValue`],
    ['entryFormat', `${FHIR}entryFormat`],
    ['collapsible', `${SDC}sdc-questionnaire-collapsible`],
    ['usageMode', `${FHIR}questionnaire-usageMode`],
    ['itemSignatureRequired', `${FHIR}questionnaire-signatureRequired`],
    ['minOccurs', `${FHIR}questionnaire-minOccurs`],
    ['maxOccurs', `${FHIR}questionnaire-maxOccurs`],
    ['minLength', `${FHIR}minLength`],
    ['regex', `${FHIR}regex`],
    ['minValue', `${FHIR}minValue`],
    ['maxValue', `${FHIR}maxValue`],
    ['minQuantity', `${SDC}sdc-questionnaire-minQuantity`],
    ['maxQuantity', `${SDC}sdc-questionnaire-maxQuantity`],
    ['maxDecimalPlaces', `${FHIR}maxDecimalPlaces`],
    ['mimeType', `${FHIR}mimeType`],
    ['maxSize', `${FHIR}maxSize`],
    ['answerOptionsToggleExpression', `${SDC}sdc-questionnaire-answerOptionsToggleExpression`],
    ['unitValueSet', `${FHIR}questionnaire-unitValueSet`],
    ['candidateExpression', `${SDC}sdc-questionnaire-candidateExpression`],
    ['lookupQuestionnaire', `${SDC}sdc-questionnaire-lookupQuestionnaire`],
    ['initialExpression', `${SDC}sdc-questionnaire-initialExpression`],
    ['calculatedExpression', `${SDC}sdc-questionnaire-calculatedExpression`],
    ['enableWhenExpression', `${SDC}sdc-questionnaire-enableWhenExpression`],
    ['unit', `${FHIR}questionnaire-unit`],
  ];
  const ANSWER_OPTION_ONCE: ReadonlyArray<readonly [string, string]> = [
    ['itemAnswerMedia', `${SDC}sdc-questionnaire-itemAnswerMedia`],
    ['optionExclusive', `${FHIR}questionnaire-optionExclusive`],
    ['ordinalValue', `${FHIR}ordinalValue`],
  ];
  const ROOT = [
    ['styleSensitive', `${FHIR}rendering-styleSensitive`, 1],
    ['assemble-expectation', `${SDC}sdc-questionnaire-assemble-expectation`, 0],
    ['endpoint', `${SDC}sdc-questionnaire-endpoint`, 0],
    ['signatureRequired', `${FHIR}questionnaire-signatureRequired`, 1],
  ] as const;

  it('when the profile is compiled, then its extension slices are exactly the ones tested here (no rule left untested)', () => {
    const root = registry.get(Q_PROFILE)?.root;
    const item = root?.children.get('item');
    expect(extensionSlices(root)).toEqual(new Map(ROOT.map(([name, url, max]) => [name, { url, max }])));
    expect(extensionSlices(item)).toEqual(new Map(ITEM_ONCE.map(([name, url]) => [name, { url, max: 1 }])));
    expect(extensionSlices(item?.children.get('answerOption'))).toEqual(new Map(ANSWER_OPTION_ONCE.map(([name, url]) => [name, { url, max: 1 }])));
  });

  it.each(ITEM_ONCE)('when an item carries the %s extension twice, then slice-max is reported on that item', (_name, url) => {
    const q = questionnaire();
    item(q).extension = twice(url);
    expectRuleError(q, registry, Q_PROFILE, 'slice-max', 'Questionnaire.item[0].extension');
  });

  it.each(ANSWER_OPTION_ONCE)('when an answerOption carries the %s extension twice, then slice-max is reported on that answerOption', (_name, url) => {
    const q = questionnaire();
    const option = lastItem(q).answerOption?.[1];
    expect(option).toBeDefined();
    (option as NonNullable<typeof option>).extension = twice(url);
    expectRuleError(q, registry, Q_PROFILE, 'slice-max', `Questionnaire.item[${(q.item?.length ?? 0) - 1}].answerOption[1].extension`);
  });
});

describe('DTR Questionnaire Response (dtr-questionnaireresponse, DTR 2.0.1)', () => {
  type QR = QuestionnaireResponse & Record<string, unknown>;
  const ORIGIN = `${DTR}information-origin`;
  const CONTEXT = `${DTR}qr-context`;
  const INTENDED_USE = `${DTR}intendedUse`;
  const origin = (source: string, practitioner?: string): Extension => ({
    url: ORIGIN,
    extension: [{ url: 'source', valueCode: source }, ...(practitioner ? [{ url: 'author', extension: [{ url: 'practitioner', valueReference: { reference: practitioner } }] }] : [])],
  });
  /** A completed response to the CPAP demo Questionnaire, for a CPAP ServiceRequest under the member's Coverage. */
  const response = (): QR => ({
    resourceType: 'QuestionnaireResponse',
    id: 'dtr-cpap-1',
    meta: { profile: [QR_PROFILE] },
    extension: [
      { url: CONTEXT, valueReference: { reference: 'Coverage/cov-member-1' } },
      { url: CONTEXT, valueReference: { reference: 'ServiceRequest/sr-cpap-1' } },
      { url: INTENDED_USE, valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', code: 'withpa' }] } },
    ],
    questionnaire: `${demoQuestionnaires()[0]?.url ?? ''}|1.0.0`,
    status: 'completed',
    subject: { reference: 'Patient/member-1' },
    authored: '2026-03-02T15:04:05Z',
    author: { reference: 'PractitionerRole/pr-1' },
    item: [
      { linkId: 'sleep-study', answer: [{ valueBoolean: true, extension: [origin('auto')] }] },
      { linkId: 'ahi', answer: [{ valueDecimal: 22.5, extension: [origin('override', 'Practitioner/p-1')] }] },
      { linkId: 'clinical-notes', answer: [{ valueString: 'Home sleep test on 2026-02-10.', extension: [origin('manual', 'Practitioner/p-1')] }] },
    ],
  });
  const answer = (qr: QR, i = 0): QuestionnaireResponseItemAnswer => (qr.item?.[i]?.answer ?? [])[0] as QuestionnaireResponseItemAnswer;
  const originOf = (qr: QR, i = 0): Extension => (answer(qr, i).extension ?? [])[0] as Extension;
  const sub = (e: Extension, url: string): Extension => (e.extension ?? []).find((x) => x.url === url) as Extension;
  const withoutUrl = (list: Extension[] | undefined, url: string): Extension[] => (list ?? []).filter((e) => e.url !== url);

  it('when a conforming DTR QuestionnaireResponse (auto, override and manual answers) is validated, then no error or warning is reported', () => {
    expectConforms(response(), registry);
  });

  it('when it is in progress, lists a third context and several intended uses, and is authored by the member, then it still conforms', () => {
    const qr = response();
    qr.status = 'in-progress';
    qr.author = { reference: 'Patient/member-1' };
    qr.extension = [
      ...(qr.extension ?? []),
      { url: CONTEXT, valueReference: { reference: 'Encounter/enc-1' } },
      { url: INTENDED_USE, valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', code: 'retain-doc' }] } },
    ];
    expectConforms(qr, registry);
  });

  const missing: ReadonlyArray<readonly [string, (qr: QR) => void, string, string]> = [
    ['the extensions are missing', (qr) => delete qr.extension, 'min', 'QuestionnaireResponse.extension'],
    ['there is no qr-context', (qr) => (qr.extension = withoutUrl(qr.extension, CONTEXT)), 'slice-min', 'QuestionnaireResponse.extension'],
    ['there is a single qr-context', (qr) => (qr.extension = (qr.extension ?? []).slice(1)), 'slice-min', 'QuestionnaireResponse.extension'],
    ['there is no intendedUse', (qr) => (qr.extension = withoutUrl(qr.extension, INTENDED_USE)), 'slice-min', 'QuestionnaireResponse.extension'],
    ['the extensions are fewer than three', (qr) => (qr.extension = withoutUrl(qr.extension, INTENDED_USE)), 'min', 'QuestionnaireResponse.extension'],
    ['a qr-context has no value', (qr) => (qr.extension = [{ url: CONTEXT, extension: [{ url: 'note', valueString: 'no reference' }] }, ...(qr.extension ?? []).slice(1)]), 'min', 'QuestionnaireResponse.extension[0].value'],
    ['the intendedUse has no value', (qr) => (qr.extension = [...withoutUrl(qr.extension, INTENDED_USE), { url: INTENDED_USE, extension: [{ url: 'note', valueString: 'no code' }] }]), 'min', 'QuestionnaireResponse.extension[2].value'],
    ['questionnaire is missing', (qr) => delete qr.questionnaire, 'min', 'QuestionnaireResponse.questionnaire'],
    ['subject is missing', (qr) => delete qr.subject, 'min', 'QuestionnaireResponse.subject'],
    ['item is missing', (qr) => delete qr.item, 'min', 'QuestionnaireResponse.item'],
    ['an answer has no information-origin', (qr) => delete answer(qr).extension, 'slice-min', 'QuestionnaireResponse.item[0].answer[0].extension'],
    ['an information-origin has no source', (qr) => (originOf(qr, 1).extension = [sub(originOf(qr, 1), 'author')]), 'slice-min', 'QuestionnaireResponse.item[1].answer[0].extension[0].extension'],
    ['an information-origin source has no value', (qr) => (originOf(qr).extension = [{ url: 'source' }]), 'min', 'QuestionnaireResponse.item[0].answer[0].extension[0].extension[0].value'],
    ['an information-origin author names a practitioner without a value', (qr) => (sub(originOf(qr, 1), 'author').extension = [{ url: 'practitioner', extension: [{ url: 'note', valueString: 'unnamed' }] }]), 'min', 'QuestionnaireResponse.item[1].answer[0].extension[0].extension[1].extension[0].value'],
  ];

  it.each(missing)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const qr = response();
    breakIt(qr);
    expectRuleError(qr, registry, QR_PROFILE, rule, expression);
  });

  const broken: ReadonlyArray<readonly [string, (qr: QR) => void, string, string]> = [
    ['basedOn is given', (qr) => (qr.basedOn = [{ reference: 'ServiceRequest/sr-cpap-1' }]), 'max', 'QuestionnaireResponse.basedOn'],
    ['partOf is given', (qr) => (qr.partOf = [{ reference: 'Procedure/proc-1' }]), 'max', 'QuestionnaireResponse.partOf'],
    ['subject is not a Patient', (qr) => (qr.subject = { reference: 'Group/g-1' }), 'target', 'QuestionnaireResponse.subject'],
    ['author is a Location', (qr) => (qr.author = { reference: 'Location/loc-1' }), 'target', 'QuestionnaireResponse.author'],
    ['a qr-context value is not a Reference', (qr) => (qr.extension = [{ url: CONTEXT, valueString: 'Coverage/cov-member-1' }, ...(qr.extension ?? []).slice(1)]), 'type', 'QuestionnaireResponse.extension[0].valueString'],
    ['the intendedUse value is a Coding, not a CodeableConcept', (qr) => (qr.extension = [...withoutUrl(qr.extension, INTENDED_USE), { url: INTENDED_USE, valueCoding: { code: 'withpa' } }]), 'type', 'QuestionnaireResponse.extension[2].valueCoding'],
    ['an answer has two information-origins', (qr) => (answer(qr).extension = [origin('auto'), origin('auto')]), 'slice-max', 'QuestionnaireResponse.item[0].answer[0].extension'],
    ['an information-origin has two sources', (qr) => (originOf(qr).extension = [{ url: 'source', valueCode: 'auto' }, { url: 'source', valueCode: 'auto' }]), 'slice-max', 'QuestionnaireResponse.item[0].answer[0].extension[0].extension'],
    ['an information-origin source is a string', (qr) => (originOf(qr).extension = [{ url: 'source', valueString: 'auto' }]), 'type', 'QuestionnaireResponse.item[0].answer[0].extension[0].extension[0].valueString'],
    ['an information-origin source has its own extension', (qr) => (originOf(qr).extension = [{ url: 'source', valueCode: 'auto', extension: [{ url: 'note', valueString: 'x' }] }]), 'max', 'QuestionnaireResponse.item[0].answer[0].extension[0].extension[0].extension'],
    ['an information-origin has two authors', (qr) => (originOf(qr, 1).extension = [...(originOf(qr, 1).extension ?? []), sub(originOf(qr, 1), 'author')]), 'slice-max', 'QuestionnaireResponse.item[1].answer[0].extension[0].extension'],
    ['the author practitioner is an Organization', (qr) => (sub(originOf(qr, 1), 'author').extension = [{ url: 'practitioner', valueReference: { reference: 'Organization/org-1' } }]), 'target', 'QuestionnaireResponse.item[1].answer[0].extension[0].extension[1].extension[0].valueReference'],
    ['a manual answer has no author (dtrx-1)', (qr) => (answer(qr, 2).extension = [origin('manual')]), 'dtrx-1', 'QuestionnaireResponse.item[2].answer[0].extension[0]'],
    ['an override answer has no author (dtrx-1)', (qr) => (answer(qr, 1).extension = [origin('override')]), 'dtrx-1', 'QuestionnaireResponse.item[1].answer[0].extension[0]'],
    ['an auto answer names an author (dtrx-1)', (qr) => (answer(qr).extension = [origin('auto', 'Practitioner/p-1')]), 'dtrx-1', 'QuestionnaireResponse.item[0].answer[0].extension[0]'],
  ];

  it.each(broken)('when %s, then the profile rejects it', (_what, breakIt, rule, expression) => {
    const qr = response();
    breakIt(qr);
    expectRuleError(qr, registry, QR_PROFILE, rule, expression);
  });

  it('when only dtrx-1 is broken, then it is the only dtr-questionnaireresponse error', () => {
    const qr = response();
    answer(qr, 2).extension = [origin('manual')];
    expect(describeIssues(errorsOf(validateResource(qr, registry)))).toEqual([
      `error ${QR_PROFILE} dtrx-1 QuestionnaireResponse.item[2].answer[0].extension[0]: Constraint dtrx-1 not met: If source is 'override' or 'manual' then an author SHALL be supplied, otherwise author is prohibited.`,
    ]);
  });
});
