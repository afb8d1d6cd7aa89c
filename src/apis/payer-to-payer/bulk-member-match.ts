/**
 * `POST [base]/Group/$bulk-member-match` (Da Vinci PDex 2.1, docs/research/payer-to-payer.md §2): many
 * members at once, each a `MemberBundle` with MemberPatient, CoverageToMatch, CoverageToLink and its
 * Consent (required per member). Each is matched and its Consent checked exactly as `$member-match`
 * does (member-match-operation.ts `matchOne`, one recorded decision per member, traceable to the
 * request and position); one member's failure never fails the request. The answer is Parameters with
 *  - `MatchedMembers`: a Group of our Patients (each with the submitted Patient contained and pointed to
 *    by `base-ext-match-parameters`), stored in the FHIR store so the requester can read it and export it
 *    (`Group/{id}/$davinci-data-export`, exportType `hl7.fhir.us.davinci-pdex#payertopayer`);
 *  - `NonMatchedMembers`: no member, or several (never resolved by picking one);
 *  - `ConsentConstrainedMembers`: matched, but the Consent cannot be complied with. They refer to their
 *    submitted Patient only, so no member identity is disclosed.
 * Synchronous (PDex 2.1), up to MAX_MEMBERS per request.
 */
import type { Group, GroupMember, Parameters, ParametersParameter, Patient } from '@medplum/fhirtypes';
import type { FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import { badRequest } from '../../fhir/outcome.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import { matchOne, memberMatchInputs, payerClientOf, type MemberMatchDeps, type MemberMatchRequest } from './member-match-operation.js';

export const MAX_MEMBERS = 1_000;
export const MATCH_PARAMETERS = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/base-ext-match-parameters';
const RESULT_CS = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS';
const RESULT_DISPLAY = { match: 'Matched', nomatch: 'Not Matched', consentconstraint: 'Consent Constraint' } as const;
const PDEX_SD = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition';

/** A matched-members Group a payer client may read and export. */
export interface PayerGroup extends StoredDocument {
  _id: string;
  client: string;
  organization: string;
  createdAt: number;
}

export const PAYER_GROUPS = 'payer-groups';
export const payerGroups = (docs: DocumentStore) => docs.collection<PayerGroup>(PAYER_GROUPS, { indexes: [['client']] });

export interface BulkMemberMatchDeps extends MemberMatchDeps {
  docs: DocumentStore;
  /** Writes with the system's access (the matched Group). */
  system(req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>): Promise<FhirResponse>;
  newId: () => string;
}

interface Submitted {
  index: number;
  input: MemberMatchRequest;
}

/** The submitted Patient as a contained resource (`m<position>`), without what a contained resource may not carry. */
function contained(s: Submitted): Patient {
  const { id: _id, meta: _meta, text: _text, contained: _nested, ...rest } = structuredClone(s.input.patient);
  return { ...rest, id: `m${s.index}` };
}

const pointer = (s: Submitted) => ({ url: MATCH_PARAMETERS, valueReference: { reference: `#m${s.index}` } });

function resultGroup(code: keyof typeof RESULT_DISPLAY, profile: string, submitted: Submitted[], member: GroupMember[], payer: MemberMatchDeps['payer']): Group {
  return {
    resourceType: 'Group',
    ...(member.length > 0 ? { meta: { profile: [`${PDEX_SD}/${profile}`] } } : {}),
    ...(submitted.length > 0 ? { contained: submitted.map(contained) } : {}),
    type: 'person',
    actual: true,
    code: { coding: [{ system: RESULT_CS, code, display: RESULT_DISPLAY[code] }] },
    managingEntity: { reference: payer.reference, ...(payer.display ? { display: payer.display } : {}) },
    quantity: member.length,
    ...(member.length > 0 ? { member } : {}),
  };
}

export function bulkMemberMatchOperation(deps: BulkMemberMatchDeps): OperationHandler {
  const groups = payerGroups(deps.docs);
  return {
    type: 'Group',
    name: 'bulk-member-match',
    level: 'type',
    async handle(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
      const client = await payerClientOf(deps, ctx, 'bulk-member-match');
      if (req.method !== 'POST') throw badRequest('$bulk-member-match is called with POST and a Parameters body');
      const body = req.body as Parameters | undefined;
      if (body?.resourceType !== 'Parameters') throw badRequest('$bulk-member-match takes a Parameters resource');
      const bundles = body.parameter ?? [];
      const unknown = bundles.find((p) => p.name !== 'MemberBundle');
      if (unknown) throw badRequest(`$bulk-member-match: unknown parameter ${JSON.stringify(unknown.name)} (expected MemberBundle)`);
      if (bundles.length === 0) throw badRequest('$bulk-member-match needs at least one MemberBundle');
      if (bundles.length > MAX_MEMBERS) throw badRequest(`$bulk-member-match takes at most ${MAX_MEMBERS} members per request (got ${bundles.length})`);
      // Parse every member first: a malformed one fails the request before anything is recorded.
      const submitted: Submitted[] = bundles.map((b, index) => ({ index, input: memberMatchInputs(b.part ?? [], `MemberBundle ${index + 1}`) }));

      const batch = deps.newId();
      const matched: Array<{ s: Submitted; patient: string }> = [];
      const nonMatched: Submitted[] = [];
      const constrained: Submitted[] = [];
      const seen = new Set<string>();
      for (const s of submitted) {
        const answer = await matchOne(deps, client, s.input, 'bulk-member-match', { id: batch, index: s.index });
        if (answer.kind === 'matched' && !seen.has(answer.patient)) {
          seen.add(answer.patient);
          matched.push({ s, patient: answer.patient });
        } else if (answer.kind === 'consent') constrained.push(s);
        else nonMatched.push(s);
      }

      const matchedGroup = resultGroup(
        'match',
        'pdex-member-match-group',
        matched.map((m) => m.s),
        matched.map((m) => ({ entity: { reference: `Patient/${m.patient}`, extension: [pointer(m.s)] } })),
        deps.payer,
      );
      if (matched.length > 0) {
        const id = `p2p-${batch}`.slice(0, 64);
        matchedGroup.id = id;
        matchedGroup.name = `Members matched for ${client.name}`;
        await deps.system({ method: 'PUT', path: ['Group', id], body: matchedGroup });
        await groups.put({ _id: id, client: client._id, organization: client.organization as string, createdAt: deps.clock().getTime() });
      }
      const parameter: ParametersParameter[] = [{ name: 'MatchedMembers', resource: matchedGroup }];
      const submittedMember = (s: Submitted): GroupMember => ({ entity: { reference: `#m${s.index}`, extension: [pointer(s)] } });
      if (nonMatched.length > 0) parameter.push({ name: 'NonMatchedMembers', resource: resultGroup('nomatch', 'pdex-member-no-match-group', nonMatched, nonMatched.map(submittedMember), deps.payer) });
      if (constrained.length > 0) {
        parameter.push({ name: 'ConsentConstrainedMembers', resource: resultGroup('consentconstraint', 'pdex-member-consent-constraint-group', constrained, constrained.map(submittedMember), deps.payer) });
      }
      const out: Parameters = { resourceType: 'Parameters', meta: { profile: [`${PDEX_SD}/pdex-parameters-multi-member-match-bundle-out`] }, parameter };
      return { status: 200, headers: {}, body: out, compartments: matched.map((m) => `Patient/${m.patient}`) };
    },
  };
}
