/**
 * `POST [base]/Patient/$member-match` (Da Vinci HRex 1.1.0, docs/research/payer-to-payer.md §1), for
 * another payer's backend client: is the person in `MemberPatient` (with `CoverageToMatch`, the
 * coverage they had with us) our member, and does the `Consent` let us share their data with the
 * requester?
 *  - exactly one member matches and the Consent can be complied with → 200 Parameters with
 *    `MemberIdentifier` (HRex 1.1.0: type `hrex-temp#UMB`; our member ID) and `MemberId` (our Patient);
 *    a payer link is recorded so the requester's later queries for the member are allowed until the
 *    Consent ends;
 *  - no member, or several → 422 (several are never resolved by picking one);
 *  - a Consent missing, expired, not naming us and the requester, or with a policy we cannot honour
 *    → 422 with the reason, and no member identity in the answer (PDex: none SHALL be returned).
 * Every decision is recorded with its score (member-finder.ts) and the consent result.
 * Lenient where the official examples are: references inside the Coverages and the Consent are not
 * required to point at MemberPatient (the HRex and PDex examples do not).
 */
import type { Consent, Coverage, Identifier, Organization, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import type { OperationHandler, FhirContext, FhirRequest, FhirResponse } from '../../fhir/rest/types.js';
import { badRequest, forbidden, unprocessable } from '../../fhir/outcome.js';
import { IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import type { ClientRecord } from '../../auth/records.js';
import type { ResourceStore } from '../../store/port.js';
import { checkExchangeConsent, type PartyIds } from './exchange-consent.js';
import type { MatchDecision, MemberFinder } from './member-finder.js';
import { linkKey, type PayerLinks } from './payer-links.js';
import { payerRequester } from './payer-caller.js';

export const HREX_TEMP = 'http://hl7.org/fhir/us/davinci-hrex/CodeSystem/hrex-temp';

export interface MemberMatchRequest {
  patient: Patient;
  coverageToMatch: Coverage;
  coverageToLink?: Coverage;
  consent?: Consent;
}

const INPUTS: Record<string, string> = { MemberPatient: 'Patient', CoverageToMatch: 'Coverage', CoverageToLink: 'Coverage', Consent: 'Consent' };

/** The four HRex inputs from `parameter` entries (a Parameters body, or one MemberBundle's parts); 400 when malformed. */
export function memberMatchInputs(parts: NonNullable<Parameters['parameter']>, where = 'Parameters'): MemberMatchRequest {
  const found = new Map<string, Resource>();
  for (const p of parts) {
    const type = INPUTS[p.name];
    if (!type) throw badRequest(`${where}: unknown parameter ${JSON.stringify(p.name)} (expected MemberPatient, CoverageToMatch, CoverageToLink, Consent)`);
    if (found.has(p.name)) throw badRequest(`${where}: ${p.name} is given twice`);
    if (p.resource?.resourceType !== type) throw badRequest(`${where}: ${p.name} must hold a ${type} resource`);
    found.set(p.name, p.resource);
  }
  const patient = found.get('MemberPatient') as Patient | undefined;
  const coverageToMatch = found.get('CoverageToMatch') as Coverage | undefined;
  if (!patient) throw badRequest(`${where}: MemberPatient (Patient) is required`);
  if (!coverageToMatch) throw badRequest(`${where}: CoverageToMatch (Coverage) is required`);
  const coverageToLink = found.get('CoverageToLink') as Coverage | undefined;
  const consent = found.get('Consent') as Consent | undefined;
  return { patient, coverageToMatch, ...(coverageToLink ? { coverageToLink } : {}), ...(consent ? { consent } : {}) };
}

export interface MemberMatchDeps {
  finder: MemberFinder;
  links: PayerLinks;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  store: ResourceStore;
  /** Our payer Organization (`Organization/<id>`) and its display name. */
  payer: { reference: string; display?: string };
  clock: () => Date;
  /**
   * For a provider's backend client (HRex lets providers match too): does the organization have a
   * treatment relationship with the member (Provider Access attribution)? Without it, providers get 403.
   */
  providerTreats?: (patient: string, organization: string) => Promise<boolean>;
}

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/** An Organization's identity as Consent actors name it: its reference and its identifiers. */
export async function partyOf(store: ResourceStore, reference: string): Promise<PartyIds> {
  const record = await store.current('Organization', reference.slice('Organization/'.length));
  const org = record && !record.del ? (record.res as Organization) : undefined;
  return { reference, identifiers: org?.identifier ?? [] };
}

/** Our member ID of a Patient (its identifier in the program's member-ID system), or its id. */
async function memberIdOf(store: ResourceStore, patient: string): Promise<string> {
  const record = await store.current('Patient', patient);
  return ((record?.res as Patient | undefined)?.identifier ?? []).find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value ?? patient;
}

export type MatchAnswer =
  | { kind: 'matched'; decision: MatchDecision; patient: string; memberIdentifier: Identifier }
  | { kind: 'nomatch'; decision: MatchDecision; diagnostics: string }
  | { kind: 'ambiguous'; decision: MatchDecision; diagnostics: string }
  | { kind: 'consent'; decision: MatchDecision; patient: string; diagnostics: string };

/**
 * One member: find, check the Consent, link. Shared by `$member-match` and `$bulk-member-match`
 * (which passes its batch position so each decision can be traced to the request).
 */
export async function matchOne(deps: MemberMatchDeps, client: ClientRecord, input: MemberMatchRequest, operation: string, batch?: MatchDecision['batch']): Promise<MatchAnswer> {
  const organization = client.organization as string;
  const decision = await deps.finder.find({ patient: input.patient, coverage: input.coverageToMatch, operation, requester: { client: client._id, organization }, ...(batch ? { batch } : {}) });
  if (decision.outcome === 'none') return { kind: 'nomatch', decision, diagnostics: 'No member matches the demographics and coverage given' };
  if (decision.outcome === 'ambiguous') {
    return { kind: 'ambiguous', decision, diagnostics: 'More than one member matches; none is returned. Add the member ID of the coverage with us (CoverageToMatch.subscriberId or an MB identifier)' };
  }
  const patient = decision.patient as string;
  const now = deps.clock();
  const check = checkExchangeConsent(input.consent, { today: dayOf(now), us: await partyOf(deps.store, deps.payer.reference), requester: await partyOf(deps.store, organization) });
  if (!check.accepted) {
    const recorded = await deps.finder.recordConsent(decision, { accepted: false, reason: check.reason });
    return { kind: 'consent', decision: recorded, patient, diagnostics: check.reason };
  }
  const recorded = await deps.finder.recordConsent(decision, { accepted: true });
  await deps.links.links.put({
    _id: linkKey(client._id, patient),
    client: client._id,
    organization,
    patient,
    policy: check.policy,
    start: check.start,
    end: check.end,
    decision: decision._id,
    consent: JSON.stringify(input.consent),
    ...(input.coverageToLink ? { coverageToLink: JSON.stringify(input.coverageToLink) } : {}),
    linkedAt: now.getTime(),
  });
  const memberIdentifier: Identifier = {
    type: { coding: [{ system: HREX_TEMP, code: 'UMB', display: 'Member Match' }] },
    system: IDENTIFIER_SYSTEM.memberId,
    value: await memberIdOf(deps.store, patient),
    assigner: { reference: deps.payer.reference, ...(deps.payer.display ? { display: deps.payer.display } : {}) },
  };
  return { kind: 'matched', decision: recorded, patient, memberIdentifier };
}

/** The calling payer's client record, or 403. */
export async function payerClientOf(deps: Pick<MemberMatchDeps, 'clients'>, ctx: FhirContext, operation: string): Promise<ClientRecord> {
  const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
  if (!client || !payerRequester(client)) throw forbidden(`$${operation} is for other payers' backend clients (registered with role payer and their Organization)`);
  return client;
}

export function memberMatchOperation(deps: MemberMatchDeps): OperationHandler {
  /**
   * A provider's `$member-match` (HRex, e.g. the member-match-in-provider example): the member's
   * identifier here, only for a member the provider's organization has a treatment relationship with;
   * anyone else is "no match" (which members we have is not the provider's business). No Consent is
   * needed and no data is released by it: the provider then uses Provider Access.
   */
  async function providerMatch(ctx: FhirContext, req: FhirRequest, client: ClientRecord): Promise<FhirResponse> {
    if (req.method !== 'POST') throw badRequest('$member-match is called with POST and a Parameters body');
    const body = req.body as Parameters | undefined;
    if (body?.resourceType !== 'Parameters') throw badRequest('$member-match takes a Parameters resource');
    const input = memberMatchInputs(body.parameter ?? []);
    const organization = client.organization as string;
    const decision = await deps.finder.find({ patient: input.patient, coverage: input.coverageToMatch, operation: 'member-match (provider)', requester: { client: client._id, organization } });
    if (decision.outcome === 'ambiguous') throw unprocessable([{ code: 'multiple-matches', diagnostics: 'More than one member matches; none is returned. Add the member ID (CoverageToMatch.subscriberId)' }]);
    const patient = decision.patient;
    if (decision.outcome !== 'matched' || !patient || !(await (deps.providerTreats as NonNullable<MemberMatchDeps['providerTreats']>)(patient, organization))) {
      throw unprocessable([{ code: 'not-found', diagnostics: 'No member with a treatment relationship with your organization matches the demographics and coverage given' }]);
    }
    const out: Parameters = {
      resourceType: 'Parameters',
      meta: { profile: ['http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-parameters-member-match-out'] },
      parameter: [
        { name: 'MemberIdentifier', valueIdentifier: { type: { coding: [{ system: HREX_TEMP, code: 'UMB', display: 'Member Match' }] }, system: IDENTIFIER_SYSTEM.memberId, value: await memberIdOf(deps.store, patient), assigner: { reference: deps.payer.reference, ...(deps.payer.display ? { display: deps.payer.display } : {}) } } },
        { name: 'MemberId', valueReference: { reference: `${ctx.baseUrl}/Patient/${patient}` } },
      ],
    };
    return { status: 200, headers: {}, body: out, compartments: [`Patient/${patient}`] };
  }

  return {
    type: 'Patient',
    name: 'member-match',
    level: 'type',
    async handle(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
      const caller = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
      if (caller?.role === 'provider' && caller.organization && deps.providerTreats) return providerMatch(ctx, req, caller);
      const client = await payerClientOf(deps, ctx, 'member-match');
      if (req.method !== 'POST') throw badRequest('$member-match is called with POST and a Parameters body');
      const body = req.body as Parameters | undefined;
      if (body?.resourceType !== 'Parameters') throw badRequest('$member-match takes a Parameters resource');
      const answer = await matchOne(deps, client, memberMatchInputs(body.parameter ?? []), 'member-match');
      if (answer.kind === 'nomatch') throw unprocessable([{ code: 'not-found', diagnostics: answer.diagnostics }]);
      if (answer.kind === 'ambiguous') throw unprocessable([{ code: 'multiple-matches', diagnostics: answer.diagnostics }]);
      if (answer.kind === 'consent') throw unprocessable([{ code: 'business-rule', diagnostics: `The Consent cannot be complied with: ${answer.diagnostics}`, expression: ['Parameters.parameter.where(name = \'Consent\')'] }]);
      const out: Parameters = {
        resourceType: 'Parameters',
        meta: { profile: ['http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-parameters-member-match-out'] },
        parameter: [
          { name: 'MemberIdentifier', valueIdentifier: answer.memberIdentifier },
          { name: 'MemberId', valueReference: { reference: `${ctx.baseUrl}/Patient/${answer.patient}` } },
        ],
      };
      return { status: 200, headers: {}, body: out, compartments: [`Patient/${answer.patient}`] };
    },
  };
}
