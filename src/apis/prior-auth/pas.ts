/**
 * Da Vinci PAS `Claim/$submit` and `Claim/$inquire`: a provider system (a registered provider backend,
 * SMART Backend Services) sends a PAS request Bundle; the answer is a PAS response Bundle whose first
 * entry is the ClaimResponse.
 *
 * `$submit`: the Bundle and every resource in it are validated (R4 and the profiles they claim: PAS Claim
 * …); a drug request is refused (422: CMS-0057-F excludes drugs; the pharmacy program has its own PA).
 * The member is found by member ID (Patient MB identifier, Coverage.subscriberId); one we do not know
 * gets a ClaimResponse with an X12 error (75, subscriber not found) and nothing is stored. Each item is
 * decided by the rules when they can (domain/pa-auto-decision.ts), else pended for a reviewer (with what
 * is missing). The request is stored as our Claim (references to our member, coverage and the requester's
 * organization), its DTR QuestionnaireResponses, and the ClaimResponse (domain/pa-claim-response.ts), in
 * one transaction, so the member's PDex view changes in the same write.
 *
 * Updates (PAS): a Claim whose `related` `replaces` an earlier one (by identifier) is decided again under
 * the same tracking number; a denied request cannot be updated (a new one is needed). Cancellation:
 * `certificationType` 3 on the Claim, or every item cancelled (`infoCancelled`). Appeals (the program's):
 * a Claim whose `related` is `prior` to a denied request pends for review as an appeal, and the original's
 * appeal status becomes pending.
 *
 * `$inquire`: by the identifiers of the request (tracking number, PA number, or the submitter's own Claim
 * identifier) and the member ID; only the organization that submitted it (or staff) gets it.
 */
import { validationErrors } from '../../fhir/rest/resource-input.js';
import type { Bundle, BundleEntry, Claim, ClaimItem, ClaimResponse, Coverage, Extension, Identifier, Patient, QuestionnaireResponse, Reference, Resource } from '@medplum/fhirtypes';
import { createHash } from 'node:crypto';
import type { FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import { badRequest, FhirError, forbidden, notFound, unprocessable, type Issue } from '../../fhir/outcome.js';
import type { ClientRecord } from '../../auth/records.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { ResourceStore } from '../../store/port.js';
import { DRUG_CODE_SYSTEMS, determineCoverage, type PaRuleSet } from '../../domain/pa-requirements.js';
import { autoDecideItem } from '../../domain/pa-auto-decision.js';
import { paClaimResponseFrom, paNumberFor, paStateOf, requestDecision, type PaItemState, type PaState } from '../../domain/pa-claim-response.js';
import { paDecisionDueAt, paPriorityFromProcessPriority, PA_DECISIONS } from '../../domain/prior-auth-rules.js';
import { PROGRAM_EXTENSION } from '../../domain/extensions.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { answersOf, parsePasBundle, patientMemberIds, type PasBundle } from './pas-bundle.js';
import { findLive, memberIdsOf, type MemberFacts } from './member-facts.js';

const PAS_SD = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';
export const PAS = {
  requestBundle: `${PAS_SD}/profile-pas-request-bundle`,
  responseBundle: `${PAS_SD}/profile-pas-response-bundle`,
  inquiryResponseBundle: `${PAS_SD}/profile-pas-inquiry-response-bundle`,
  certificationType: `${PAS_SD}/extension-certificationType`,
  infoCancelled: `${PAS_SD}/extension-infoCancelled`,
  x12RejectReason: 'https://codesystem.x12.org/005010/901',
} as const;

export type SystemDispatch = (req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>) => Promise<FhirResponse>;

export interface PasDeps {
  store: ResourceStore;
  policy: PolicyDeps;
  facts: MemberFacts;
  rules: () => Promise<PaRuleSet | undefined>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  /** The FHIR engine with the system's access (writes go through it: validation, derived PA views). */
  system: SystemDispatch;
  payer: string;
  clock: () => Date;
  newId: () => string;
  /** Called after a request's state was stored (subscriptions, alerts). */
  onChange?: (before: PaState | undefined, after: PaState) => Promise<void>;
}

const day = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);
const compact = (d: Date): string => d.toISOString().slice(0, 10).replace(/-/g, '');

/** Who is calling: a provider backend (its organization) or payer staff. */
async function callerOf(deps: PasDeps, ctx: FhirContext, op: string): Promise<{ organization?: string; staff: boolean; client?: string }> {
  const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
  if (client?.role === 'provider' && client.organization) return { organization: client.organization, staff: false, client: client._id };
  if (ctx.access.allows('ClaimResponse', 'update') && ctx.access.allows('Claim', 'update') && ctx.access.filterFor('ClaimResponse', 'search') === undefined) return { staff: true, ...(client ? { client: client._id } : {}) };
  throw forbidden(`${op} is for provider systems registered with the program (SMART Backend Services) and payer staff`);
}

function isDrug(claim: Claim): boolean {
  if (claim.type?.coding?.some((c) => c.system === CODE_SYSTEM.claimType && c.code === 'pharmacy')) return true;
  return (claim.item ?? []).some((i) => (i.productOrService?.coding ?? []).some((c) => DRUG_CODE_SYSTEMS.includes(c.system ?? '')));
}

function isCancelled(claim: Claim): boolean {
  const whole = (claim.extension ?? []).some((e) => e.url === PAS.certificationType && e.valueCodeableConcept?.coding?.some((c) => c.code === '3'));
  const items = claim.item ?? [];
  return whole || (items.length > 0 && items.every((i) => ((i as { modifierExtension?: Extension[] }).modifierExtension ?? []).some((e) => e.url === PAS.infoCancelled && e.valueBoolean !== false)));
}

function itemCancelled(i: ClaimItem): boolean {
  return ((i as { modifierExtension?: Extension[] }).modifierExtension ?? []).some((e) => e.url === PAS.infoCancelled && e.valueBoolean !== false);
}

const canonicalUrl = (c: string | undefined): string => (c ?? '').split('|')[0];
const memberIdOf = (p: Patient): string | undefined => p.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value;

export function pasOperations(deps: PasDeps) {
  const find = <T extends Resource>(type: T['resourceType'], query: Array<[string, string]>, limit = 20): Promise<T[]> => findLive<T>(deps, type, query, limit);

  /** Our ClaimResponses whose identifiers include one of these values (tracking, PA number, submitter's). */
  async function responsesByIdentifiers(identifiers: readonly Identifier[]): Promise<ClaimResponse[]> {
    const found = new Map<string, ClaimResponse>();
    for (const i of identifiers.slice(0, 10)) {
      if (!i.value || !/^[A-Za-z0-9\-._:/]{1,100}$/.test(i.value)) continue;
      for (const r of await find<ClaimResponse>('ClaimResponse', [['identifier', i.system ? `${i.system}|${i.value}` : i.value]], 10)) if (r.use === 'preauthorization') found.set(r.id as string, r);
      if (i.system) for (const r of await find<ClaimResponse>('ClaimResponse', [['identifier', i.value]], 10)) if (r.use === 'preauthorization') found.set(r.id as string, r);
    }
    return [...found.values()];
  }

  /** The member a PAS Bundle is about: by member ID on its Patient and on its Coverage. */
  async function memberOf(b: PasBundle): Promise<Patient | undefined> {
    const patient = b.resolve<Patient>(b.claim.patient);
    const coverage = b.resolve<Coverage>(b.claim.insurance?.find((i) => i.focal)?.coverage ?? b.claim.insurance?.[0]?.coverage);
    return deps.facts.memberByIds([...patientMemberIds(patient, IDENTIFIER_SYSTEM.memberId), ...memberIdsOf(coverage)]);
  }

  /** The response Bundle: the ClaimResponse with references as the submitter knows them, then the resources it names. */
  function responseBundle(b: PasBundle, response: ClaimResponse, profile: string): Bundle {
    const patient = b.resolve<Patient>(b.claim.patient);
    const insurer = b.resolve<Resource>(b.claim.insurer);
    const requestor = b.resolve<Resource>(b.claim.provider);
    const ref = <T extends Resource>(r: Resource | undefined, fallback: Reference<T>): Reference<T> => (r ? { reference: b.urlOf(r) } : fallback);
    const echoed: ClaimResponse = {
      ...response,
      patient: ref(patient, response.patient),
      insurer: ref(insurer, response.insurer),
      ...(response.requestor ? { requestor: ref(requestor, response.requestor) } : {}),
      request: { ...(b.claimFullUrl ? { reference: b.claimFullUrl } : {}), ...(b.claim.identifier?.[0] ? { identifier: b.claim.identifier[0] } : {}) },
    };
    const entry: BundleEntry[] = [{ fullUrl: `urn:uuid:${deps.newId()}`, resource: echoed }];
    for (const r of [patient, insurer, requestor]) if (r) entry.push({ fullUrl: b.urlOf(r), resource: r });
    return { resourceType: 'Bundle', meta: { profile: [profile] }, identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${deps.newId()}` }, type: 'collection', timestamp: deps.clock().toISOString(), entry };
  }

  /** The submitted Claim as we keep it: our member, coverage, payer and requester; other references by identifier. */
  function storedClaim(b: PasBundle, o: { id: string; patient: string; coverage?: string; requestor: string; trackingNumber: string; qrIds: Map<QuestionnaireResponse, string>; related?: string; appealOf?: string }): Claim {
    const logical = <T extends Resource = Resource>(ref: Reference | undefined): Reference<T> | undefined => {
      const r = b.resolve<Resource & { identifier?: Identifier[]; name?: unknown }>(ref);
      const npi = r?.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi);
      if (npi) return { identifier: npi, ...(ref?.display ? { display: ref.display } : {}) };
      return ref?.display ? { display: ref.display } : undefined;
    };
    const c = b.claim;
    const claim: Claim = {
      ...c,
      id: o.id,
      meta: { profile: c.meta?.profile ?? [] },
      identifier: [...(c.identifier ?? []), { system: IDENTIFIER_SYSTEM.paTrackingNumber, value: o.trackingNumber }],
      patient: { reference: `Patient/${o.patient}` },
      insurer: { reference: deps.payer },
      provider: { reference: o.requestor },
      insurance: (c.insurance ?? []).map((i, n) => ({ ...i, coverage: n === 0 && o.coverage ? { reference: `Coverage/${o.coverage}` } : (logical(i.coverage) ?? { display: 'coverage as submitted' }) })),
    };
    if (claim.meta?.profile?.length === 0) delete claim.meta;
    delete (claim as { contained?: unknown }).contained;
    delete (claim as { text?: unknown }).text;
    if (c.careTeam) claim.careTeam = c.careTeam.map((t) => ({ ...t, provider: logical(t.provider) ?? { display: 'care team member as submitted' } }));
    for (const k of ['enterer', 'referral', 'facility', 'prescription', 'originalPrescription'] as const) {
      const v = logical(c[k] as Reference | undefined);
      if (v) (claim as unknown as Record<string, unknown>)[k] = v;
      else delete (claim as unknown as Record<string, unknown>)[k];
    }
    if (c.supportingInfo) {
      claim.supportingInfo = c.supportingInfo.map((s) => {
        if (!s.valueReference) return s;
        const target = b.resolve<Resource>(s.valueReference);
        const qr = target?.resourceType === 'QuestionnaireResponse' ? o.qrIds.get(target as QuestionnaireResponse) : undefined;
        return { ...s, valueReference: qr ? { reference: `QuestionnaireResponse/${qr}` } : (logical(s.valueReference) ?? { display: s.valueReference.display ?? 'supporting information as submitted' }) };
      });
    }
    claim.item = (c.item ?? []).map((i) => {
      const copy = { ...i };
      if (copy.extension) copy.extension = copy.extension.filter((e) => !e.valueReference);
      return copy;
    });
    const related: NonNullable<Claim['related']> = [];
    if (o.related) related.push({ claim: { reference: `Claim/${o.related}` }, relationship: { coding: [{ system: CODE_SYSTEM.relatedClaimRelationship, code: 'replaces' }] } });
    if (o.appealOf) related.push({ claim: { reference: `Claim/${o.appealOf}` }, relationship: { coding: [{ system: CODE_SYSTEM.relatedClaimRelationship, code: 'prior', display: 'Prior Claim' }] } });
    if (related.length > 0) claim.related = related;
    else delete claim.related;
    return claim;
  }

  async function write(entries: Resource[]): Promise<void> {
    const res = await deps.system({
      method: 'POST',
      path: [],
      body: { resourceType: 'Bundle', type: 'transaction', entry: entries.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })) },
    });
    if (res.status >= 300) {
      const issues = ((res.body as { issue?: Array<{ code: Issue['code']; diagnostics?: string }> } | undefined)?.issue ?? []).map((i) => ({ code: i.code, diagnostics: i.diagnostics ?? '' }));
      throw new FhirError(res.status, issues.length > 0 ? issues : [{ code: 'exception', diagnostics: 'The request could not be stored' }]);
    }
  }

  /** Stores a request's new state (and the Claim and QRs when given) and tells the listeners. */
  async function save(before: PaState | undefined, after: PaState, also: Resource[] = []): Promise<ClaimResponse> {
    const response = paClaimResponseFrom(after);
    await write([...also, response]);
    if (deps.onChange) await deps.onChange(before, after);
    return response;
  }

  function validateEntries(ctx: FhirContext, b: PasBundle): void {
    const issues = validationErrors(ctx.validate, b.entries.map((e) => e.resource), (r, n) => `entry ${n} (${r.resourceType})`);
    if (issues.length > 0) throw unprocessable(issues.slice(0, 50));
  }

  async function submit(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
    const caller = await callerOf(deps, ctx, 'Claim/$submit');
    if (req.method !== 'POST') throw badRequest('Claim/$submit is called with POST and the PAS request Bundle as the body');
    const b = parsePasBundle(req.body);
    validateEntries(ctx, b);
    const c = b.claim;
    if (c.use !== 'preauthorization') throw unprocessable([{ code: 'business-rule', diagnostics: 'Claim.use must be preauthorization for Claim/$submit', expression: ['Claim.use'] }]);
    if (isDrug(c)) throw unprocessable([{ code: 'business-rule', diagnostics: 'Drugs are outside this prior-authorization service (CMS-0057-F excludes drugs): request drug prior authorization through the MassHealth pharmacy program.', expression: ['Claim.item.productOrService'] }]);
    if ((c.item ?? []).length === 0) throw unprocessable([{ code: 'required', diagnostics: 'The Claim has no items', expression: ['Claim.item'] }]);
    if ((c.item ?? []).length > 100) throw unprocessable([{ code: 'too-costly', diagnostics: 'At most 100 items per request' }]);
    const now = deps.clock();
    const member = await memberOf(b);
    if (!member) return { status: 200, body: responseBundle(b, rejected(b, '75', 'Subscriber/Insured Not Found: no MassHealth member has the member ID on the Patient or Coverage.'), PAS.responseBundle), headers: {} };

    const requestor = caller.organization ?? (await organizationByNpi(b.resolve(c.provider)));
    if (!requestor) throw unprocessable([{ code: 'business-rule', diagnostics: 'The requesting provider organization (Claim.provider, by NPI) is not known to the program', expression: ['Claim.provider'] }]);

    // An update, a cancellation or an appeal of an earlier request.
    const relatedIds = (c.related ?? []).flatMap((r) => {
      const target = b.resolve<Claim>(r.claim);
      return [...(target?.identifier ?? []), ...(r.claim?.identifier ? [r.claim.identifier] : []), ...(r.reference ? [r.reference] : [])];
    });
    const relationship = c.related?.[0]?.relationship?.coding?.[0]?.code;
    const earlier = relatedIds.length > 0 ? (await responsesByIdentifiers(relatedIds)).find((r) => r.requestor?.reference === requestor || caller.staff) : undefined;
    const earlierState = earlier ? paStateOf(earlier) : undefined;
    if (relatedIds.length > 0 && !earlierState) throw unprocessable([{ code: 'not-found', diagnostics: 'The request this Claim relates to (Claim.related) is not one of yours on file', expression: ['Claim.related'] }]);
    if (earlierState && earlierState.patient.reference !== `Patient/${member.id}`) throw unprocessable([{ code: 'business-rule', diagnostics: 'The related request is for another member', expression: ['Claim.related'] }]);

    if (earlierState && isCancelled(c)) {
      if (PA_DECISIONS[requestDecision(earlierState)].determined && requestDecision(earlierState) !== 'approved' && requestDecision(earlierState) !== 'partially-approved') {
        throw unprocessable([{ code: 'business-rule', diagnostics: `The request ${earlierState.trackingNumber} is ${requestDecision(earlierState)} and cannot be cancelled` }]);
      }
      const after: PaState = { ...earlierState, closed: 'withdrawn', decidedAt: now.toISOString(), items: earlierState.items.map((i) => ({ ...i, decision: 'cancelled', note: 'Cancelled by the requesting provider.' })) };
      return { status: 200, body: responseBundle(b, await save(earlierState, after), PAS.responseBundle), headers: {} };
    }
    const isAppeal = earlierState && relationship !== 'replaces' && requestDecision(earlierState) === 'denied';
    if (earlierState && !isAppeal && requestDecision(earlierState) === 'denied') {
      throw unprocessable([{ code: 'business-rule', diagnostics: `The request ${earlierState.trackingNumber} was denied: a denial cannot be updated. Submit a new request, or appeal the denial (Claim.related with relationship prior).` }]);
    }
    if (earlierState && !isAppeal && (earlierState.closed || earlierState.appealOf)) throw unprocessable([{ code: 'business-rule', diagnostics: `The request ${earlierState.trackingNumber} cannot be updated` }]);

    // Decide each item.
    const rules = await deps.rules();
    if (!rules) throw new FhirError(503, { code: 'transient', diagnostics: 'The prior-authorization rules are not loaded yet' });
    const today = now.toISOString().slice(0, 10);
    const qrs = (c.supportingInfo ?? []).map((s) => b.resolve<Resource>(s.valueReference)).filter((r): r is QuestionnaireResponse => r?.resourceType === 'QuestionnaireResponse');
    const items: PaItemState[] = [];
    const documentation: string[] = [];
    let coverageId: string | undefined;
    for (const item of c.item ?? []) {
      if (itemCancelled(item)) {
        items.push({ sequence: item.sequence, decision: 'cancelled', note: 'Cancelled by the requesting provider.' });
        continue;
      }
      const coding = (item.productOrService?.coding ?? []).find((x) => x.code) ?? {};
      const serviceDate = day(item.servicedDate) ?? day(item.servicedPeriod?.start) ?? day(c.billablePeriod?.start) ?? today;
      const onDate = await deps.facts.onDate(member, serviceDate);
      coverageId ??= onDate.coverage?.id;
      const d = determineCoverage(rules, { system: coding.system ?? '', code: coding.code ?? '', ...(item.quantity?.value !== undefined ? { quantity: item.quantity.value } : {}), serviceDate, inpatient: coding.system === CODE_SYSTEM.icd10pcs }, { plan: onDate.plan, today });
      const qr = d.rule?.questionnaire ? qrs.find((q) => canonicalUrl(q.questionnaire) === canonicalUrl(d.rule?.questionnaire)) : undefined;
      const decided = isAppeal ? ({ kind: 'pend', why: 'Appeal of a denial: a reviewer who did not make the first decision will decide.' } as const) : autoDecideItem(d, { ...(item.quantity?.value !== undefined ? { quantity: item.quantity.value } : {}), ...(qr ? { answers: answersOf(qr) } : {}), questionnaireAnswered: qr !== undefined && qr.status === 'completed' });
      if (decided.kind === 'pend' && 'documentation' in decided && decided.documentation) documentation.push(decided.documentation);
      const unit = item.quantity?.unit;
      const period = item.servicedPeriod?.start && item.servicedPeriod.end ? { start: day(item.servicedPeriod.start) as string, end: day(item.servicedPeriod.end) as string } : { start: serviceDate, end: serviceDate };
      items.push(
        decided.kind === 'approve'
          ? { sequence: item.sequence, decision: 'approved', ...(item.quantity?.value !== undefined ? { approvedQuantity: item.quantity.value } : {}), ...(unit ? { unit } : {}), approvedPeriod: period, note: decided.why }
          : decided.kind === 'deny'
            ? { sequence: item.sequence, decision: 'denied', denialReason: decided.reason, note: decided.why }
            : { sequence: item.sequence, decision: 'pended', note: decided.why },
      );
    }

    const priority = paPriorityFromProcessPriority(c.priority?.coding?.[0]?.code);
    const base: Omit<PaState, 'items'> = earlierState && !isAppeal
      ? { ...earlierState, priority }
      : {
          id: `${deps.newId()}`.replace(/[^A-Za-z0-9-]/g, '').slice(0, 60),
          claimId: '',
          trackingNumber: `T${compact(now)}-${createHash('sha256').update(deps.newId()).digest('hex').slice(0, 8).toUpperCase()}`,
          submitterIdentifiers: [],
          priority,
          submittedAt: now.toISOString(),
          dueAt: paDecisionDueAt(now, priority).toISOString(),
          patient: { reference: `Patient/${member.id}`, ...(memberIdOf(member) ? { identifier: { system: IDENTIFIER_SYSTEM.memberId, value: memberIdOf(member) } } : {}) },
          insurer: { reference: deps.payer },
          requestor: { reference: requestor },
          claimType: c.type,
          ...(isAppeal && earlierState ? { appealOf: earlierState.id } : {}),
        };
    if (!earlierState || isAppeal) {
      base.claimId = `pas-${base.id}`;
      base.id = `pas-${base.id}-r`;
    }
    const submitterIdentifiers = (c.identifier ?? []).filter((i) => i.value).map((i) => ({ ...(i.system ? { system: i.system } : {}), value: i.value as string }));
    const state: PaState = {
      ...base,
      submitterIdentifiers: [...(earlierState && !isAppeal ? earlierState.submitterIdentifiers : []), ...submitterIdentifiers].filter((x, n, all) => all.findIndex((y) => y.value === x.value && y.system === x.system) === n),
      items,
      ...(documentation.length > 0 ? { documentationRequested: documentation } : {}),
    };
    delete state.closed;
    const decision = requestDecision(state);
    if (PA_DECISIONS[decision].determined) {
      state.decidedAt = now.toISOString();
      state.paNumber ??= paNumberFor(state.id, now);
    } else delete state.decidedAt;

    const qrIds = new Map<QuestionnaireResponse, string>(qrs.map((q, n) => [q, `${state.claimId}-qr${n + 1}`]));
    const storedQrs: QuestionnaireResponse[] = qrs.map((q) => ({ ...q, id: qrIds.get(q) as string, subject: { reference: `Patient/${member.id}` }, ...(q.author ? { author: { display: q.author.display ?? 'as submitted' } } : {}), ...(q.source ? { source: { reference: `Patient/${member.id}` } } : {}) }));
    for (const q of storedQrs) {
      delete (q as { meta?: unknown }).meta;
      delete (q as { contained?: unknown }).contained;
      delete (q as { basedOn?: unknown }).basedOn;
      delete (q as { partOf?: unknown }).partOf;
      delete (q as { encounter?: unknown }).encounter;
      if (q.extension) q.extension = q.extension.filter((e) => !e.valueReference);
    }
    const claim = storedClaim(b, { id: state.claimId, patient: member.id as string, ...(coverageId ? { coverage: coverageId } : {}), requestor, trackingNumber: state.trackingNumber, qrIds, ...(earlierState && !isAppeal ? { related: earlierState.claimId } : {}), ...(isAppeal && earlierState ? { appealOf: earlierState.claimId } : {}) });
    if (isAppeal) claim.extension = [...(claim.extension ?? []), { url: PROGRAM_EXTENSION.paAppealOf, valueReference: { reference: `ClaimResponse/${earlierState?.id}` } }];
    const response = await save(earlierState && !isAppeal ? earlierState : undefined, state, [...storedQrs, claim]);
    if (isAppeal && earlierState) {
      const appealed: PaState = { ...earlierState, appeal: { status: 'pending', filedAt: now.toISOString(), appealResponse: state.id } };
      await save(earlierState, appealed);
    }
    return { status: 200, body: responseBundle(b, response, PAS.responseBundle), headers: {}, compartments: [`Patient/${member.id}`] };
  }

  /** A ClaimResponse refusing the request with an X12 reject reason (nothing stored). */
  function rejected(b: PasBundle, code: string, text: string): ClaimResponse {
    const now = deps.clock().toISOString();
    return {
      resourceType: 'ClaimResponse',
      status: 'active',
      type: b.claim.type,
      use: 'preauthorization',
      patient: b.claim.patient,
      created: now,
      insurer: b.claim.insurer ?? { reference: deps.payer },
      outcome: 'error',
      disposition: text,
      error: [{ code: { coding: [{ system: PAS.x12RejectReason, code }], text } }],
    };
  }

  async function organizationByNpi(r: Resource | undefined): Promise<string | undefined> {
    const npi = (r as { identifier?: Identifier[] } | undefined)?.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value;
    if (!npi || !/^\d{10}$/.test(npi)) return undefined;
    const [org] = await find<Resource>('Organization', [['identifier', `${IDENTIFIER_SYSTEM.npi}|${npi}`]], 1);
    return org ? `Organization/${org.id}` : undefined;
  }

  async function inquire(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
    const caller = await callerOf(deps, ctx, 'Claim/$inquire');
    if (req.method !== 'POST') throw badRequest('Claim/$inquire is called with POST and the PAS inquiry Bundle as the body');
    const b = parsePasBundle(req.body, 'Claim/$inquire');
    validateEntries(ctx, b);
    const member = await memberOf(b);
    if (!member) throw notFound('No MassHealth member has the member ID on the inquiry\'s Patient or Coverage');
    const identifiers = [...(b.claim.identifier ?? []), ...(b.claim.item ?? []).flatMap((i) => (i.extension ?? []).filter((e) => typeof e.valueIdentifier?.value === 'string').map((e) => e.valueIdentifier as Identifier))];
    if (identifiers.length === 0) throw badRequest('Claim/$inquire: the inquiry Claim needs the identifier of the request (tracking number, PA number or your Claim identifier)', ['Claim.identifier']);
    const found = (await responsesByIdentifiers(identifiers)).filter((r) => r.patient.reference === `Patient/${member.id}` && (caller.staff || r.requestor?.reference === caller.organization));
    if (found.length === 0) throw notFound('No prior-authorization request of yours for this member has these identifiers');
    // An inquiry on a replaced request answers the current one: the same ClaimResponse id is kept across updates.
    const newest = found.sort((x, y) => (y.meta?.lastUpdated ?? '').localeCompare(x.meta?.lastUpdated ?? ''))[0];
    return { status: 200, body: responseBundle(b, newest, PAS.inquiryResponseBundle), headers: {}, compartments: [`Patient/${member.id}`] };
  }

  const operations: OperationHandler[] = [
    { type: 'Claim', name: 'submit', level: 'type', handle: submit },
    { type: 'Claim', name: 'inquire', level: 'type', handle: inquire },
  ];
  return { operations, save, find, responsesByIdentifiers };
}

export type PasOperations = ReturnType<typeof pasOperations>;
