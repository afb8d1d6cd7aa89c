/**
 * `Group/$provider-member-match` (Da Vinci PDex 2.2 Provider Access v2), answered synchronously for up
 * to MAX_MEMBERS members. A provider backend sends its patients (demographics, the coverage it knows,
 * and its treatment attestation); each is sorted into:
 *  - matched: exactly one member found, by the MassHealth member ID (CoverageToMatch.subscriberId or a
 *    member-ID identifier on the Patient) or else by the program's demographic rule (last name, first
 *    name, date of birth and gender, all exact after normalising case and accents: MISSION.md), who is
 *    enrolled today and whose record backs the attestation: attributed to the organization already, or a
 *    claim from it within the claims window;
 *  - consent-constrained: such a member who opted out of Provider Access;
 *  - not matched: everything else (no member, several, not enrolled, no history with the organization).
 * Ambiguity is never resolved by taking the first. The matched members become a `match` list of the
 * attribution store (30 days, PDex §pdex-262..267), readable as a Group and exportable with
 * `$davinci-data-export`; the operation answers the PDex response Parameters.
 */
import type { Patient } from '@medplum/fhirtypes';
import { forbidden } from '../../fhir/outcome.js';
import type { FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import { normaliseString as normalise } from '../../fhir/search/normalise.js';
import { IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import type { FilterDocument, ResourceStore } from '../../store/port.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { ClientRecord } from '../../auth/records.js';
import type { PayerRef } from './attribution-groups.js';
import { memberKey, type AttributionList, type AttributionStore } from './attribution-store.js';
import { matchedMembersGroup, memberMatchResponse, parseProviderMemberMatch, type MatchResult, type MemberToMatch } from './member-match-io.js';
import { enrolledOn, optedOut } from './member-status.js';
import { requesterOf } from './provider-caller.js';
import { dayOf, isAttributedTo } from './treatment.js';

export const MAX_MEMBERS = 1_000;
const MATCH_LIST_DAYS = 30;

export interface MemberMatchDeps {
  store: ResourceStore;
  attribution: AttributionStore;
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  payer: PayerRef;
  claimsMonths: number;
  clock: () => Date;
  newId: () => string;
  publish(list: AttributionList): Promise<void>;
}

/** Patient ids a filter finds (at most 2: enough to tell one from several). */
async function candidates(store: ResourceStore, filter: FilterDocument): Promise<string[]> {
  const { records } = await store.find({ filter: { $and: [{ type: 'Patient' }, filter] }, sort: [['_id', 1]], limit: 2 });
  return records.filter((r) => !r.del).map((r) => r.id);
}

/** The member a submitted patient is, or undefined when none or several are. */
async function findMember(deps: MemberMatchDeps, m: MemberToMatch): Promise<string | undefined> {
  const memberIds = new Set<string>();
  if (m.coverage.subscriberId) memberIds.add(m.coverage.subscriberId);
  for (const i of m.patient.identifier ?? []) if (i.system === IDENTIFIER_SYSTEM.memberId && i.value) memberIds.add(i.value);
  if (memberIds.size > 1) return undefined;
  const [memberId] = memberIds;
  const query: Array<[string, string]> = [];
  const names: FilterDocument[] = [];
  if (memberId !== undefined) query.push(['identifier', `${IDENTIFIER_SYSTEM.memberId}|${memberId}`]);
  else {
    const name = m.patient.name?.find((n) => n.use === 'official') ?? m.patient.name?.[0];
    const family = name?.family;
    const given = name?.given?.[0];
    if (!family || !given || !m.patient.birthDate || !m.patient.gender || family.length > 200 || given.length > 200) return undefined;
    // Whole names, compared case- and accent-insensitively (a string search would match prefixes).
    names.push({ 'sp.family': { $elemMatch: { n: normalise(family) } } }, { 'sp.given': { $elemMatch: { n: normalise(given) } } });
    query.push(['birthdate', m.patient.birthDate], ['gender', m.patient.gender]);
  }
  let filter: FilterDocument;
  try {
    filter = { $and: [deps.policy.compileQuery('Patient', query), ...names] };
  } catch {
    return undefined;
  }
  const found = await candidates(deps.store, filter);
  if (found.length !== 1) return undefined;
  // The member-ID route must agree with the demographics given (never link a different person by a typo in the ID).
  if (memberId !== undefined) {
    const record = await deps.store.current('Patient', found[0]);
    const p = record?.res as Patient | undefined;
    if (m.patient.birthDate && p?.birthDate !== m.patient.birthDate) return undefined;
    const family = m.patient.name?.[0]?.family;
    if (family && !(p?.name ?? []).some((n) => n.family !== undefined && normalise(n.family) === normalise(family))) return undefined;
  }
  return found[0];
}

/** A claim from the organization for the member within the claims window. */
export async function claimsHistory(deps: Pick<MemberMatchDeps, 'store' | 'clock' | 'claimsMonths'>, patient: string, organization: string): Promise<boolean> {
  const from = new Date(deps.clock());
  from.setUTCMonth(from.getUTCMonth() - deps.claimsMonths);
  const { records } = await deps.store.find({
    filter: { type: 'ExplanationOfBenefit', 'sp.patient': `Patient/${patient}`, 'sp.provider': organization, 'sp.care-date': { $elemMatch: { hi: { $gte: from.getTime() } } } },
    sort: [['_id', 1]],
    limit: 1,
  });
  return records.length > 0;
}

export function memberMatchOperation(deps: MemberMatchDeps): OperationHandler {
  return {
    type: 'Group',
    name: 'provider-member-match',
    level: 'type',
    async handle(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
      const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
      const who = requesterOf(client);
      if (!who || !client) throw forbidden('$provider-member-match is for provider organizations\' backend clients');
      if (req.method !== 'POST') throw forbidden('$provider-member-match is called with POST');
      const members = parseProviderMemberMatch(req.body, MAX_MEMBERS);
      const now = deps.clock();
      const day = dayOf(now);
      const found = new Map<number, string>();
      for (const m of members) {
        const id = await findMember(deps, m);
        if (id !== undefined) found.set(m.index, id);
      }
      const enrolled = await enrolledOn(deps.store, [...found.values()], day, deps.payer.reference);
      const out = await optedOut(deps.store, [...enrolled], day);
      const result: MatchResult = { matched: [], nonMatched: [], consentConstrained: [] };
      const seen = new Set<string>();
      for (const m of members) {
        const id = found.get(m.index);
        const backed = id !== undefined && enrolled.has(id) && ((await isAttributedTo(deps, id, { organization: who.organization }, now)) || (await claimsHistory(deps, id, who.organization)));
        if (!backed || id === undefined) result.nonMatched.push(m);
        else if (out.has(id)) result.consentConstrained.push({ member: m, patientId: id });
        else if (seen.has(id)) result.nonMatched.push(m); // the same member submitted twice: matched once
        else {
          seen.add(id);
          result.matched.push({ member: m, patientId: id });
        }
      }
      const org = await deps.store.current('Organization', who.organization.slice('Organization/'.length));
      const npi = ((org?.res as { identifier?: Array<{ system?: string; value?: string }> } | undefined)?.identifier ?? []).find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value ?? '';
      const groupCtx = { organization: { reference: who.organization, npi }, payer: deps.payer, now };
      const listId = `match-${deps.newId()}`.slice(0, 64);
      const exp = now.getTime() + MATCH_LIST_DAYS * 86_400_000;
      const end = dayOf(exp);
      const list: AttributionList = { _id: listId, organization: who.organization, ...(npi ? { npi } : {}), name: `Matched members - ${client.name}`, kind: 'match', client: client._id, createdAt: now.getTime(), updatedAt: now.getTime(), exp };
      await deps.attribution.lists.put(list);
      const group = matchedMembersGroup(listId, result, groupCtx);
      const contained = new Map((group.contained ?? []).map((c) => [c.id, c]));
      for (const [i, { member, patientId }] of result.matched.entries()) {
        const ref = group.member?.[i]?.entity.extension?.[0]?.valueReference?.reference?.slice(1);
        const submitted = ref !== undefined ? contained.get(ref) : undefined;
        await deps.attribution.members.put({
          _id: memberKey(listId, patientId),
          list: listId,
          organization: who.organization,
          patient: patientId,
          start: day,
          end,
          basis: ['match'],
          ...(submitted ? { submitted: JSON.stringify(submitted) } : {}),
          ...(member.coverage.id ? {} : {}),
          updatedAt: now.getTime(),
          exp,
        });
      }
      await deps.publish(list);
      return { status: 200, body: memberMatchResponse(result, group, groupCtx, { suppressConsentConstrained: false }), headers: {}, compartments: result.matched.map((m) => `Patient/${m.patientId}`) };
    },
  };
}
