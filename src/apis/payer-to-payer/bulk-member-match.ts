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
 * Synchronous (PDex 2.1) up to MAX_MEMBERS per request; with `Prefer: respond-async` (PDex 2.2) up to
 * MAX_ASYNC_MEMBERS: 202 with a status URL, and the same Bulk Data status / manifest / download endpoints
 * as an export, the manifest listing `Group.ndjson` (the result Groups) and `Parameters.ndjson` (the 2.1
 * answer, for clients that read that). The members wait in the document store in chunks; the job runs in
 * the export runner (a task), survives a restart like an export, and is visible to its client only.
 */
import type { Group, GroupMember, Parameters, ParametersParameter, Patient } from '@medplum/fhirtypes';
import type { FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import { badRequest } from '../../fhir/outcome.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { JobTask } from '../../fhir/bulk/export-runner.js';
import type { ClientRecord } from '../../auth/records.js';
import { payerRequester } from './payer-caller.js';
import { matchOne, memberMatchInputs, payerClientOf, type MemberMatchDeps, type MemberMatchRequest } from './member-match-operation.js';

export const MAX_MEMBERS = 1_000;
export const MAX_ASYNC_MEMBERS = 10_000;
/** The export-runner kind of an asynchronous `$bulk-member-match`. */
export const BULK_MATCH_KIND = 'bulk-member-match';
const CHUNK = 250;
const INPUT_DAYS = 7;
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

/** A chunk of an asynchronous request's members, waiting for its job. */
interface BulkMatchInput extends StoredDocument {
  _id: string;
  job: string;
  index: number;
  /** The MemberBundle parameters of the chunk (JSON). */
  members: string;
}
const BULK_MATCH_INPUTS = 'bulk-member-match-inputs';
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

/** Matches every submitted member and builds the answer; stores the matched Group for the client. */
async function matchAll(deps: BulkMemberMatchDeps, client: ClientRecord, submitted: Submitted[], batch: string, progress?: (done: number) => Promise<void>): Promise<{ out: Parameters; groups: Group[]; matched: string[] }> {
  const groups = payerGroups(deps.docs);
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
    if (progress && (s.index + 1) % 50 === 0) await progress(s.index + 1);
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
  const result: Group[] = [matchedGroup];
  const parameter: ParametersParameter[] = [{ name: 'MatchedMembers', resource: matchedGroup }];
  const submittedMember = (s: Submitted): GroupMember => ({ entity: { reference: `#m${s.index}`, extension: [pointer(s)] } });
  if (nonMatched.length > 0) {
    const g = resultGroup('nomatch', 'pdex-member-no-match-group', nonMatched, nonMatched.map(submittedMember), deps.payer);
    result.push(g);
    parameter.push({ name: 'NonMatchedMembers', resource: g });
  }
  if (constrained.length > 0) {
    const g = resultGroup('consentconstraint', 'pdex-member-consent-constraint-group', constrained, constrained.map(submittedMember), deps.payer);
    result.push(g);
    parameter.push({ name: 'ConsentConstrainedMembers', resource: g });
  }
  const out: Parameters = { resourceType: 'Parameters', meta: { profile: [`${PDEX_SD}/pdex-parameters-multi-member-match-bundle-out`] }, parameter };
  return { out, groups: result, matched: matched.map((m) => m.patient) };
}

/** The MemberBundles of a request, each parsed (400 for the first malformed one, before anything is recorded). */
function submittedOf(bundles: NonNullable<Parameters['parameter']>): Submitted[] {
  return bundles.map((b, index) => ({ index, input: memberMatchInputs(b.part ?? [], `MemberBundle ${index + 1}`) }));
}

const wantsAsync = (prefer: string | undefined): boolean => (prefer ?? '').split(/[;,]/).some((p) => p.trim().toLowerCase() === 'respond-async');

/** The runner task of an asynchronous request: its chunks in order, the answer as Group and Parameters NDJSON. */
export function bulkMatchTask(deps: BulkMemberMatchDeps): JobTask {
  const inputs = deps.docs.collection<BulkMatchInput>(BULK_MATCH_INPUTS, { indexes: [['job']] });
  return {
    async run(job, io) {
      const client = await deps.clients.get(job.client);
      if (!client || !payerRequester(client)) throw new Error('the requesting client is no longer a payer client');
      const chunks = await inputs.find({ job: job._id }, { sort: [['index', 1]], limit: 10_000 });
      const bundles = chunks.flatMap((c) => JSON.parse(c.members) as NonNullable<Parameters['parameter']>);
      const { out, groups } = await matchAll(deps, client, submittedOf(bundles), job._id, (done) => io.progress(`${done} of ${bundles.length} members matched`));
      await io.write('Group', groups.map((g) => JSON.stringify(g)));
      await io.write('Parameters', [JSON.stringify(out)]);
      for (const c of chunks) await inputs.delete(c._id);
    },
  };
}

export function bulkMemberMatchOperation(deps: BulkMemberMatchDeps): OperationHandler {
  const inputs = deps.docs.collection<BulkMatchInput>(BULK_MATCH_INPUTS, { indexes: [['job']] });
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
      const asynchronous = wantsAsync(req.headers.prefer);
      const max = asynchronous ? MAX_ASYNC_MEMBERS : MAX_MEMBERS;
      if (bundles.length > max) {
        throw badRequest(`$bulk-member-match takes at most ${max} members per request${asynchronous ? '' : ` without Prefer: respond-async (up to ${MAX_ASYNC_MEMBERS} with it)`} (got ${bundles.length})`);
      }
      // Parse every member first: a malformed one fails the request before anything is recorded.
      const submitted = submittedOf(bundles);
      if (asynchronous) {
        if (!ctx.bulk) throw badRequest('Asynchronous requests are not enabled on this server');
        const id = deps.newId();
        const exp = deps.clock().getTime() + INPUT_DAYS * 86_400_000;
        for (let i = 0; i * CHUNK < bundles.length; i++) {
          await inputs.put({ _id: `${id}|${i}`, job: id, index: i, members: JSON.stringify(bundles.slice(i * CHUNK, (i + 1) * CHUNK)), exp });
        }
        return ctx.bulk.enqueue(ctx, { id, kind: BULK_MATCH_KIND, path: 'Group/$bulk-member-match' });
      }
      const { out, matched } = await matchAll(deps, client, submitted, deps.newId());
      return { status: 200, headers: {}, body: out, compartments: matched.map((p) => `Patient/${p}`) };
    },
  };
}
