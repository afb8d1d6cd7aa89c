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
import type { Bundle, Consent, Coverage, Group, OperationOutcome, Parameters, Patient, Provenance, Resource } from '@medplum/fhirtypes';
import type { PayerEndpoint } from '../../config.js';
import type { FhirRequest, FhirResponse } from '../../fhir/rest/types.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import type { MemberChoices, OtherPayer } from './member-choice.js';

export const RECEIVED_TAG = { system: 'https://masshealth.example.org/fhir/CodeSystem/data-origin', code: 'payer-to-payer', display: 'Received from another payer' };
const MAX_PAGES = 1_000;
/** How long a bulk exchange waits for the payer's export before giving up (and retrying later). */
const EXPORT_WAIT_MS = 10 * 60_000;

export interface BatchResult {
  status: 'done' | 'no-match' | 'refused';
  detail: string;
  theirPatient?: string;
  imported?: number;
  startedAt?: number;
}

const matchedGroupId = (g: Group): string => g.id as string;

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

  /** Rewrites a pulled resource for our store: our ids, our members, the payer as source. */
  function adopt(resource: Resource, e: PayerEndpoint, patients: ReadonlyMap<string, string>, idMap: Map<string, string>): Resource {
    const text = JSON.stringify(resource, (key, value: unknown) => {
      if (key === 'reference' && typeof value === 'string') {
        const rel = value.startsWith(e.fhirBase) ? value.slice(e.fhirBase.length).replace(/^\//, '') : value;
        const theirPatient = rel.startsWith('Patient/') ? rel.slice('Patient/'.length) : undefined;
        const ours = theirPatient !== undefined ? patients.get(theirPatient) : undefined;
        if (ours) return `Patient/${ours}`;
        const mapped = idMap.get(rel);
        if (mapped) return mapped;
        return /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(rel) ? `${e.fhirBase}/${rel}` : value;
      }
      return value;
    });
    const out = JSON.parse(text) as Resource;
    out.id = receivedId(e.payer, resource.resourceType, resource.id as string);
    out.meta = { source: e.fhirBase, tag: [RECEIVED_TAG], ...(resource.meta?.profile ? { profile: resource.meta.profile } : {}) };
    return out;
  }

  /**
   * Stores what a payer sent for these members (their Patient id → ours): every resource but their
   * Patients, adopted; one Provenance of ours per member naming the payer. Imported counts per member.
   */
  async function importFor(e: PayerEndpoint, pulled: readonly Resource[], patients: ReadonlyMap<string, string>): Promise<Map<string, number>> {
    const kept = pulled.filter((r) => r.resourceType !== 'Patient' && r.id);
    const idMap = new Map<string, string>(kept.map((r) => [`${r.resourceType}/${r.id}`, `${r.resourceType}/${receivedId(e.payer, r.resourceType, r.id as string)}`]));
    const adopted = kept.map((r) => adopt(r, e, patients, idMap));
    const now = deps.clock().toISOString();
    const byMember = new Map<string, Resource[]>();
    for (const r of adopted) {
      const text = JSON.stringify(r);
      for (const ours of new Set(patients.values())) {
        if (!text.includes(`"Patient/${ours}"`)) continue;
        const list = byMember.get(ours);
        if (list) list.push(r);
        else byMember.set(ours, [r]);
        break;
      }
    }
    const provenances: Provenance[] = [...byMember].map(([ours, resources]) => ({
      resourceType: 'Provenance',
      id: receivedId(e.payer, 'Provenance', `import-${ours}-${now}`),
      meta: { source: e.fhirBase, tag: [RECEIVED_TAG] },
      target: resources.map((r) => ({ reference: `${r.resourceType}/${r.id}` })),
      recorded: now,
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }] },
      agent: [
        { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] }, who: { reference: e.payer } },
        { type: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/ProvenanceAgentType', code: 'transmitter', display: 'Transmitter' }] }, who: { reference: e.payer } },
      ],
      entity: [{ role: 'source', what: { display: `${e.fhirBase}` } }],
    }));
    const entries = [...adopted, ...provenances].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
    // In transactions of at most 500, so a large history does not make one enormous write.
    for (let i = 0; i < entries.length; i += 500) {
      const res = await deps.system({ method: 'POST', path: [], body: { resourceType: 'Bundle', type: 'transaction', entry: entries.slice(i, i + 500) } });
      if (res.status >= 300) throw new Error(`import of ${entries.length} resources failed (${res.status}): ${outcomeText(res.body)}`);
    }
    return new Map([...byMember].map(([ours, resources]) => [ours, resources.length]));
  }

  async function pullAndImport(req: PayerRequest, e: PayerEndpoint, client: Client, since?: number): Promise<number> {
    const theirPatient = req.theirPatient as string;
    const pulled: Resource[] = [];
    let page = (await client.request(`Patient/${theirPatient}/$everything?_count=500${since ? `&_since=${encodeURIComponent(new Date(since).toISOString())}` : ''}`)) as unknown as Bundle;
    for (let n = 0; n < MAX_PAGES; n++) {
      for (const entry of page.entry ?? []) if (entry.resource) pulled.push(entry.resource);
      const next = await client.nextPage({ bundle: page as unknown as FhirResource & { link: Array<{ relation: string; url: string }> } });
      if (!next) break;
      page = next as unknown as Bundle;
    }
    const counts = await importFor(e, pulled, new Map([[theirPatient, req.patient]]));
    return counts.get(req.patient) ?? 0;
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

  /** Bulk Data kick-off, polling and download against the payer (fetch: fhir-kit-client has no async bulk). */
  async function bulkExport(e: PayerEndpoint, bearer: string, groupId: string, since?: number): Promise<Resource[]> {
    const headers = { authorization: `Bearer ${bearer}`, accept: 'application/fhir+json' };
    const body: Parameters = {
      resourceType: 'Parameters',
      parameter: [{ name: 'exportType', valueCanonical: 'hl7.fhir.us.davinci-pdex#payertopayer' }, ...(since ? [{ name: '_since', valueInstant: new Date(since).toISOString() }] : [])],
    };
    const kick = await doFetch(`${e.fhirBase}/Group/${groupId}/$davinci-data-export`, { method: 'POST', headers: { ...headers, 'content-type': 'application/fhir+json', prefer: 'respond-async' }, body: JSON.stringify(body) });
    const status = kick.headers.get('content-location');
    if (kick.status !== 202 || !status) throw new Error(`export kick-off answered ${kick.status}: ${outcomeText(await kick.text())}`);
    await kick.arrayBuffer().catch(() => undefined);
    const deadline = deps.clock().getTime() + EXPORT_WAIT_MS;
    let manifest: { output?: Array<{ type: string; url: string }> } | undefined;
    while (!manifest) {
      const res = await doFetch(status, { headers });
      if (res.status === 200) manifest = (await res.json()) as typeof manifest;
      else if (res.status === 202) {
        await res.arrayBuffer();
        if (deps.clock().getTime() > deadline) throw new Error('the export did not finish in time; it will be asked again');
        const wait = Math.min(10, Math.max(0.1, Number(res.headers.get('retry-after') ?? 1))) * 1000;
        await new Promise((r) => setTimeout(r, wait));
      } else throw new Error(`export status answered ${res.status}: ${outcomeText(await res.text())}`);
    }
    const out: Resource[] = [];
    for (const o of manifest.output ?? []) {
      const res = await doFetch(o.url, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/fhir+ndjson' } });
      if (!res.ok) throw new Error(`download of ${o.type} answered ${res.status}`);
      for (const line of (await res.text()).split('\n')) if (line.trim()) out.push(JSON.parse(line) as Resource);
    }
    await doFetch(status, { method: 'DELETE', headers }).then((r) => r.arrayBuffer()).catch(() => undefined);
    return out;
  }

  /**
   * Many members at one payer (PDex bulk flow): `$bulk-member-match` with every member's MemberBundle,
   * then `$davinci-data-export` (payertopayer) of the matched Group, the NDJSON downloaded and imported
   * per member. Per request: done (with its count), no-match (NonMatchedMembers) or refused
   * (ConsentConstrainedMembers). A failure of the exchange as a whole throws (every request retried).
   */
  async function attemptBatch(payer: string, reqs: PayerRequest[], step: (req: PayerRequest, name: string, ok: boolean, detail: string) => void): Promise<Map<string, BatchResult>> {
    const e = endpointOf(payer);
    if (!e) throw new Final('refused', `No endpoint configured for ${payer} (PAYER_ENDPOINTS)`);
    const results = new Map<string, BatchResult>();
    const eligible: Array<{ req: PayerRequest; bundle: Parameters }> = [];
    for (const req of reqs) {
      const other = (await deps.choices.otherPayers(req.patient)).find((o) => o.payer === payer);
      if (!other) results.set(req._id, { status: 'refused', detail: 'The member no longer has this payer on file' });
      else if (!other.optIn) results.set(req._id, { status: 'refused', detail: 'The member has no opt-in in force for this payer' });
      else eligible.push({ req, bundle: await matchRequest(req.patient, other, other.optIn) });
    }
    if (eligible.length === 0) return results;
    const bearer = await token(e);
    for (const { req } of eligible) step(req, 'token', true, `token from ${e.tokenUrl}`);
    const client = new Client({ baseUrl: e.fhirBase, bearerToken: bearer });
    const input: Parameters = { resourceType: 'Parameters', parameter: eligible.map(({ bundle }) => ({ name: 'MemberBundle', part: bundle.parameter })) };
    const answer = (await client.operation({ name: 'bulk-member-match', resourceType: 'Group', method: 'POST', input: input as unknown as FhirResource })) as unknown as Parameters;
    const groupOf = (name: string) => answer.parameter?.find((p) => p.name === name)?.resource as Group | undefined;
    const position = (m: { entity: { reference?: string; extension?: Array<{ url: string; valueReference?: { reference?: string } }> } }): number =>
      Number(/^#m(\d+)$/.exec(m.entity.extension?.find((x) => x.url.endsWith('/base-ext-match-parameters'))?.valueReference?.reference ?? m.entity.reference ?? '')?.[1] ?? -1);
    const matched = new Map<string, PayerRequest>(); // their Patient id → our request
    const matchedGroup = groupOf('MatchedMembers');
    for (const m of matchedGroup?.member ?? []) {
      const entry = eligible[position(m)];
      const theirPatient = m.entity.reference?.split('/').pop();
      if (!entry || !theirPatient) continue;
      matched.set(theirPatient, entry.req);
      step(entry.req, 'match', true, `matched as ${e.fhirBase}/Patient/${theirPatient} (bulk)`);
    }
    for (const [name, status] of [['NonMatchedMembers', 'no-match'], ['ConsentConstrainedMembers', 'refused']] as const) {
      for (const m of groupOf(name)?.member ?? []) {
        const entry = eligible[position(m)];
        if (entry) results.set(entry.req._id, { status, detail: status === 'no-match' ? 'not matched by the payer (bulk)' : 'the payer cannot comply with the Consent (bulk)' });
      }
    }
    for (const { req } of eligible) if (!results.has(req._id) && ![...matched.values()].includes(req)) results.set(req._id, { status: 'no-match', detail: 'not in the payer\'s answer' });
    if (matched.size === 0 || !matchedGroup?.id) return results;

    const started = deps.clock().getTime();
    const concurrent = [...matched.values()].filter((r) => r.kind === 'concurrent' && r.lastCompleteAt !== undefined);
    const since = concurrent.length === matched.size ? Math.min(...concurrent.map((r) => r.lastCompleteAt as number)) : undefined;
    const pulled = await bulkExport(e, bearer, matchedGroupId(matchedGroup), since);
    for (const req of matched.values()) step(req, 'export', true, `${pulled.length} resources exported by the payer for ${matched.size} members`);
    const imported = await importFor(e, pulled, new Map([...matched].map(([theirs, req]) => [theirs, req.patient])));
    for (const [theirs, req] of matched) {
      const n = imported.get(req.patient) ?? 0;
      step(req, 'import', true, `${n} resources imported`);
      results.set(req._id, { status: 'done', detail: `${n} resources imported`, theirPatient: theirs, imported: n, startedAt: started });
    }
    return results;
  }

  return { requests, attempt, attemptBatch, endpointOf, receivedId };
}

export type Outbound = ReturnType<typeof outbound>;
export { Final as FinalRequestError };
