/**
 * PAS notifications through FHIR R4 topic-based Subscriptions (Subscriptions R5 Backport IG, rest-hook),
 * so a provider system learns that a pended request was decided without polling.
 *
 * A provider backend creates a Subscription whose `criteria` is the PAS topic
 * (`http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic`), with the filter
 * `orgIdentifier` (also `org-identifier`, `identifier`) naming its own organization, a `rest-hook`
 * endpoint (https; loopback http only with OUTBOUND_LOOPBACK) and `id-only` (PAS 2.0.1) or
 * `full-resource` (2.1) content. The server stores it `requested`, POSTs a handshake, and makes it
 * `active` on a 2xx (else `error`). It reads and deletes only its own Subscriptions; `$status` reports one.
 *
 * When a request of that organization leaves `pended` (decided, withdrawn), each active Subscription gets
 * an `event-notification` (a `history` Bundle: the SubscriptionStatus Parameters first, then the
 * ClaimResponse for full-resource). Deliveries are documents (`pas-notifications`) so any instance can
 * retry them: tried at once, then with backoff (1, 2, 4 … minutes, 8 attempts) from the scheduler.
 * Each Subscription.header is sent as an HTTP header (how the EHR's own token travels).
 */
import type { Bundle, ClaimResponse, Extension, Parameters, ParametersParameter, Subscription } from '@medplum/fhirtypes';
import type { FhirContext, FhirRequest, FhirResponse, TypeHandler, OperationHandler } from '../../fhir/rest/types.js';
import { badRequest, forbidden, methodNotAllowed, notFound, unprocessable } from '../../fhir/outcome.js';
import type { ClientRecord } from '../../auth/records.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import { paClaimResponseFrom, requestDecision, type PaState } from '../../domain/pa-claim-response.js';
import type { SystemDispatch } from './pas.js';
import { outboundUrlAllowed } from '../../http/outbound-url.js';

export const PAS_TOPIC = 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic';
const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT = {
  filterCriteria: `${BP}/backport-filter-criteria`,
  payloadContent: `${BP}/backport-payload-content`,
  heartbeatPeriod: `${BP}/backport-heartbeat-period`,
  statusProfile: `${BP}/backport-subscription-status-r4`,
  notificationProfile: `${BP}/backport-subscription-notification-r4`,
} as const;

interface SubscriptionDoc extends StoredDocument {
  client: string;
  organization: string;
  endpoint: string;
  headers: string[];
  content: 'id-only' | 'full-resource' | 'empty';
  status: 'requested' | 'active' | 'error' | 'off';
  events: number;
}

interface DeliveryDoc extends StoredDocument {
  subscription: string;
  body: string;
  attempts: number;
  due: number;
  state: 'pending' | 'delivered' | 'failed';
  lease: number;
  lastError?: string;
}

const MAX_ATTEMPTS = 8;
const TIMEOUT_MS = 5_000;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface PasSubscriptionDeps {
  store: ResourceStore;
  docs: DocumentStore;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  system: SystemDispatch;
  baseUrl: string;
  allowLoopback: boolean;
  clock: () => Date;
  newId: () => string;
  /** Identifiers of an Organization (to check a filter names the caller's own). */
  organizationIdentifiers: (reference: string) => Promise<Array<{ system?: string; value?: string }>>;
}

const ext = (e: { extension?: Extension[] } | undefined, url: string): Extension | undefined => e?.extension?.find((x) => x.url === url);

export function pasSubscriptions(deps: PasSubscriptionDeps) {
  const subs = deps.docs.collection<SubscriptionDoc>('pas-subscriptions', { indexes: [['organization']] });
  const deliveries = deps.docs.collection<DeliveryDoc>('pas-notifications', { indexes: [['state']] });

  async function providerClient(ctx: FhirContext): Promise<ClientRecord | undefined> {
    const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
    return client?.role === 'provider' && client.organization ? client : undefined;
  }

  function statusParameters(id: string, doc: SubscriptionDoc, type: 'handshake' | 'event-notification' | 'query-status', event?: { number: number; focus: string; at: string }): Parameters {
    const parameter: ParametersParameter[] = [
      { name: 'subscription', valueReference: { reference: `${deps.baseUrl}/Subscription/${id}` } },
      { name: 'topic', valueCanonical: PAS_TOPIC },
      { name: 'status', valueCode: doc.status === 'requested' ? 'requested' : doc.status },
      { name: 'type', valueCode: type },
      { name: 'events-since-subscription-start', valueString: String(doc.events) },
    ];
    if (event) {
      parameter.push({
        name: 'notification-event',
        part: [{ name: 'event-number', valueString: String(event.number) }, { name: 'timestamp', valueInstant: event.at }, ...(doc.content !== 'empty' ? [{ name: 'focus', valueReference: { reference: event.focus } }] : [])],
      });
    }
    return { resourceType: 'Parameters', id: deps.newId(), meta: { profile: [BACKPORT.statusProfile] }, parameter };
  }

  function notification(id: string, doc: SubscriptionDoc, type: 'handshake' | 'event-notification', event?: { number: number; focus: string; at: string; resource?: ClaimResponse }): Bundle {
    const status = statusParameters(id, doc, type, event);
    const entry: NonNullable<Bundle['entry']> = [{ fullUrl: `urn:uuid:${status.id}`, resource: status, request: { method: 'GET', url: `${deps.baseUrl}/Subscription/${id}/$status` }, response: { status: '200' } }];
    if (event && doc.content === 'full-resource' && event.resource) {
      entry.push({ fullUrl: event.focus, resource: event.resource, request: { method: 'PUT', url: `ClaimResponse/${event.resource.id}` }, response: { status: '200' } });
    }
    return { resourceType: 'Bundle', id: deps.newId(), meta: { profile: [BACKPORT.notificationProfile] }, type: 'history', timestamp: deps.clock().toISOString(), entry };
  }

  async function post(doc: SubscriptionDoc, body: string): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' };
    for (const h of doc.headers) {
      const i = h.indexOf(':');
      if (i > 0) headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    const res = await fetch(doc.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`endpoint answered ${res.status}`);
  }

  async function setStatus(id: string, status: SubscriptionDoc['status'], error?: string): Promise<void> {
    await subs.update(id, {}, { status });
    const current = await deps.store.current('Subscription', id);
    if (!current || current.del) return;
    const resource = { ...(current.res as Subscription), status: status === 'off' ? 'off' : status, ...(error ? { error } : {}) } as Subscription;
    if (!error) delete resource.error;
    await deps.system({ method: 'PUT', path: ['Subscription', id], body: resource });
  }

  /** One delivery attempt under a short lease, so two instances never send the same notification at once. */
  async function attempt(d: DeliveryDoc): Promise<boolean> {
    const now = deps.clock().getTime();
    const leased = await deliveries.update(d._id, { state: 'pending', attempts: d.attempts, lease: { $lt: now } }, { lease: now + TIMEOUT_MS * 2 });
    if (!leased) return false;
    const doc = await subs.get(d.subscription);
    if (!doc || doc.status !== 'active') {
      await deliveries.update(d._id, {}, { state: 'failed', lastError: 'the subscription is no longer active' });
      return false;
    }
    try {
      await post(doc, d.body);
      await deliveries.update(d._id, {}, { state: 'delivered', attempts: d.attempts + 1 });
      return true;
    } catch (err) {
      const attempts = d.attempts + 1;
      const failed = attempts >= MAX_ATTEMPTS;
      await deliveries.update(d._id, {}, { attempts, state: failed ? 'failed' : 'pending', due: now + 60_000 * 2 ** (attempts - 1), lease: 0, lastError: (err as Error).message.slice(0, 300) });
      if (failed) await setStatus(d.subscription, 'error', `notifications failed ${attempts} times: ${(err as Error).message.slice(0, 200)}`);
      return false;
    }
  }

  async function create(ctx: FhirContext, req: FhirRequest, client: ClientRecord): Promise<FhirResponse> {
    const s = req.body as Subscription | undefined;
    if (s?.resourceType !== 'Subscription') throw badRequest('The body must be a Subscription');
    if (s.criteria !== PAS_TOPIC) throw unprocessable([{ code: 'not-supported', diagnostics: `Only the PAS topic ${PAS_TOPIC} is offered`, expression: ['Subscription.criteria'] }]);
    const channel = s.channel;
    if (channel?.type !== 'rest-hook') throw unprocessable([{ code: 'not-supported', diagnostics: 'Only rest-hook channels are offered', expression: ['Subscription.channel.type'] }]);
    if (!channel.endpoint || !outboundUrlAllowed(channel.endpoint, deps.allowLoopback)) throw unprocessable([{ code: 'value', diagnostics: 'channel.endpoint must be an https URL of your system', expression: ['Subscription.channel.endpoint'] }]);
    if (channel.payload && channel.payload !== 'application/fhir+json') throw unprocessable([{ code: 'not-supported', diagnostics: 'channel.payload must be application/fhir+json', expression: ['Subscription.channel.payload'] }]);
    const payloadExt = (s as { channel: { _payload?: { extension?: Extension[] } } }).channel._payload;
    const content = (ext(payloadExt, BACKPORT.payloadContent)?.valueCode ?? 'id-only') as SubscriptionDoc['content'];
    if (!['id-only', 'full-resource', 'empty'].includes(content)) throw unprocessable([{ code: 'value', diagnostics: 'backport-payload-content must be empty, id-only or full-resource' }]);
    const headers = channel.header ?? [];
    if (headers.length > 10 || headers.some((h) => h.length > 4_000 || !/^[A-Za-z0-9\-]{1,100}:/.test(h) || /[\r\n]/.test(h))) throw unprocessable([{ code: 'value', diagnostics: 'channel.header entries must be "Name: value" (at most 10)' }]);
    // The filter names the caller's own organization (orgIdentifier, org-identifier or identifier = [system|]value).
    const criteriaExt = (s as { _criteria?: { extension?: Extension[] } })._criteria;
    const filter = ext(criteriaExt, BACKPORT.filterCriteria)?.valueString;
    const organization = client.organization as string;
    if (filter !== undefined) {
      const m = /^(?:orgIdentifier|org-identifier|identifier)=(.{1,300})$/.exec(filter.trim());
      if (!m) throw unprocessable([{ code: 'value', diagnostics: 'The filter criteria must be orgIdentifier=[system|]value naming your organization' }]);
      const wanted = m[1].split(',').map((v) => {
        const bar = v.lastIndexOf('|');
        return bar >= 0 ? { system: v.slice(0, bar), value: v.slice(bar + 1) } : { value: v };
      });
      const own = await deps.organizationIdentifiers(organization);
      const ok = wanted.every((w) => own.some((o) => o.value === w.value && (w.system === undefined || w.system === '' || o.system === w.system)));
      if (!ok) throw forbidden('A Subscription may only follow requests of your own organization');
    }
    const id = deps.newId();
    const doc: SubscriptionDoc = { _id: id, client: client._id, organization, endpoint: channel.endpoint, headers, content, status: 'requested', events: 0 };
    await subs.put(doc);
    const stored = { ...s, id, status: 'requested' as const };
    delete (stored as { meta?: unknown }).meta;
    const put = await deps.system({ method: 'PUT', path: ['Subscription', id], body: stored });
    if (put.status >= 300) {
      await subs.delete(id);
      return put;
    }
    // Handshake: the endpoint must answer 2xx before notifications flow.
    try {
      await post(doc, JSON.stringify(notification(id, doc, 'handshake')));
      await setStatus(id, 'active');
    } catch (err) {
      await setStatus(id, 'error', `handshake failed: ${(err as Error).message.slice(0, 200)}`);
    }
    const current = await deps.store.current('Subscription', id);
    return { status: 201, json: JSON.stringify(current?.res), headers: { Location: `${deps.baseUrl}/Subscription/${id}/_history/${current?.v ?? 1}` } };
  }

  const handler: TypeHandler = {
    type: 'Subscription',
    async handle(ctx, req) {
      const client = await providerClient(ctx);
      if (!client) return undefined; // staff and other callers: the engine (and their Access) decide
      const [, id] = req.path;
      if (id === undefined) {
        if (req.method === 'POST') return create(ctx, req, client);
        if (req.method === 'GET') {
          const own = await subs.find({ client: client._id }, { limit: 1_000 });
          const entry = [];
          for (const d of own) {
            const r = await deps.store.current('Subscription', d._id);
            if (r && !r.del) entry.push({ fullUrl: `${deps.baseUrl}/Subscription/${d._id}`, resource: r.res as Subscription, search: { mode: 'match' as const } });
          }
          return { status: 200, body: { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry }, headers: {} };
        }
        throw methodNotAllowed('Subscriptions are created with POST and listed with GET', 'GET, POST');
      }
      const doc = ID.test(id) ? await subs.get(id) : undefined;
      if (!doc || doc.client !== client._id) throw notFound(`No Subscription ${id.slice(0, 64)} of yours`);
      if (req.method === 'GET' && req.path.length === 2) {
        const r = await deps.store.current('Subscription', id);
        return { status: 200, json: JSON.stringify(r?.res), headers: {} };
      }
      if (req.method === 'DELETE' && req.path.length === 2) {
        await subs.update(id, {}, { status: 'off' });
        await deps.system({ method: 'DELETE', path: ['Subscription', id] });
        return { status: 204, headers: {} };
      }
      throw methodNotAllowed('Your Subscriptions can be read and deleted; create a new one to change it', 'GET, DELETE');
    },
  };

  const statusOperation: OperationHandler = {
    type: 'Subscription',
    name: 'status',
    level: 'instance',
    async handle(ctx, _req, id) {
      const client = await providerClient(ctx);
      const doc = id ? await subs.get(id) : undefined;
      if (!doc || (client && doc.client !== client._id)) throw notFound(`No Subscription ${String(id).slice(0, 64)} of yours`);
      if (!client && !ctx.access.allows('Subscription', 'read')) throw forbidden('Not allowed');
      const status = statusParameters(doc._id, doc, 'query-status');
      return { status: 200, body: { resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: status, search: { mode: 'match' } }] }, headers: {} };
    },
  };

  return {
    handler,
    statusOperation,
    /** After a request's state changed: notify the requester's Subscriptions when it left `pended`. */
    async onChange(before: PaState | undefined, after: PaState): Promise<void> {
      if (!before || requestDecision(before) !== 'pended' || requestDecision(after) === 'pended') return;
      const organization = after.requestor.reference;
      if (!organization) return;
      const active = await subs.find({ organization, status: 'active' }, { limit: 100 });
      const now = deps.clock();
      const focus = `${deps.baseUrl}/ClaimResponse/${after.id}`;
      const resource = paClaimResponseFrom(after);
      for (const d of active) {
        // The event number: an atomic increment from the count just read (read again when another writer
        // got there first).
        let number = 0;
        let seen: number | undefined = d.events;
        for (let tries = 0; tries < 10 && number === 0; tries++) {
          if (seen === undefined) {
            const current = await subs.get(d._id);
            if (!current) break;
            seen = current.events;
          }
          const next = await subs.update(d._id, { events: seen }, { events: seen + 1 });
          if (next) number = next.events;
          else seen = undefined;
        }
        if (number === 0) continue;
        const body = JSON.stringify(notification(d._id, { ...d, events: number }, 'event-notification', { number, focus, at: now.toISOString(), resource }));
        const delivery: DeliveryDoc = { _id: deps.newId(), exp: now.getTime() + 30 * 86_400_000, subscription: d._id, body, attempts: 0, due: now.getTime(), state: 'pending', lease: 0 };
        await deliveries.put(delivery);
        // Tried at once, without holding up the reviewer's answer; failures are retried by the scheduler.
        void attempt(delivery).catch(() => undefined);
      }
    },
    /** Retries deliveries that are due (run by the deadline scheduler's timer). */
    async retry(): Promise<{ attempted: number; delivered: number }> {
      const now = deps.clock().getTime();
      const due = (await deliveries.find({ state: 'pending', due: { $lte: now } }, { sort: [['due', 1]], limit: 200 })).filter((d) => d.lease < now);
      let delivered = 0;
      for (const d of due) if (await attempt(d)) delivered++;
      return { attempted: due.length, delivered };
    },
    deliveries,
  };
}

export type PasSubscriptions = ReturnType<typeof pasSubscriptions>;
