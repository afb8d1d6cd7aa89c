/**
 * The requesting side of Payer-to-Payer: for one of our members and one other payer (with the member's
 * opt-in in force), match the member at that payer and bring their data here.
 *
 * Steps, each recorded on the request document (`p2p-requests`, one per member and payer):
 *  1. token: SMART Backend Services at the payer's token URL (client_credentials with a private_key_jwt
 *     assertion signed by our key registered there, jose), cached until shortly before it expires;
 *  2. match: `Patient/$member-match` (HRex) through fhir-kit-client with the member's demographics, the
 *     coverage they had there (CoverageToMatch: their member ID and that payer), our coverage
 *     (CoverageToLink) and the opt-in Consent; 422 → `no-match` or `refused` (not retried: the answer
 *     will not change until the data does), other failures are retried with backoff;
 *  3. pull: `Patient/[their id]/$everything`, following `next` links (with `_since` after a completed
 *     exchange, for the quarterly one with concurrent payers);
 *  4. import: every resource except their Patient is stored here under an id of our own (a hash of the
 *     payer, type and their id, so a repeat replaces rather than duplicates), its references to the
 *     member pointing at our Patient and to other pulled resources at their new ids (anything else stays
 *     an absolute reference to the payer's server), `meta.source` = the payer's FHIR base and a tag
 *     marking received data; their Provenance comes along (PDex: kept), and one Provenance of ours per
 *     import names the payer as the source of everything imported. Received data is in the member's
 *     compartment, so the member and the member's providers see it like any other data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type FhirResource } from 'fhir-kit-client';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { Bundle, Consent, Coverage, OperationOutcome, Parameters, Patient, Provenance, Resource } from '@medplum/fhirtypes';
import type { PayerEndpoint } from '../../config.js';
import type { FhirRequest, FhirResponse } from '../../fhir/rest/types.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import type { MemberChoices, OtherPayer } from './member-choice.js';

export const RECEIVED_TAG = { system: 'https://masshealth.example.org/fhir/CodeSystem/data-origin', code: 'payer-to-payer', display: 'Received from another payer' };
const MAX_PAGES = 1_000;

export type RequestStatus = 'pending' | 'done' | 'no-match' | 'refused' | 'failed';

export interface PayerRequest extends StoredDocument {
  /** `<patient>|<payer Organization id>`. */
  _id: string;
  patient: string;
  payer: string;
  kind: OtherPayer['kind'];
  status: RequestStatus;
  attempts: number;
  /** Epoch ms when the next attempt is due (pending ones). */
  due: number;
  /** Who is working on it until when (several instances share the requests). */
  lease?: { owner: string; until: number };
  /** Their ids for the member, once matched. */
  theirPatient?: string;
  theirMemberId?: string;
  /** When the last complete exchange started (the next quarterly one asks `_since` this). */
  lastCompleteAt?: number;
  imported?: number;
  steps: Array<{ at: number; step: string; ok: boolean; detail: string }>;
}

export const PAYER_REQUESTS = 'p2p-requests';
export const requestKey = (patient: string, payer: string): string => `${patient}|${payer.slice('Organization/'.length)}`;

export interface OutboundDeps {
  store: ResourceStore;
  docs: DocumentStore;
  choices: MemberChoices;
  endpoints: readonly PayerEndpoint[];
  /** Our payer Organization. */
  payer: { reference: string };
  system(req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>): Promise<FhirResponse>;
  clock: () => Date;
  /** Lets tests and staff give a different fetch (default global fetch) for the token request. */
  fetch?: typeof fetch;
}

/** A failure that will not change by retrying (the payer said no: no match, or the Consent was refused). */
class Final extends Error {
  constructor(
    readonly status: 'no-match' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

const receivedId = (payer: string, type: string, id: string): string => `p2p${createHash('sha256').update(`${payer}|${type}|${id}`).digest('hex').slice(0, 40)}`;

function outcomeText(data: unknown): string {
  const oo = (typeof data === 'string' ? (() => { try { return JSON.parse(data) as unknown; } catch { return undefined; } })() : data) as OperationOutcome | undefined;
  return oo?.resourceType === 'OperationOutcome' ? oo.issue.map((i) => i.diagnostics ?? i.code).join('; ') : '';
}

export function outbound(deps: OutboundDeps) {
  const requests = deps.docs.collection<PayerRequest>(PAYER_REQUESTS, { indexes: [['status'], ['patient']] });
  const tokens = new Map<string, { token: string; until: number }>();
  const doFetch = deps.fetch ?? fetch;

  const endpointOf = (payer: string): PayerEndpoint | undefined => deps.endpoints.find((e) => e.payer === payer);

  async function token(e: PayerEndpoint): Promise<string> {
    const cached = tokens.get(e.payer);
    const now = deps.clock().getTime();
    if (cached && cached.until > now + 30_000) return cached.token;
    const raw = JSON.parse(readFileSync(e.keyFile, 'utf8')) as { key?: JWK } & JWK;
    const jwk: JWK = raw.key ?? raw;
    if (!jwk.kid || !jwk.alg) throw new Error(`${e.keyFile}: the key needs kid and alg`);
    const iat = Math.floor(now / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
      .setIssuer(e.clientId)
      .setSubject(e.clientId)
      .setAudience(e.tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 240)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(await importJWK(jwk, jwk.alg));
    const res = await doFetch(e.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: e.scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) throw new Error(`token refused by ${e.tokenUrl} (${res.status} ${body.error ?? ''} ${body.error_description ?? ''})`.trim());
    tokens.set(e.payer, { token: body.access_token, until: now + (body.expires_in ?? 300) * 1000 });
    return body.access_token;
  }

  async function clientFor(e: PayerEndpoint): Promise<Client> {
    return new Client({ baseUrl: e.fhirBase, bearerToken: await token(e) });
  }

  async function ourCoverage(patient: string): Promise<Coverage | undefined> {
    const { records } = await deps.store.find({ filter: { type: 'Coverage', 'sp.beneficiary': `Patient/${patient}` }, sort: [['_id', 1]], limit: 100 });
    return records.map((r) => r.res as Coverage).find((c) => c.payor?.[0]?.reference === deps.payer.reference && c.status === 'active');
  }

  /** The `$member-match` Parameters for our member at that payer. */
  async function matchRequest(patient: string, other: OtherPayer, consent: Consent): Promise<Parameters> {
    const record = await deps.store.current('Patient', patient);
    if (!record || record.del) throw new Error(`No Patient/${patient}`);
    const p = record.res as Patient;
    // Demographics only: our identifiers and ids mean nothing there.
    const memberPatient: Patient = { resourceType: 'Patient', id: 'member', ...(p.name ? { name: p.name } : {}), ...(p.birthDate ? { birthDate: p.birthDate } : {}), ...(p.gender ? { gender: p.gender } : {}), ...(p.address ? { address: p.address } : {}), ...(p.telecom ? { telecom: p.telecom } : {}) };
    const theirCoverage = await deps.store.current('Coverage', other.coverage);
    const c = theirCoverage?.res as Coverage | undefined;
    const coverageToMatch: Coverage = {
      resourceType: 'Coverage',
      id: 'to-match',
      status: c?.status ?? 'active',
      beneficiary: { reference: 'Patient/member' },
      payor: [{ ...(other.identifiers[0] ? { identifier: other.identifiers[0] } : {}), ...(other.name ? { display: other.name } : {}) }],
      ...(other.memberId ? { subscriberId: other.memberId, identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, value: other.memberId }] } : {}),
      ...(c?.period ? { period: c.period } : {}),
    };
    const ours = await ourCoverage(patient);
    const coverageToLink: Coverage | undefined = ours ? { ...ours, id: 'to-link', beneficiary: { reference: 'Patient/member' } } : undefined;
    const sent: Consent = { ...consent, patient: { reference: 'Patient/member' }, performer: [{ reference: 'Patient/member' }] };
    delete sent.meta;
    return {
      resourceType: 'Parameters',
      parameter: [
        { name: 'MemberPatient', resource: memberPatient },
        { name: 'CoverageToMatch', resource: coverageToMatch },
        ...(coverageToLink ? [{ name: 'CoverageToLink', resource: coverageToLink }] : []),
        { name: 'Consent', resource: sent },
      ],
    };
  }

  /** Rewrites a pulled resource for our store: our ids, our member, the payer as source. */
  function adopt(resource: Resource, e: PayerEndpoint, theirPatient: string, ourPatient: string, idMap: Map<string, string>): Resource {
    const payerKey = e.payer;
    const text = JSON.stringify(resource, (key, value: unknown) => {
      if (key === 'reference' && typeof value === 'string') {
        const rel = value.startsWith(e.fhirBase) ? value.slice(e.fhirBase.length).replace(/^\//, '') : value;
        if (rel === `Patient/${theirPatient}`) return `Patient/${ourPatient}`;
        const mapped = idMap.get(rel);
        if (mapped) return mapped;
        return /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(rel) ? `${e.fhirBase}/${rel}` : value;
      }
      return value;
    });
    const out = JSON.parse(text) as Resource;
    out.id = receivedId(payerKey, resource.resourceType, resource.id as string);
    out.meta = { source: e.fhirBase, tag: [RECEIVED_TAG], ...(resource.meta?.profile ? { profile: resource.meta.profile } : {}) };
    return out;
  }

  async function pullAndImport(req: PayerRequest, e: PayerEndpoint, client: Client, since?: number): Promise<number> {
    const theirPatient = req.theirPatient as string;
    const pulled: Resource[] = [];
    let page = (await client.request(`Patient/${theirPatient}/$everything?_count=500${since ? `&_since=${encodeURIComponent(new Date(since).toISOString())}` : ''}`)) as unknown as Bundle;
    for (let n = 0; n < MAX_PAGES; n++) {
      for (const entry of page.entry ?? []) if (entry.resource && entry.resource.resourceType !== 'Patient' && entry.resource.id) pulled.push(entry.resource);
      const next = await client.nextPage({ bundle: page as unknown as FhirResource & { link: Array<{ relation: string; url: string }> } });
      if (!next) break;
      page = next as unknown as Bundle;
    }
    const idMap = new Map<string, string>(pulled.map((r) => [`${r.resourceType}/${r.id}`, `${r.resourceType}/${receivedId(e.payer, r.resourceType, r.id as string)}`]));
    const adopted = pulled.map((r) => adopt(r, e, theirPatient, req.patient, idMap));
    const now = deps.clock().toISOString();
    const provenance: Provenance | undefined =
      adopted.length === 0
        ? undefined
        : {
            resourceType: 'Provenance',
            id: receivedId(e.payer, 'Provenance', `import-${req.patient}-${now}`),
            meta: { source: e.fhirBase, tag: [RECEIVED_TAG] },
            target: adopted.map((r) => ({ reference: `${r.resourceType}/${r.id}` })),
            recorded: now,
            activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }] },
            agent: [
              {
                type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
                who: { reference: e.payer },
              },
              {
                type: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/ProvenanceAgentType', code: 'transmitter', display: 'Transmitter' }] },
                who: { reference: e.payer },
              },
            ],
            entity: [{ role: 'source', what: { display: `${e.fhirBase} Patient/${theirPatient}/$everything` } }],
          };
    const entries = [...adopted, ...(provenance ? [provenance] : [])].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
    // In transactions of at most 500, so a large history does not make one enormous write.
    for (let i = 0; i < entries.length; i += 500) {
      const res = await deps.system({ method: 'POST', path: [], body: { resourceType: 'Bundle', type: 'transaction', entry: entries.slice(i, i + 500) } });
      if (res.status >= 300) throw new Error(`import of ${entries.length} resources failed (${res.status}): ${outcomeText(res.body)}`);
    }
    return adopted.length;
  }

  /** One attempt at a request: match (if not yet), pull, import. Records each step; throws Final or retryable errors. */
  async function attempt(req: PayerRequest, step: (name: string, ok: boolean, detail: string) => void): Promise<PayerRequest> {
    const e = endpointOf(`Organization/${req.payer}`);
    if (!e) throw new Final('refused', `No endpoint configured for Organization/${req.payer} (PAYER_ENDPOINTS)`);
    const other = (await deps.choices.otherPayers(req.patient)).find((o) => o.payer === e.payer);
    if (!other) throw new Final('refused', 'The member no longer has this payer on file');
    if (!other.optIn) throw new Final('refused', 'The member has no opt-in in force for this payer');
    const client = await clientFor(e);
    step('token', true, `token from ${e.tokenUrl}`);
    let out = { ...req };
    if (!out.theirPatient) {
      let answer: Parameters;
      try {
        answer = (await client.operation({ name: 'member-match', resourceType: 'Patient', method: 'POST', input: (await matchRequest(req.patient, other, other.optIn)) as unknown as FhirResource })) as unknown as Parameters;
      } catch (err) {
        const response = (err as { response?: { status?: number; data?: unknown } }).response;
        if (response?.status === 422) {
          const why = outcomeText(response.data) || 'no reason given';
          throw new Final(/consent/i.test(why) ? 'refused' : 'no-match', `$member-match answered 422: ${why}`);
        }
        throw err;
      }
      const memberId = answer.parameter?.find((p) => p.name === 'MemberId')?.valueReference?.reference;
      const identifier = answer.parameter?.find((p) => p.name === 'MemberIdentifier')?.valueIdentifier?.value;
      const theirPatient = memberId?.split('/').pop();
      if (!theirPatient) throw new Error('$member-match answered without MemberId');
      out = { ...out, theirPatient, ...(identifier ? { theirMemberId: identifier } : {}) };
      step('match', true, `matched as ${memberId}${identifier ? ` (member ID ${identifier})` : ''}`);
    }
    const started = deps.clock().getTime();
    const imported = await pullAndImport(out, e, client, out.kind === 'concurrent' ? out.lastCompleteAt : undefined);
    step('import', true, `${imported} resources imported`);
    return { ...out, imported: (out.imported ?? 0) + imported, lastCompleteAt: started };
  }

  return { requests, attempt, endpointOf, receivedId };
}

export type Outbound = ReturnType<typeof outbound>;
export { Final as FinalRequestError };
