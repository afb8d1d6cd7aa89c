/**
 * Request and response of PDex 2.2 `Group/$provider-member-match` (Provider Access v2): parse and check
 * the request Parameters; build the three result Groups and the response Parameters. Matching itself
 * (who is a member, who opted out) is not here.
 *
 * Sources, HL7/davinci-epdx input/fsh/ (published at http://hl7.org/fhir/us/davinci-pdex/STU2.2/):
 * - Operation-provider-member-match.fsh (046c2bc, 2.2.0): IN `MemberBundle` 1..*, parts `MemberPatient`
 *   1..1 Patient, `CoverageToMatch` 1..1 Coverage, `CoverageToLink` 0..1 Coverage, `Consent` 1..1
 *   Consent (ProviderTreatmentAttestation). The 2.1.1 draft (7956b33) said `MembersToMatch` and
 *   `TreatmentAttestation`; those names are rejected with a hint. ProviderMultiMemberMatchRequestProfile.fsh
 *   slices them openly; this server still rejects undeclared names so a typo is not silently ignored.
 * - ProviderMultiMemberMatchResponseProfile.fsh (046c2bc): `parameter` 1..3, closed slicing, value[x]
 *   0..0; `MatchedMembers` 1..1 ProviderMemberMatchGroup, `NonMatchedMembers` 0..1 ProviderMemberNoMatchGroup,
 *   `ConsentConstrainedMembers` 0..1 MemberOptOut. Both Groups there: type person, actual true, `code`
 *   1..1 (PDexMultiMemberMatchResultVS), `managingEntity` 1..1 the payer, `identifier` the provider
 *   organization (typically NPI), `member` 1..*. Matched: characteristic code #match, valueReference the
 *   provider organization, exclude false, period.start the match date; `member.entity` the payer's
 *   Patient with `member.entity.extension[matchedMember]`. No-match: `member.entity` a local reference
 *   (`#...`) to the contained submitted Patient, with extension[nonMatchedMember].
 * - base-ext-match-parameters (STU2.2 StructureDefinition page): context Group.member.entity,
 *   valueReference Reference(Patient).
 * - ProfileMemberOptOut.fsh (4db73a5, pdex-member-opt-out): active true, characteristic.code 1..1 fixed
 *   #consentconstraint, characteristic.valueCodeableConcept 1..1 from OptOutScopeValueSet
 *   (CodeSystemOptOutScope.fsh), exclude false, member.entity 1..1 Reference(Patient), quantity.
 * - ProfileProviderTreatmentAttestation.fsh (c714d99, 0a577c2): status in {active, entered-in-error},
 *   provision.type in {permit} (both required bindings), dateTime 1..1, performer 1..*
 *   Reference(Practitioner | Organization | PractitionerRole) that SHOULD carry the NPI identifier.
 * - Examples: ExampleProviderMemberMatchRequest.fsh, ExampleProviderMultiMemberMatchResponse.fsh,
 *   ExampleProviderMemberMatchGroups.fsh.
 *
 * Choices:
 * - Nothing matched: MatchedMembers is 1..1 but its Group needs member 1..*. MatchedMembers stays, with
 *   no `member`, quantity 0, and no claim of the profile it cannot meet.
 * - Submitted Patients are contained with ids `m<index of the MemberBundle>`: requesters correlate by
 *   position, and two members sent with the same id cannot collide. The requester's id,
 *   meta.versionId/lastUpdated/security, narrative and nested `contained` are dropped (R4 dom-2/4/5).
 * - Consent-constrained members refer to their submitted Patient (`#m<n>`), not to the payer's Patient,
 *   so an opted-out member's record id is not disclosed. Their opt-out scope is `global`: the program's
 *   Provider Access opt-out (pdex-provider-consent, docs/DOMAIN.md "Consents") covers every provider.
 */
import type { CodeableConcept, Consent, Coverage, Extension, Group, GroupMember, Identifier } from '@medplum/fhirtypes';
import type { Organization, Parameters, ParametersParameter, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { FhirError, badRequest, unprocessable, type Issue } from '../../fhir/outcome.js';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';

export interface MemberToMatch {
  /** 0-based position of the MemberBundle parameter in the request. */
  index: number;
  /** Part MemberPatient (HRex patient demographics). */
  patient: Patient;
  /** Part CoverageToMatch. */
  coverage: Coverage;
  /** Part CoverageToLink. */
  coverageToLink?: Coverage;
  /** Part Consent: the provider treatment attestation. */
  attestation: Consent;
}

export interface MatchResult {
  matched: Array<{ member: MemberToMatch; patientId: string }>;
  nonMatched: MemberToMatch[];
  consentConstrained: Array<{ member: MemberToMatch; patientId: string }>;
}

export interface GroupContext {
  /** The requesting provider organization: reference ('Organization/x'), NPI, display name. */
  organization: { reference: string; npi: string; display?: string };
  payer: { reference: string; display?: string };
  now: Date;
}

/** base-ext-match-parameters: on Group.member.entity, valueReference to the submitted Patient. */
export const MATCH_PARAMETERS_EXTENSION = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/base-ext-match-parameters';

const MEMBER_BUNDLE = 'MemberBundle';
/** Part name → resource type (OperationDefinition ProviderMemberMatch). */
const PART_TYPES = { MemberPatient: 'Patient', CoverageToMatch: 'Coverage', CoverageToLink: 'Coverage', Consent: 'Consent' } as const;
type PartName = keyof typeof PART_TYPES;
const REQUIRED_PARTS: PartName[] = ['MemberPatient', 'CoverageToMatch', 'Consent'];
/** Names from the 2.1.1 CI draft of the operation, renamed in 2.2.0 (FHIR-56075, FHIR-56242). */
const DRAFT_NAMES: Record<string, string> = { MembersToMatch: MEMBER_BUNDLE, TreatmentAttestation: 'Consent' };
/** FHIR dateTime (R4 datatypes: YYYY, YYYY-MM, YYYY-MM-DD or a full time with zone). */
const FHIR_DATE_TIME =
  /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPartName(name: string): name is PartName {
  return Object.prototype.hasOwnProperty.call(PART_TYPES, name);
}

function draftHint(name: string): string {
  const current = DRAFT_NAMES[name];
  return current ? ` ('${name}' is the PDex 2.1.1 draft name; PDex 2.2.0 calls it '${current}')` : '';
}

/** Parses and checks a $provider-member-match request body (see the file comment for the rules). */
export function parseProviderMemberMatch(body: unknown, maxMembers: number): MemberToMatch[] {
  if (!isRecord(body) || body.resourceType !== 'Parameters') {
    throw badRequest('The body of Group/$provider-member-match must be a Parameters resource');
  }
  if (body.parameter !== undefined && !Array.isArray(body.parameter)) {
    throw badRequest('Parameters.parameter must be an array', ['Parameters.parameter']);
  }
  const parameters: unknown[] = Array.isArray(body.parameter) ? body.parameter : [];
  const unknown = parameters.flatMap((parameter, i) => {
    const name = isRecord(parameter) ? parameter.name : undefined;
    if (name === MEMBER_BUNDLE) return [];
    return [{ shown: typeof name === 'string' ? `'${name}'${draftHint(name)}` : '(no name)', at: `Parameters.parameter[${i}]` }];
  });
  if (unknown.length > 0) {
    const names = unknown.map((u) => u.shown).join(', ');
    throw badRequest(`Unknown parameter ${names}: $provider-member-match takes only MemberBundle`, unknown.map((u) => u.at));
  }
  if (parameters.length === 0) {
    throw badRequest('$provider-member-match needs at least one MemberBundle parameter', ['Parameters.parameter']);
  }
  if (parameters.length > maxMembers) {
    throw new FhirError(400, {
      code: 'too-costly',
      diagnostics: `${parameters.length} members were submitted; this server matches at most ${maxMembers} per request`,
      expression: ['Parameters.parameter'],
    });
  }
  const members: MemberToMatch[] = [];
  const issues: Issue[] = [];
  parameters.forEach((parameter, index) => {
    const parsed = parseMember(isRecord(parameter) ? parameter : {}, index);
    if ('problems' in parsed) {
      issues.push({
        code: 'invalid',
        diagnostics: `MemberBundle ${index}: ${parsed.problems.map((p) => p.message).join('; ')}`,
        expression: [...new Set(parsed.problems.map((p) => p.expression))],
      });
    } else {
      members.push(parsed);
    }
  });
  if (issues.length > 0) throw unprocessable(issues);
  return members;
}

interface Problem {
  message: string;
  expression: string;
}

function parseMember(parameter: Record<string, unknown>, index: number): MemberToMatch | { problems: Problem[] } {
  const at = `Parameters.parameter[${index}]`;
  const problems: Problem[] = [];
  const seen = new Set<PartName>();
  const usable: Partial<Record<PartName, { resource: Record<string, unknown>; at: string }>> = {};
  const parts: unknown[] = Array.isArray(parameter.part) ? parameter.part : [];
  parts.forEach((part, j) => {
    const partAt = `${at}.part[${j}]`;
    const name = isRecord(part) ? part.name : undefined;
    if (typeof name !== 'string' || !isPartName(name)) {
      const shown = typeof name === 'string' ? `'${name}'${draftHint(name)}` : 'a part without a name';
      problems.push({ message: `unknown part ${shown}`, expression: partAt });
      return;
    }
    if (seen.has(name)) {
      problems.push({ message: `part ${name} appears more than once (at most 1)`, expression: partAt });
      return;
    }
    seen.add(name);
    const resource = isRecord(part) ? part.resource : undefined;
    if (!isRecord(resource)) {
      problems.push({ message: `part ${name} carries no resource`, expression: partAt });
    } else if (resource.resourceType !== PART_TYPES[name]) {
      const actual = typeof resource.resourceType === 'string' ? resource.resourceType : 'no resourceType';
      problems.push({ message: `part ${name} must be a ${PART_TYPES[name]}, not ${actual}`, expression: `${partAt}.resource` });
    } else {
      usable[name] = { resource, at: partAt };
    }
  });
  for (const name of REQUIRED_PARTS) {
    if (!seen.has(name)) problems.push({ message: `part ${name} is missing (1..1)`, expression: at });
  }
  if (usable.Consent) {
    problems.push(...attestationProblems(usable.Consent.resource, `${usable.Consent.at}.resource`));
  }
  const { MemberPatient: patient, CoverageToMatch: coverage, CoverageToLink: coverageToLink, Consent: consent } = usable;
  if (problems.length > 0 || !patient || !coverage || !consent) return { problems };
  return {
    index,
    patient: patient.resource as unknown as Patient,
    coverage: coverage.resource as unknown as Coverage,
    ...(coverageToLink ? { coverageToLink: coverageToLink.resource as unknown as Coverage } : {}),
    attestation: consent.resource as unknown as Consent,
  };
}

/** A request value in a diagnostic: quoted and cut short, or "none". */
function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 40)}'` : 'none';
}

/**
 * ProviderTreatmentAttestation checks on the raw request resource: an active permit, dated, with at
 * least one performer given by reference or identifier. (The profile also allows status
 * entered-in-error, which attests nothing.)
 */
function attestationProblems(consent: Record<string, unknown>, at: string): Problem[] {
  const problems: Problem[] = [];
  if (consent.status !== 'active') {
    problems.push({ message: `the attestation must have status 'active', not ${shown(consent.status)}`, expression: `${at}.status` });
  }
  const provisionType = isRecord(consent.provision) ? consent.provision.type : undefined;
  if (provisionType !== 'permit') {
    problems.push({
      message: `the attestation must have provision.type 'permit', not ${shown(provisionType)}`,
      expression: `${at}.provision.type`,
    });
  }
  if (typeof consent.dateTime !== 'string' || !FHIR_DATE_TIME.test(consent.dateTime)) {
    problems.push({ message: 'the attestation must have a dateTime (1..1)', expression: `${at}.dateTime` });
  }
  const performers: unknown[] = Array.isArray(consent.performer) ? consent.performer : [];
  if (!performers.some((p) => isRecord(p) && (typeof p.reference === 'string' || isRecord(p.identifier)))) {
    problems.push({
      message: 'the attestation must name at least one performer (1..*), preferably by NPI identifier',
      expression: `${at}.performer`,
    });
  }
  return problems;
}

function npiOf(identifiers: Identifier[] | undefined): string[] {
  if (!Array.isArray(identifiers)) return [];
  return identifiers
    .filter((i) => isRecord(i) && i.system === IDENTIFIER_SYSTEM.npi && typeof i.value === 'string' && i.value.trim() !== '')
    .map((i) => (i.value ?? '').trim());
}

/**
 * The NPIs named by an attestation's performers: `performer.identifier` with the NPI system, or, for a
 * local reference `#x`, the NPI identifiers of the contained Practitioner, Organization or
 * PractitionerRole `x`. Distinct, in order of appearance.
 */
export function attestingNpis(attestation: Consent): string[] {
  const contained: Resource[] = Array.isArray(attestation.contained) ? attestation.contained : [];
  const npis: string[] = [];
  for (const performer of Array.isArray(attestation.performer) ? attestation.performer : []) {
    if (!isRecord(performer)) continue;
    if (isRecord(performer.identifier)) npis.push(...npiOf([performer.identifier]));
    const ref = performer.reference;
    if (typeof ref === 'string' && ref.startsWith('#')) {
      const target = contained.find((r) => isRecord(r) && r.id === ref.slice(1));
      if (
        target &&
        (target.resourceType === 'Practitioner' || target.resourceType === 'Organization' || target.resourceType === 'PractitionerRole')
      ) {
        npis.push(...npiOf(target.identifier));
      }
    }
  }
  return [...new Set(npis)];
}

// ---------------------------------------------------------------------------------------------
// Response

type ResultCode = 'match' | 'nomatch' | 'consentconstraint';
const RESULT_DISPLAY: Record<ResultCode, string> = {
  match: 'Matched',
  nomatch: 'Not Matched',
  consentconstraint: 'Consent Constraint',
};

function resultConcept(code: ResultCode): CodeableConcept {
  return { coding: [{ system: CODE_SYSTEM.pdexMultiMemberMatchResult, code, display: RESULT_DISPLAY[code] }] };
}

function localId(member: MemberToMatch): string {
  return `m${member.index}`;
}

/** The submitted Patient as a contained resource: our id, none of the elements a contained resource may not carry. */
function containedPatient(member: MemberToMatch): Patient {
  const { id: _id, meta, text: _text, contained: _contained, ...rest } = structuredClone(member.patient);
  const kept = meta ? (({ versionId: _v, lastUpdated: _l, security: _s, ...m }) => m)(meta) : undefined;
  return { ...rest, id: localId(member), ...(kept && Object.keys(kept).length > 0 ? { meta: kept } : {}) };
}

function submittedPatientExtension(member: MemberToMatch): Extension {
  return { url: MATCH_PARAMETERS_EXTENSION, valueReference: { reference: `#${localId(member)}` } };
}

/** Members referring to their contained submitted Patient (no-match and opt-out Groups). */
function submittedMember(member: MemberToMatch): GroupMember {
  return { entity: { reference: `#${localId(member)}`, extension: [submittedPatientExtension(member)] } };
}

function organizationNpi(ctx: GroupContext): Identifier {
  return { system: IDENTIFIER_SYSTEM.npi, value: ctx.organization.npi };
}

function payerReference(ctx: GroupContext): Reference<Organization> {
  return { reference: ctx.payer.reference, ...(ctx.payer.display ? { display: ctx.payer.display } : {}) };
}

/** What the three result Groups share: profile, code, requesting organization NPI, payer, members. */
function resultGroup(
  profile: string,
  code: ResultCode,
  members: MemberToMatch[],
  groupMembers: GroupMember[],
  ctx: GroupContext,
): Group {
  return {
    resourceType: 'Group',
    meta: { profile: [profile] },
    ...(members.length > 0 ? { contained: members.map(containedPatient) } : {}),
    identifier: [organizationNpi(ctx)],
    active: true,
    type: 'person',
    actual: true,
    code: resultConcept(code),
    managingEntity: payerReference(ctx),
    quantity: groupMembers.length,
    ...(groupMembers.length > 0 ? { member: groupMembers } : {}),
  };
}

/**
 * The ProviderMemberMatchGroup (pdex-provider-member-match) for the matched members, with the given id.
 * With no matched member it has no `member`, quantity 0 and no `meta.profile` (see the file comment).
 */
export function matchedMembersGroup(id: string, result: MatchResult, ctx: GroupContext): Group {
  const members = result.matched.map((m) => m.member);
  const groupMembers: GroupMember[] = result.matched.map(({ member, patientId }) => ({
    entity: { reference: `Patient/${patientId}`, extension: [submittedPatientExtension(member)] },
  }));
  const organization: Reference = {
    reference: ctx.organization.reference,
    identifier: organizationNpi(ctx),
    ...(ctx.organization.display ? { display: ctx.organization.display } : {}),
  };
  const group = resultGroup(DAVINCI_PROFILE.pdexProviderMemberMatchGroup, 'match', members, groupMembers, ctx);
  // The profile needs member 1..*: an empty MatchedMembers (the parameter is 1..1) does not claim it.
  if (groupMembers.length === 0) delete group.meta;
  return {
    ...group,
    id,
    characteristic: [
      { code: resultConcept('match'), valueReference: organization, exclude: false, period: { start: ctx.now.toISOString() } },
    ],
  };
}

/** The ProviderMemberNoMatchGroup (pdex-provider-member-no-match), or undefined when empty (member 1..*). */
export function nonMatchedMembersGroup(result: MatchResult, ctx: GroupContext): Group | undefined {
  const members = result.nonMatched;
  if (members.length === 0) return undefined;
  return resultGroup(DAVINCI_PROFILE.pdexProviderMemberNoMatchGroup, 'nomatch', members, members.map(submittedMember), ctx);
}

/** The MemberOptOut Group (pdex-member-opt-out, code consentconstraint), or undefined when empty. */
export function consentConstrainedGroup(result: MatchResult, ctx: GroupContext): Group | undefined {
  const members = result.consentConstrained.map((c) => c.member);
  if (members.length === 0) return undefined;
  return {
    ...resultGroup(DAVINCI_PROFILE.pdexMemberOptOut, 'consentconstraint', members, members.map(submittedMember), ctx),
    characteristic: [
      {
        code: resultConcept('consentconstraint'),
        valueCodeableConcept: { coding: [{ system: CODE_SYSTEM.pdexOptOutScope, code: 'global', display: 'Global Opt-Out' }] },
        exclude: false,
      },
    ],
  };
}

/**
 * The operation's response Parameters (provider-parameters-multi-member-match-bundle-out): MatchedMembers
 * always, NonMatchedMembers and ConsentConstrainedMembers when they have members. With
 * `suppressConsentConstrained` (PDex §pdex-261a: saying that a member opted out can itself disclose
 * something) the consent-constrained members are reported as not matched instead.
 */
export function memberMatchResponse(
  result: MatchResult,
  matchedGroup: Group,
  ctx: GroupContext,
  opts: { suppressConsentConstrained: boolean },
): Parameters {
  const nonMatched = opts.suppressConsentConstrained
    ? [...result.nonMatched, ...result.consentConstrained.map((c) => c.member)].sort((a, b) => a.index - b.index)
    : result.nonMatched;
  const noMatchGroup = nonMatchedMembersGroup({ ...result, nonMatched }, ctx);
  const optOutGroup = opts.suppressConsentConstrained ? undefined : consentConstrainedGroup(result, ctx);
  const parameter: ParametersParameter[] = [{ name: 'MatchedMembers', resource: matchedGroup }];
  if (noMatchGroup) parameter.push({ name: 'NonMatchedMembers', resource: noMatchGroup });
  if (optOutGroup) parameter.push({ name: 'ConsentConstrainedMembers', resource: optOutGroup });
  return { resourceType: 'Parameters', meta: { profile: [DAVINCI_PROFILE.pdexProviderMemberMatchOut] }, parameter };
}
