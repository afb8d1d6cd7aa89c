/**
 * Da Vinci CRD 2.0 on CDS Hooks 2.0: the payer's coverage requirements for what a provider is ordering,
 * booking or starting, answered from the rule set (domain/pa-requirements.ts) and the program's records
 * (member-facts.ts).
 *
 * For each order the answer is a systemAction `update` of that order with the CRD `coverage-information`
 * extension (covered, pa-needed, doc-needed + the DTR Questionnaire, info-needed, and a
 * `coverage-assertion-id` that DTR passes back as `$questionnaire-package` context): CRD 2.0 launches DTR
 * from this extension, not from a SMART link card. Cards carry what the extension cannot say: a PCC/PCP
 * referral needed and not on file, an ordering provider whose type may not order the service, a
 * pre-admission screening requested too late, a drug order (outside the PA rule: the pharmacy program's
 * own process), a member we cannot identify. Each assertion is kept (`crd-assertions`, a year) so DTR
 * and PAS can refer to it.
 *
 * Data comes from the request's prefetch, then the draft orders themselves, then the EHR's FHIR server
 * with the `fhirAuthorization` token when the prefetch lacks it.
 */
import type { Appointment, Bundle, Coverage, DeviceRequest, Encounter, Extension, Identifier, Patient, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { z } from 'zod';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import { DRUG_CODE_SYSTEMS, determineCoverage, serviceCodeSystem, type CoverageDetermination, type OrderedService, type PaRuleSet } from '../../domain/pa-requirements.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import type { MemberFacts } from './member-facts.js';
import { memberIdsOf, npisOf } from './member-facts.js';

export const CRD = {
  coverageInformation: 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information',
  /** CRD 2.0.x temporary code system (card types, detail codes). */
  temp: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp',
} as const;

const HOOKS = ['order-select', 'order-sign', 'order-dispatch', 'appointment-book', 'encounter-start'] as const;
export type CrdHook = (typeof HOOKS)[number];

export interface CdsServiceDefinition {
  hook: CrdHook;
  id: string;
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements: string;
}

const COMMON_PREFETCH = { patient: 'Patient/{{context.patientId}}', coverage: 'Coverage?patient={{context.patientId}}&status=active' };
const USAGE = 'Signed JWT from a CDS Client registered with the payer as a provider backend (its client_id as sub or iss); fhirServer + fhirAuthorization when the prefetch is incomplete.';

export const CRD_SERVICES: readonly CdsServiceDefinition[] = [
  { hook: 'order-select', id: 'crd-order-select', title: 'Coverage requirements (order select)', description: 'MassHealth coverage requirements for the orders being selected: prior authorization, documentation (DTR), PCC/PCP referral, ordering provider type, pre-admission screening.', prefetch: { ...COMMON_PREFETCH }, usageRequirements: USAGE },
  { hook: 'order-sign', id: 'crd-order-sign', title: 'Coverage requirements (order sign)', description: 'MassHealth coverage requirements for the orders being signed: prior authorization, documentation (DTR), PCC/PCP referral, ordering provider type, pre-admission screening.', prefetch: { ...COMMON_PREFETCH }, usageRequirements: USAGE },
  { hook: 'order-dispatch', id: 'crd-order-dispatch', title: 'Coverage requirements (order dispatch)', description: 'MassHealth coverage requirements for an order sent to a performer, including whether the performer needs a PCC/PCP referral.', prefetch: { ...COMMON_PREFETCH }, usageRequirements: USAGE },
  { hook: 'appointment-book', id: 'crd-appointment-book', title: 'Coverage requirements (appointment book)', description: 'MassHealth coverage requirements for the appointments being booked: prior authorization and PCC/PCP referral.', prefetch: { ...COMMON_PREFETCH }, usageRequirements: USAGE },
  { hook: 'encounter-start', id: 'crd-encounter-start', title: 'Coverage requirements (encounter start)', description: 'MassHealth coverage requirements for the encounter starting: PCC/PCP referral, pre-admission screening for an elective admission.', prefetch: { ...COMMON_PREFETCH, encounter: 'Encounter/{{context.encounterId}}' }, usageRequirements: USAGE },
];

const json = z.record(z.string(), z.unknown());
export const cdsRequestSchema = z.object({
  hook: z.string().max(100),
  hookInstance: z.string().min(1).max(200),
  fhirServer: z.string().url().max(2_000).optional(),
  fhirAuthorization: z.object({ access_token: z.string().max(10_000), token_type: z.string().max(50), expires_in: z.number().optional(), scope: z.string().max(10_000), subject: z.string().max(500) }).passthrough().optional(),
  context: json,
  prefetch: z.record(z.string(), z.unknown().nullable()).optional(),
});
export type CdsRequest = z.infer<typeof cdsRequestSchema>;

export interface CdsCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic: { system: string; code: string; display?: string } };
  links?: Array<{ label: string; url: string; type: 'absolute' | 'smart'; appContext?: string }>;
  extension?: Record<string, unknown>;
}

export interface CdsAction {
  type: 'update';
  description: string;
  resource: Resource;
}

export interface CdsResponse {
  cards: CdsCard[];
  systemActions: CdsAction[];
}

/** A CRD assertion as kept for DTR and PAS (coverage-assertion-id). */
export interface CrdAssertion extends StoredDocument {
  at: number;
  client: string;
  patient?: string;
  order: string;
  service: { system: string; code: string };
  paNeeded: CoverageDetermination['paNeeded'];
  questionnaire?: string;
}

/** Fetches from the EHR's FHIR server (absolute URL, token); undefined when absent or refused. */
export type FhirFetch = (url: string) => Promise<Resource | undefined>;

export interface CrdDeps {
  facts: MemberFacts;
  rules: () => Promise<PaRuleSet | undefined>;
  assertions: ReturnType<typeof crdAssertions>;
  /** Where the published list and the Questionnaires live (our FHIR base). */
  baseUrl: string;
  publishedListUrl: string;
  /** DTR_LAUNCH_URL: a DTR SMART app to link from a card when documentation is needed. */
  dtrLaunchUrl?: string;
  clock: () => Date;
  newId: () => string;
}

export function crdAssertions(docs: DocumentStore) {
  return docs.collection<CrdAssertion>('crd-assertions', { indexes: [['patient']] });
}

const ORDER_TYPES = new Set(['ServiceRequest', 'DeviceRequest', 'MedicationRequest', 'NutritionOrder', 'VisionPrescription', 'Appointment', 'Encounter', 'CommunicationRequest']);
const SOURCE = { label: 'MassHealth prior authorization rules' };
const YEAR_MS = 366 * 86_400_000;

function bundleResources(v: unknown): Resource[] {
  if (!v || typeof v !== 'object') return [];
  const r = v as Resource;
  if (r.resourceType === 'Bundle') {
    const entries: unknown = (r as Bundle).entry;
    if (!Array.isArray(entries)) return [];
    return entries.map((e: unknown) => (e && typeof e === 'object' ? (e as { resource?: unknown }).resource : undefined)).filter((x): x is Resource => !!x && typeof x === 'object' && typeof (x as Resource).resourceType === 'string');
  }
  return typeof r.resourceType === 'string' ? [r] : [];
}

/** Every FHIR resource a CDS Hooks request carries (prefetch, orders, appointments, a task): what must be valid R4. */
export function carriedResources(req: CdsRequest): Resource[] {
  const out: Resource[] = [];
  for (const v of Object.values(req.prefetch ?? {})) out.push(...bundleResources(v));
  for (const key of ['draftOrders', 'appointments', 'dispatchedOrders']) out.push(...bundleResources(req.context[key]));
  const task = req.context.task;
  if (task && typeof task === 'object') out.push(...bundleResources(task));
  return out;
}

/** Resources the request carries: prefetch values, draft orders / appointments, and their contained resources. */
class RequestData {
  private readonly byRef = new Map<string, Resource>();
  readonly all: Resource[] = [];

  constructor(
    readonly req: CdsRequest,
    private readonly fetchFhir: FhirFetch | undefined,
  ) {
    for (const r of carriedResources(req)) this.add(r);
  }

  private add(r: Resource): void {
    this.all.push(r);
    if (r.id) this.byRef.set(`${r.resourceType}/${r.id}`, r);
    for (const c of (r as { contained?: Resource[] }).contained ?? []) if (c.id) this.byRef.set(`#${c.id}`, c);
  }

  async resolve<T extends Resource>(ref: Reference | string | undefined): Promise<T | undefined> {
    const reference = typeof ref === 'string' ? ref : ref?.reference;
    if (!reference) return undefined;
    const relative = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(reference)?.[1] ?? reference;
    const have = this.byRef.get(relative) ?? this.byRef.get(reference);
    if (have) return have as T;
    if (!this.fetchFhir || !this.req.fhirServer || !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(relative)) return undefined;
    const fetched = await this.fetchFhir(`${this.req.fhirServer.replace(/\/$/, '')}/${relative}`);
    if (fetched) this.add(fetched);
    return fetched as T | undefined;
  }

  /** The first resource of a type from the prefetch (or fetched with the template's query). */
  async prefetched<T extends Resource>(key: string, type: T['resourceType'], query: string | undefined): Promise<T[]> {
    const value = this.req.prefetch?.[key];
    if (value !== undefined && value !== null) return bundleResources(value).filter((r): r is T => r.resourceType === type);
    if (!this.fetchFhir || !this.req.fhirServer || !query) return [];
    const fetched = await this.fetchFhir(`${this.req.fhirServer.replace(/\/$/, '')}/${query}`);
    const found = bundleResources(fetched).filter((r): r is T => r.resourceType === type);
    for (const r of found) this.add(r);
    return found;
  }
}

function contextString(req: CdsRequest, key: string): string | undefined {
  const v = req.context[key];
  return typeof v === 'string' && v.length <= 200 ? v : undefined;
}

/** The orders the hook is about. */
async function ordersOf(hook: CrdHook, data: RequestData): Promise<Resource[]> {
  const req = data.req;
  switch (hook) {
    case 'order-select': {
      const orders = bundleResources(req.context.draftOrders);
      const selections = Array.isArray(req.context.selections) ? (req.context.selections as unknown[]).filter((s): s is string => typeof s === 'string') : [];
      return selections.length > 0 ? orders.filter((o) => selections.includes(`${o.resourceType}/${o.id}`)) : orders;
    }
    case 'order-sign':
      return bundleResources(req.context.draftOrders);
    case 'order-dispatch': {
      const refs = [...(Array.isArray(req.context.dispatchedOrders) ? (req.context.dispatchedOrders as unknown[]) : []), req.context.order].filter((x): x is string => typeof x === 'string');
      const found: Resource[] = [];
      for (const ref of refs.slice(0, 20)) {
        const r = await data.resolve(ref);
        if (r) found.push(r);
      }
      return found;
    }
    case 'appointment-book':
      return bundleResources(req.context.appointments);
    case 'encounter-start': {
      const id = contextString(req, 'encounterId');
      const encounter = id ? ((await data.prefetched<Encounter>('encounter', 'Encounter', `Encounter/${id}`))[0] ?? (await data.resolve<Encounter>(`Encounter/${id}`))) : undefined;
      return encounter ? [encounter] : [];
    }
  }
}

interface OrderInfo {
  service?: OrderedService;
  drug: boolean;
  requester?: Reference;
  performer?: Reference;
}

const day = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);

function codedService(codings: ReadonlyArray<{ system?: string; code?: string; display?: string }>): { system: string; code: string; display?: string } | undefined {
  const c = codings.find((x) => serviceCodeSystem(x.system) && typeof x.code === 'string');
  return c ? { system: c.system as string, code: c.code as string, ...(c.display ? { display: c.display } : {}) } : undefined;
}

/** The billed service of an order, its date and setting, its requester and performer. */
async function orderInfo(order: Resource, today: string, data: RequestData): Promise<OrderInfo> {
  const codings = (cc: { coding?: Array<{ system?: string; code?: string; display?: string }> } | undefined) => cc?.coding ?? [];
  switch (order.resourceType) {
    case 'ServiceRequest': {
      const o = order as ServiceRequest;
      const coded = codedService(codings(o.code));
      const pos = o.locationCode?.flatMap((l) => l.coding ?? []).find((c) => c.system === CODE_SYSTEM.placeOfService)?.code;
      const info: OrderInfo = { drug: false, ...(o.requester ? { requester: o.requester } : {}), ...(o.performer?.[0] ? { performer: o.performer[0] } : {}) };
      if (coded) {
        info.service = {
          ...coded,
          ...(o.quantityQuantity?.value !== undefined ? { quantity: o.quantityQuantity.value } : {}),
          serviceDate: day(o.occurrenceDateTime) ?? day(o.occurrencePeriod?.start) ?? today,
          ...(pos ? { placeOfService: pos } : {}),
          // ICD-10-PCS codes hospital inpatient procedures: ordering one orders an admission.
          inpatient: coded.system === CODE_SYSTEM.icd10pcs,
        };
      }
      return info;
    }
    case 'DeviceRequest': {
      const o = order as DeviceRequest;
      const coded = codedService(codings(o.codeCodeableConcept));
      return {
        drug: false,
        ...(o.requester ? { requester: o.requester } : {}),
        ...(o.performer ? { performer: o.performer } : {}),
        ...(coded ? { service: { ...coded, quantity: 1, serviceDate: day(o.occurrenceDateTime) ?? day(o.occurrencePeriod?.start) ?? today } } : {}),
      };
    }
    case 'MedicationRequest':
      return { drug: true };
    case 'Appointment': {
      const o = order as Appointment;
      const coded = codedService([...(o.serviceType ?? []).flatMap((s) => s.coding ?? []), ...codings(o.appointmentType)]);
      const performer = o.participant?.map((p) => p.actor).find((a) => a?.reference && !a.reference.includes('Patient/'));
      const basedOn = o.basedOn?.[0] ? await data.resolve<ServiceRequest>(o.basedOn[0]) : undefined;
      return {
        drug: false,
        ...(basedOn?.requester ? { requester: basedOn.requester } : {}),
        ...(performer ? { performer } : {}),
        ...(coded ? { service: { ...coded, serviceDate: day(o.start) ?? today } } : {}),
      };
    }
    case 'Encounter': {
      const o = order as Encounter;
      const coded = codedService((o.type ?? []).flatMap((t) => t.coding ?? []));
      const inpatient = o.class?.code === 'IMP' || o.class?.code === 'ACUTE';
      const priority = o.priority?.coding?.find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v3-ActPriority')?.code;
      const admissionType = priority === 'EM' ? '1' : priority === 'UR' ? '2' : priority === 'EL' ? '3' : undefined;
      const performer = o.participant?.map((p) => p.individual).find((a) => a?.reference) ?? o.serviceProvider;
      const pos = o.location?.flatMap((l) => l.physicalType?.coding ?? []).find((c) => c.system === CODE_SYSTEM.placeOfService)?.code;
      return {
        drug: false,
        ...(performer ? { performer } : {}),
        ...(coded ? { service: { ...coded, serviceDate: day(o.period?.start) ?? today, inpatient, ...(admissionType ? { admissionType } : {}), ...(pos ? { placeOfService: pos } : {}) } } : {}),
      };
    }
    default:
      return { drug: false };
  }
}

function isDrugCoded(order: Resource): boolean {
  const text = JSON.stringify((order as { code?: unknown; codeCodeableConcept?: unknown }).code ?? (order as { codeCodeableConcept?: unknown }).codeCodeableConcept ?? {});
  return DRUG_CODE_SYSTEMS.some((s) => text.includes(`"${s}"`));
}

function sub(url: string, value: Omit<Extension, 'url'>): Extension {
  return { url, ...value };
}

/** The CRD coverage-information extension for a determination. */
export function coverageInformation(d: CoverageDetermination, o: { coverage: Reference; date: string; assertionId: string; billing?: { system: string; code: string } }): Extension {
  const parts: Extension[] = [sub('coverage', { valueReference: o.coverage })];
  const conditional = d.paNeeded === 'conditional' || d.infoNeeded.length > 0;
  parts.push(sub('covered', { valueCode: d.covered === 'not-covered' ? 'not-covered' : conditional && d.referral.needed && d.infoNeeded.includes('performer') ? 'conditional' : 'covered' }));
  if (d.covered !== 'not-covered') parts.push(sub('pa-needed', { valueCode: d.paNeeded }));
  if (d.docNeeded && d.questionnaire) {
    parts.push(sub('doc-needed', { valueCode: d.docNeeded }));
    parts.push(sub('doc-purpose', { valueCode: 'withpa' }));
  }
  for (const need of d.infoNeeded) if (need === 'performer') parts.push(sub('info-needed', { valueCode: 'performer' }));
  if (o.billing) parts.push(sub('billingCode', { valueCoding: { system: o.billing.system, code: o.billing.code } }));
  for (const reason of d.reasons) parts.push(sub('reason', { valueCodeableConcept: { text: reason } }));
  if (d.rule?.maxQuantity !== undefined) {
    parts.push({ url: 'detail', extension: [sub('code', { valueCodeableConcept: { coding: [{ system: CRD.temp, code: 'allowed-quantity' }] } }), sub('value', { valueQuantity: { value: d.rule.maxQuantity } }), sub('qualification', { valueString: 'per request (the program service limit)' })] });
  }
  if (d.questionnaire) parts.push(sub('questionnaire', { valueCanonical: d.questionnaire }));
  parts.push(sub('date', { valueDate: o.date }));
  parts.push(sub('coverage-assertion-id', { valueString: o.assertionId }));
  return { url: CRD.coverageInformation, extension: parts };
}

function card(summary: string, detail: string, indicator: CdsCard['indicator'], topic: string, order: Resource | undefined, newId: () => string, links?: CdsCard['links']): CdsCard {
  return {
    uuid: newId(),
    summary: summary.length > 140 ? `${summary.slice(0, 139)}…` : summary,
    detail,
    indicator,
    source: { ...SOURCE, topic: { system: CRD.temp, code: topic } },
    ...(links ? { links } : {}),
    ...(order ? { extension: { 'davinci-crd.associated-resource': [`${order.resourceType}/${order.id}`] } } : {}),
  };
}

/** Answers one CDS Hooks call of a CRD service. */
export async function answerCrd(deps: CrdDeps, service: CdsServiceDefinition, req: CdsRequest, client: { id: string }, fetchFhir: FhirFetch | undefined): Promise<CdsResponse> {
  const now = deps.clock();
  const today = now.toISOString().slice(0, 10);
  const data = new RequestData(req, fetchFhir);
  const cards: CdsCard[] = [];
  const systemActions: CdsAction[] = [];
  const rules = await deps.rules();
  const orders = (await ordersOf(service.hook, data)).filter((o) => ORDER_TYPES.has(o.resourceType)).slice(0, 50);
  if (!rules || orders.length === 0) return { cards, systemActions };

  // The member: by the member ID on the EHR's Coverage or Patient; the Coverage the extension names.
  const patientId = contextString(req, 'patientId');
  const ehrCoverages = await data.prefetched<Coverage>('coverage', 'Coverage', patientId ? `Coverage?patient=${encodeURIComponent(patientId)}&status=active` : undefined);
  const ehrPatient = (await data.prefetched<Patient>('patient', 'Patient', patientId ? `Patient/${encodeURIComponent(patientId)}` : undefined))[0];
  const member = await deps.facts.memberByIds([...ehrCoverages.flatMap(memberIdsOf), ...memberIdsOf(ehrPatient)]);

  let primaryCare: Promise<string[]> | undefined;
  for (const order of orders) {
    const info = await orderInfo(order, today, data);
    if (info.drug || isDrugCoded(order)) {
      cards.push(card('Drugs are outside this prior-authorization service', 'MassHealth handles drug prior authorization through the pharmacy program (CMS-0057-F excludes drugs from these requirements). No coverage requirements are returned for this order.', 'info', 'coverage-info', order, deps.newId));
      continue;
    }
    if (!info.service) continue;
    if (!member) {
      cards.push(card('MassHealth could not identify the member', 'The order names no Coverage or Patient with a MassHealth member ID we know, so coverage requirements cannot be given. Check the member ID, or ask MassHealth customer service.', 'warning', 'coverage-info', order, deps.newId));
      break;
    }
    const onDate = await deps.facts.onDate(member, info.service.serviceDate);
    const performer = await data.resolve<Resource & { identifier?: Identifier[] }>(info.performer);
    const performerNpis = npisOf(performer?.identifier);
    // The member's PCC/PCP, read once per call whatever the number of orders.
    const pcpNpis = onDate.plan ? await (primaryCare ??= deps.facts.primaryCareNpis(member)) : [];
    const byPrimaryCare = performer ? performerNpis.some((n) => pcpNpis.includes(n)) : undefined;
    const requester = await data.resolve<Resource & { identifier?: Identifier[]; practitioner?: Reference }>(info.requester);
    const orderingPractitioner = requester?.resourceType === 'PractitionerRole' ? await data.resolve<Resource & { identifier?: Identifier[] }>(requester.practitioner) : requester;
    const orderingNpi = npisOf(orderingPractitioner?.identifier)[0];
    const enrollment = orderingNpi ? await deps.facts.enrollment(orderingNpi, info.service.serviceDate) : undefined;
    const d = determineCoverage(rules, info.service, {
      plan: onDate.plan,
      today,
      ...(byPrimaryCare !== undefined ? { byPrimaryCare } : {}),
      referralOnFile: performer ? await deps.facts.referralOnFile(member, info.service.serviceDate, performerNpis) : false,
      ...(enrollment ? { orderingProviderType: enrollment.type ?? 'unknown', orderingProviderEnrolled: enrollment.enrolled } : {}),
    });

    const assertionId = deps.newId();
    await deps.assertions.put({
      _id: assertionId,
      exp: now.getTime() + YEAR_MS,
      at: now.getTime(),
      client: client.id,
      patient: member.id as string,
      order: `${order.resourceType}/${order.id ?? ''}`,
      service: { system: info.service.system, code: info.service.code },
      paNeeded: d.paNeeded,
      ...(d.questionnaire ? { questionnaire: d.questionnaire } : {}),
    });
    const coverageRef: Reference = onDate.coverage ? { reference: `${deps.baseUrl}/Coverage/${onDate.coverage.id}` } : ehrCoverages[0]?.id ? { reference: `Coverage/${ehrCoverages[0].id}` } : { display: 'MassHealth' };
    const ext = coverageInformation(d, { coverage: coverageRef, date: today, assertionId, billing: { system: info.service.system, code: info.service.code } });
    const updated = { ...order, extension: [...((order as { extension?: Extension[] }).extension ?? []).filter((e) => e.url !== CRD.coverageInformation), ext] } as Resource;
    const what = info.service.display ?? d.rule?.display ?? info.service.code;
    systemActions.push({ type: 'update', description: `MassHealth coverage information for ${what}`, resource: updated });

    if (d.covered === 'not-covered') {
      cards.push(card(`Member not enrolled with MassHealth on ${info.service.serviceDate}`, d.reasons.join(' '), 'warning', 'coverage-info', order, deps.newId));
      continue;
    }
    if (d.referral.needed && !d.referral.onFile) {
      cards.push(card('PCC/PCP referral needed for this service', d.referral.reason, 'warning', 'coverage-info', order, deps.newId));
    }
    if (d.orp.required && d.orp.authorized === false) {
      cards.push(card('Ordering provider not authorized for this service', d.orp.reason, 'warning', 'coverage-info', order, deps.newId));
    }
    if (d.screening.required && (d.screening.leadTimeMet === false || info.service.system !== CODE_SYSTEM.icd10pcs)) {
      cards.push(card('Pre-admission screening: request it in time, in ICD codes', d.screening.reason, 'warning', 'coverage-info', order, deps.newId));
    }
    if (d.questionnaire && d.docNeeded && deps.dtrLaunchUrl) {
      const appContext = JSON.stringify({ 'coverage-assertion-id': assertionId, questionnaire: [d.questionnaire], order: `${order.resourceType}/${order.id ?? ''}` });
      cards.push(card(`Documentation needed for ${what}: complete it in DTR`, `${d.reasons.join(' ')} Complete the MassHealth questionnaire and send it with the prior-authorization request.`, 'info', 'coverage-info', order, deps.newId, [{ label: 'Complete the documentation (DTR)', url: deps.dtrLaunchUrl, type: 'smart', appContext }]));
    }
    if (d.paNeeded === 'auth-needed' && !d.questionnaire) {
      cards.push(card(`Prior authorization required for ${what}`, `${d.reasons.join(' ')} Submit the request with Claim/$submit.`, 'info', 'coverage-info', order, deps.newId, [{ label: 'Items and services that need prior authorization', url: deps.publishedListUrl, type: 'absolute' }]));
    }
  }
  return { cards, systemActions };
}

export function isCrdHook(hook: string): hook is CrdHook {
  return (HOOKS as readonly string[]).includes(hook);
}
