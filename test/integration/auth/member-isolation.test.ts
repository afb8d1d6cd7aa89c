/**
 * A member's app sees that member's compartment and nothing else, in every path of the FHIR API
 * (issue 3, "for every resource type a member token trying to reach another member's data through
 * each path … zero leaks, asserted").
 *
 * Ownership is computed here, independently of the server: a Patient belongs to itself; any other
 * resource to the patients it references (the synthetic data references a patient only through
 * patient-compartment elements, which the first test checks against the search API). Every resource
 * in every response to member A's token is then checked: a shared reference type (organizations,
 * practitioners, …), or one of A's. The same sweep also asserts A's own data *is* returned, so an
 * "everything denied" server fails it too.
 *
 * A few "bridge" resources are added so that _include/_revinclude have something to leak: A's Patient
 * links to B's, A's Observation has B's Observation as a member, B's Observation has A as its focus
 * (focus is not a patient-compartment element, so it stays B's).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bundle, Group } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { registerApp, smartLogin } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

/** Types every member may read (SMART scopes still apply): the issue's shared reference data. */
const SHARED = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'InsurancePlan', 'Endpoint', 'Medication', 'Questionnaire', 'ValueSet', 'CodeSystem']);
/** Types a member token must never receive, even its own (Group lists members; AuditEvent is staff only). */
const NEVER = new Set(['Group', 'AuditEvent', 'Person']);
const PATIENT_PARAMS = ['patient', 'subject', 'beneficiary'];
const FHIR_JSON = 'application/fhir+json';

interface Resource {
  resourceType: string;
  id: string;
  meta?: { versionId?: string };
  [k: string]: unknown;
}

interface Reply {
  path: string;
  status: number;
  body: Record<string, unknown>;
}

let srv: TestServer;
let demo: DemoLogins;
/** `Patient/<id>` of member A (the one signed in) and of member B. */
let A: string;
let B: string;
let member: DemoLogins['members'][number];
let tokenA: string;
/** Every resource in the store before the sweep, by `Type/id`, with the patients it belongs to. */
const owners = new Map<string, Set<string>>();
const byType = new Map<string, Resource[]>();
/** Search parameters per type, from the CapabilityStatement. */
const searchParams = new Map<string, Set<string>>();
let bridge: { aObservation: string; bObservation: string; bFocusObservation: string };

function patientRefs(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) patientRefs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const m = k === 'reference' && typeof v === 'string' ? /(?:^|\/)(Patient\/[A-Za-z0-9\-.]+)$/.exec(v) : null;
      if (m) out.add(m[1]);
      else patientRefs(v, out);
    }
  }
  return out;
}

const keyOf = (r: Resource): string => `${r.resourceType}/${r.id}`;
const ownersOf = (r: Resource): Set<string> => (r.resourceType === 'Patient' ? new Set([keyOf(r)]) : patientRefs(r, new Set()));

/** Every resource (at any depth: entries, contained, batch results) of a response body. */
function resourcesIn(body: unknown, out: Resource[] = []): Resource[] {
  if (Array.isArray(body)) for (const v of body) resourcesIn(v, out);
  else if (body && typeof body === 'object') {
    const r = body as Resource;
    if (typeof r.resourceType === 'string' && r.resourceType !== 'Bundle' && r.resourceType !== 'OperationOutcome' && typeof r.id === 'string') out.push(r);
    for (const v of Object.values(body)) resourcesIn(v, out);
  }
  return out;
}

/** Resources in a reply that member A must not see: another member's, or a type never shown to members. */
function leaks(reply: Reply): string[] {
  return resourcesIn(reply.body)
    .filter((r) => {
      if (NEVER.has(r.resourceType)) return true;
      if (SHARED.has(r.resourceType)) return false;
      const own = owners.get(keyOf(r)) ?? ownersOf(r);
      return !own.has(A);
    })
    .map((r) => `${reply.path} → ${keyOf(r)}`);
}

async function call(method: string, path: string, token: string, body?: string, contentType = FHIR_JSON): Promise<Reply> {
  const res = await fetch(`${srv.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { path: `${method} ${path}`, status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const get = (path: string, token = tokenA): Promise<Reply> => call('GET', path, token);

/** All pages of a search or history (following `next`), as replies. */
async function pages(path: string, token = tokenA): Promise<Reply[]> {
  const out: Reply[] = [];
  let next: string | undefined = path;
  while (next !== undefined && out.length < 50) {
    const reply = await get(next, token);
    out.push(reply);
    const link = (reply.body.link as Array<{ relation: string; url: string }> | undefined)?.find((l) => l.relation === 'next');
    next = link ? link.url.slice(srv.baseUrl.length) : undefined;
  }
  return out;
}

const matches = (reply: Reply): Resource[] =>
  ((reply.body.entry as Array<{ resource: Resource; search?: { mode?: string } }> | undefined) ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);

/** A sweep's verdicts (reset before each test): every leak found, and replies with an unexpected status. */
const found: string[] = [];
const unexpected: string[] = [];
beforeEach(() => {
  found.length = 0;
  unexpected.length = 0;
});

function check(reply: Reply, allowed: number[]): Reply {
  found.push(...leaks(reply));
  if (!allowed.includes(reply.status)) unexpected.push(`${reply.path} → ${reply.status}`);
  return reply;
}

async function createAsAdmin(resource: Record<string, unknown>): Promise<string> {
  const res = await authed(srv).post(`/fhir/${String(resource.resourceType)}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(resource));
  if (res.status !== 201) throw new Error(`admin create refused: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.id);
}

const observation = (subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: subject },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

async function loadStore(): Promise<void> {
  owners.clear();
  byType.clear();
  for (const reply of await pages('/_history?_count=1000', srv.adminToken)) {
    for (const e of (reply.body.entry as Array<{ resource?: Resource }> | undefined) ?? []) {
      const r = e.resource;
      if (!r || owners.has(keyOf(r))) continue;
      owners.set(keyOf(r), ownersOf(r));
      byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
    }
  }
  // A Provenance belongs to the members whose resources it targets (src/fhir/rest/target-compartments.ts).
  for (const p of byType.get('Provenance') ?? []) {
    const own = owners.get(keyOf(p)) as Set<string>;
    for (const t of (p.target as Array<{ reference?: string }> | undefined) ?? []) for (const o of owners.get(t.reference ?? '') ?? []) own.add(o);
  }
}

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '3' });
  if (!srv.demo || srv.demo.members.length < 3) throw new Error('demo logins were not created');
  demo = srv.demo;

  const cs = (await authed(srv).get('/fhir/metadata')).body as { rest: Array<{ resource: Array<{ type: string; searchParam?: Array<{ name: string }> }> }> };
  for (const r of cs.rest[0].resource) searchParams.set(r.type, new Set((r.searchParam ?? []).map((p) => p.name)));

  await loadStore();
  // A: the demo member whose own data spans the most types, so "A's data is returned" covers the most.
  const typesOf = (patient: string): number => [...byType].filter(([, list]) => list.some((r) => ownersOf(r).has(patient))).length;
  const ranked = [...demo.members].sort((x, y) => typesOf(`Patient/${y.patient}`) - typesOf(`Patient/${x.patient}`));
  member = ranked[0];
  A = `Patient/${ranked[0].patient}`;
  B = `Patient/${ranked[1].patient}`;

  const bObs = byType.get('Observation')?.find((r) => ownersOf(r).has(B)) ?? { id: await createAsAdmin(observation(B)) };
  const patientA = (await authed(srv).get(`/fhir/${A}`)).body as Resource;
  const linked = await authed(srv)
    .put(`/fhir/${A}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify({ ...patientA, link: [{ other: { reference: B }, type: 'seealso' }] }));
  if (linked.status !== 200) throw new Error(`could not link A's Patient: ${linked.status}`);
  bridge = {
    bObservation: `Observation/${bObs.id}`,
    aObservation: `Observation/${await createAsAdmin(observation(A, { hasMember: [{ reference: `Observation/${bObs.id}` }], derivedFrom: [{ reference: `Observation/${bObs.id}` }] }))}`,
    bFocusObservation: `Observation/${await createAsAdmin(observation(B, { focus: [{ reference: A }] }))}`,
  };
  await loadStore();
  // B's Observation about A (focus) is still B's: focus is not in the Observation patient compartment.
  owners.set(bridge.bFocusObservation, new Set([B]));

  const login = await smartLogin(srv, {
    clientId: demo.patientApp.client_id,
    redirectUri: demo.patientApp.redirect_uri,
    scope: 'launch/patient openid fhirUser patient/*.rs',
    member: { memberId: member.memberId, birthDate: member.birthDate, password: demo.password },
  });
  const tokens = await login.tokenResponse();
  expect(tokens.patient).toBe(member.patient);
  tokenA = tokens.access_token;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

/** Resources A must not reach: other members' (of member types) and every resource of a NEVER type. */
function foreign(type: string): Resource[] {
  if (SHARED.has(type)) return [];
  return (byType.get(type) ?? []).filter((r) => NEVER.has(type) || !(owners.get(keyOf(r)) as Set<string>).has(A));
}

function ownKeys(type: string): string[] {
  if (NEVER.has(type)) return [];
  return (byType.get(type) ?? []).filter((r) => SHARED.has(type) || (owners.get(keyOf(r)) as Set<string>).has(A)).map(keyOf).sort();
}

describe('member A\'s token and the rest of the store', () => {
  it('when the store is enumerated, then every type with data is known, and the patients a resource references are its patient-compartment patients', async () => {
    const counted: string[] = [];
    for (const type of searchParams.keys()) {
      const reply = await get(`/${type}?_summary=count`, srv.adminToken);
      if (reply.status === 200 && Number(reply.body.total) > 0) counted.push(type);
    }
    expect(counted.sort()).toEqual([...byType.keys()].sort());
    // The ownership used below agrees with the server's compartment search for every member resource.
    for (const m of demo.members) {
      const patient = `Patient/${m.patient}`;
      // AuditEvents are left out: every request of this suite adds some. Provenance too: its `patient`
      // parameter names only a Patient target, while it belongs to the members of all its targets.
      for (const type of [...byType.keys()].filter((t) => !SHARED.has(t) && t !== 'Patient' && t !== 'AuditEvent' && t !== 'Provenance')) {
        const param = PATIENT_PARAMS.find((p) => searchParams.get(type)?.has(p));
        if (!param) continue;
        const expected = (byType.get(type) ?? []).filter((r) => (owners.get(keyOf(r)) as Set<string>).has(patient)).map(keyOf).sort();
        const got = (await pages(`/${type}?${param}=${patient}&_count=1000`, srv.adminToken)).flatMap(matches).map(keyOf).sort();
        expect(got, `${type}?${param}=${patient}`).toEqual(expected);
      }
    }
  });

  it('when A reads, vreads and reads the history of every other member\'s resource of every type, then each is 403 or 404 and discloses nothing', async () => {
    let tried = 0;
    for (const type of byType.keys()) {
      for (const r of foreign(type)) {
        check(await get(`/${type}/${r.id}`), [403, 404]);
        check(await get(`/${type}/${r.id}/_history/${r.meta?.versionId ?? '1'}`), [403, 404]);
        check(await get(`/${type}/${r.id}/_history`), [403, 404]);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(50);
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A searches every type by another member\'s _id, patient, subject or beneficiary (GET and POST _search), then no match and a total of 0', async () => {
    const empty = (reply: Reply): void => {
      check(reply, [200, 403]);
      if (reply.status === 200 && (matches(reply).length > 0 || Number(reply.body.total ?? 0) > 0)) unexpected.push(`${reply.path} → matched ${matches(reply).map(keyOf).join(', ')}`);
    };
    const others = demo.members.map((m) => `Patient/${m.patient}`).filter((p) => p !== A);
    for (const type of byType.keys()) {
      for (const r of foreign(type)) {
        empty(await get(`/${type}?_id=${r.id}`));
        empty(await call('POST', `/${type}/_search`, tokenA, `_id=${r.id}`, 'application/x-www-form-urlencoded'));
      }
      if (SHARED.has(type)) continue;
      const params = PATIENT_PARAMS.filter((p) => searchParams.get(type)?.has(p));
      for (const other of others) {
        const id = other.slice('Patient/'.length);
        for (const p of params) {
          for (const value of [other, id, `${srv.baseUrl}/${other}`]) {
            empty(await get(`/${type}?${p}=${encodeURIComponent(value)}`));
            empty(await get(`/${type}?${p}=${encodeURIComponent(value)}&_summary=count`));
          }
          empty(await call('POST', `/${type}/_search`, tokenA, `${p}=${encodeURIComponent(other)}`, 'application/x-www-form-urlencoded'));
        }
      }
    }
    empty(await get(`/Observation?focus=${A}`));
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A searches every type without parameters, then exactly A\'s own resources (and all shared ones) come back, and types never shown to members are 403', async () => {
    let own = 0;
    for (const type of byType.keys()) {
      const replies = await pages(`/${type}?_count=1000`);
      for (const reply of replies) check(reply, NEVER.has(type) ? [403] : [200]);
      if (NEVER.has(type)) continue;
      const got = replies.flatMap(matches).map(keyOf).sort();
      expect(got, type).toEqual(ownKeys(type));
      if (!SHARED.has(type)) own += got.length;
    }
    expect(own).toBeGreaterThan(10);
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A searches with _include and _revinclude (every reference, iterated), then nothing outside A\'s compartment is included', async () => {
    const types = [...byType.keys()].filter((t) => !NEVER.has(t));
    // Sources include the types never shown to members (Group lists A; AuditEvents name A).
    const revAll = [...byType.keys()].map((t) => `_revinclude=${t}:*`).join('&');
    for (const type of types) {
      check(await get(`/${type}?_count=1000&_include=*&_include:iterate=*`), [200]);
      check(await get(`/${type}?_count=1000&${revAll}`), [200]);
      check(await get(`/${type}?_count=1000&_include=*&${revAll}&_revinclude:iterate=Observation:*`), [200]);
    }
    const linked = check(await get(`/Patient?_id=${A.slice(8)}&_include=Patient:link`), [200]);
    expect(matches(linked).map(keyOf)).toEqual([A]);
    const members = check(await get(`/Observation?_id=${bridge.aObservation.slice(12)}&_include=Observation:has-member&_include=Observation:derived-from`), [200]);
    expect(matches(members).map(keyOf)).toEqual([bridge.aObservation]);
    check(await get(`/Patient?_id=${A.slice(8)}&_revinclude=Observation:focus&_revinclude=Observation:subject`), [200]);
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A calls $everything (by id, at type level, with _type, paged by 7), then exactly A\'s compartment and shared resources; B\'s $everything is 404', async () => {
    for (const path of [`/${A}/$everything?_count=7`, '/Patient/$everything?_count=7']) {
      const replies = await pages(path);
      for (const reply of replies) check(reply, [200]);
      const got = replies.flatMap((r) => matches(r)).map(keyOf);
      expect(new Set(got).size).toBe(got.length); // no page repeats a match
      const own = [...byType.keys()].filter((t) => !SHARED.has(t)).flatMap((t) => ownKeys(t));
      expect(got.sort()).toEqual(own.sort());
    }
    const onlyCoverage = await pages(`/${A}/$everything?_type=Coverage`);
    expect(onlyCoverage.flatMap((r) => matches(r)).map((r) => r.resourceType)).toEqual(ownKeys('Coverage').map(() => 'Coverage'));
    check(await get(`/${B}/$everything`), [404]);
    check(await get(`/${B}/$everything?_type=Observation`), [404]);
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A\'s Patient links to B\'s, then B\'s token still reaches neither A\'s Patient nor any of A\'s data', async () => {
    const memberB = demo.members.find((m) => `Patient/${m.patient}` === B) as DemoLogins['members'][number];
    const login = await smartLogin(srv, {
      clientId: demo.patientApp.client_id,
      redirectUri: demo.patientApp.redirect_uri,
      scope: 'launch/patient patient/*.rs',
      member: { memberId: memberB.memberId, birthDate: memberB.birthDate, password: demo.password },
    });
    const tokenB = (await login.tokenResponse()).access_token;
    expect((await get(`/${B}`, tokenB)).status).toBe(200);
    expect((await get(`/${A}`, tokenB)).status).toBe(404);
    const search = await get(`/Patient?link=${B}`, tokenB);
    expect(search.status).toBe(200);
    expect(matches(search).map(keyOf)).toEqual([]);
    const everything = await pages('/_history?_count=1000', tokenB);
    const seen = everything.flatMap((r) => resourcesIn(r.body)).filter((r) => !SHARED.has(r.resourceType));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((r) => !(owners.get(keyOf(r)) ?? ownersOf(r)).has(B)).map(keyOf)).toEqual([]);
    expect(seen.map(keyOf)).not.toContain(A);
  });

  it('when A reads the history of every type and of the whole system, then only A\'s versions and shared ones, A\'s included', async () => {
    for (const type of byType.keys()) {
      const replies = await pages(`/${type}/_history?_count=1000`);
      for (const reply of replies) check(reply, NEVER.has(type) ? [403] : [200]);
      if (NEVER.has(type) || SHARED.has(type)) continue;
      const got = new Set(replies.flatMap((r) => resourcesIn(r.body)).map(keyOf));
      expect([...got].sort(), type).toEqual(ownKeys(type));
    }
    const system = await pages('/_history?_count=1000');
    for (const reply of system) check(reply, [200]);
    const seen = new Set(system.flatMap((r) => resourcesIn(r.body)).map(keyOf));
    expect(seen.has(A)).toBe(true);
    for (const type of byType.keys()) if (!SHARED.has(type)) for (const k of ownKeys(type)) expect(seen.has(k), k).toBe(true);
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('when A sends batch and transaction Bundles of GETs for other members\' data, then no entry discloses it', async () => {
    const other = B;
    for (const type of byType.keys()) {
      const targets = foreign(type).slice(0, 20);
      const urls = [
        ...targets.flatMap((r) => [`${type}/${r.id}`, `${type}/${r.id}/_history`, `${type}?_id=${r.id}`]),
        ...PATIENT_PARAMS.filter((p) => searchParams.get(type)?.has(p)).map((p) => `${type}?${p}=${other}`),
        `${type}?_count=1000`,
      ];
      for (const bundleType of ['batch', 'transaction']) {
        const bundle = { resourceType: 'Bundle', type: bundleType, entry: urls.map((url) => ({ request: { method: 'GET', url } })) };
        // A batch answers 200 with a status per entry; a transaction fails whole when an entry fails.
        const reply = check(await call('POST', '', tokenA, JSON.stringify(bundle)), bundleType === 'batch' ? [200] : [200, 400, 403, 404]);
        if (bundleType === 'batch') {
          const statuses = ((reply.body.entry as Array<{ response?: { status?: string } }> | undefined) ?? []).map((e) => e.response?.status ?? '');
          expect(statuses).toHaveLength(urls.length);
          targets.forEach((_r, i) => expect(statuses[i * 3], urls[i * 3]).toMatch(/^40[34]/));
          const own = resourcesIn(reply.body).filter((r) => r.resourceType === type).map(keyOf);
          for (const k of ownKeys(type)) expect(own, `${type} batch`).toContain(k);
        }
      }
    }
    expect(found).toEqual([]);
    expect(unexpected).toEqual([]);
  });
});

describe('member writes', () => {
  let writer: string;
  let created: string;
  const bObs = (): string => bridge.bObservation;

  beforeAll(async () => {
    const app = await registerApp(srv, { scopes: ['launch/patient', 'patient/*.cruds'], redirectUri: 'http://localhost:9091/cb', name: 'Writing app' });
    const login = await smartLogin(srv, {
      clientId: app.clientId,
      redirectUri: 'http://localhost:9091/cb',
      scope: 'launch/patient patient/Observation.cruds',
      member: { memberId: member.memberId, birthDate: member.birthDate, password: demo.password },
    });
    writer = (await login.tokenResponse()).access_token;
    const own = await call('POST', '/Observation', writer, JSON.stringify(observation(A)));
    expect(own.status).toBe(201);
    created = `Observation/${String(own.body.id)}`;
  });

  const adminView = async (ref: string) => (await authed(srv).get(`/fhir/${ref}`)).body as Resource & { subject?: { reference?: string } };
  const countOf = async (query: string) => Number((await authed(srv).get(`/fhir/Observation?${query}&_summary=count`)).body.total);

  it('when A (read-only token) creates an Observation for B, then 403 and nothing is stored', async () => {
    const before = await countOf(`subject=${B}`);
    const res = await call('POST', '/Observation', tokenA, JSON.stringify(observation(B)));
    expect(res.status).toBe(403);
    expect(await countOf(`subject=${B}`)).toBe(before);
  });

  it('when A (write token) creates an Observation for B, then 403 and nothing is stored', async () => {
    const before = await countOf(`subject=${B}`);
    const res = await call('POST', '/Observation', writer, JSON.stringify(observation(B)));
    expect(res.status).toBe(403);
    expect(leaks(res)).toEqual([]);
    expect(await countOf(`subject=${B}`)).toBe(before);
  });

  it('when A updates, patches or deletes B\'s Observation, then 403 or 404 and it is unchanged', async () => {
    const before = await adminView(bObs());
    const id = bObs().slice('Observation/'.length);
    const attempts = [
      await call('PUT', `/${bObs()}`, writer, JSON.stringify({ ...before, status: 'entered-in-error' })),
      await call('PUT', `/${bObs()}`, writer, JSON.stringify({ ...observation(A), id })),
      await call('PATCH', `/${bObs()}`, writer, JSON.stringify([{ op: 'replace', path: '/status', value: 'cancelled' }]), 'application/json-patch+json'),
      await call('DELETE', `/${bObs()}`, writer),
    ];
    for (const res of attempts) {
      expect([403, 404], res.path).toContain(res.status);
      expect(leaks(res)).toEqual([]);
    }
    expect(await adminView(bObs())).toEqual(before);
  });

  it('when A moves its own Observation to B, then 403 and it stays A\'s', async () => {
    const mine = await adminView(created);
    const res = await call('PUT', `/${created}`, writer, JSON.stringify({ ...mine, subject: { reference: B } }));
    expect(res.status).toBe(403);
    expect(await adminView(created)).toEqual(mine);
  });

  it('when A sends a transaction that writes for B, then it fails and nothing is stored', async () => {
    const before = await countOf(`subject=${B}`);
    const totalBefore = await countOf('');
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:8f0e8a3e-0000-4000-8000-000000000001', resource: observation(A), request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:8f0e8a3e-0000-4000-8000-000000000002', resource: observation(B), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const res = await call('POST', '', writer, JSON.stringify(bundle));
    expect(res.status).toBe(403);
    expect(await countOf(`subject=${B}`)).toBe(before);
    expect(await countOf('')).toBe(totalBefore);
  });
});

describe('the audit trail of A\'s accesses', () => {
  interface Audit extends Resource {
    outcome?: string;
    agent?: Array<{ who?: { reference?: string; identifier?: { value?: string } } }>;
    entity?: Array<{ what?: { reference?: string }; description?: string }>;
  }
  const eventsFor = async (patient: string): Promise<Audit[]> => (await pages(`/AuditEvent?patient=${patient}&_count=1000`, srv.adminToken)).flatMap(matches) as Audit[];
  const byClient = (events: Audit[], clientId: string) => events.filter((e) => e.agent?.some((a) => a.who?.identifier?.value === clientId));

  it('when A has read its data, then staff find AuditEvents for A naming the demo app, A and outcome 0', async () => {
    expect((await get(`/${A}`)).status).toBe(200);
    const events = byClient(await eventsFor(A), demo.patientApp.client_id);
    const successes = events.filter((e) => e.outcome === '0');
    expect(successes.length).toBeGreaterThan(0);
    expect(successes.some((e) => e.entity?.some((x) => x.description === `GET ${A}`))).toBe(true);
    expect(successes.every((e) => e.agent?.some((a) => a.who?.reference === A))).toBe(true);
  });

  it('when A was refused another member\'s resource, then an AuditEvent with outcome 4 records it', async () => {
    const refused = await get(`/${bridge.bObservation}`);
    expect([403, 404]).toContain(refused.status);
    const events = byClient(await eventsFor(A), demo.patientApp.client_id);
    const recorded = events.filter((e) => e.outcome === '4' && e.entity?.some((x) => x.description === `GET ${bridge.bObservation}`));
    expect(recorded.length).toBeGreaterThan(0);
  });

  it('when A asks for AuditEvents or Groups (even its own), then 403', async () => {
    const anEvent = (await eventsFor(A))[0];
    // Attribution Groups keep their members outside the resource; staff read them whole.
    const groups = ((await authed(srv).get('/fhir/Group?_count=500')).body as Bundle).entry?.map((e) => e.resource as Group) ?? [];
    const ownGroup = groups.find((g) => (g.member ?? []).some((m) => m.entity.reference === A));
    expect(anEvent).toBeDefined();
    expect(ownGroup).toBeDefined();
    for (const path of ['/AuditEvent', `/AuditEvent?patient=${A}`, `/AuditEvent/${anEvent.id}`, '/Group', `/Group/${ownGroup?.id}`, `/Group?member=${A}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(403);
      expect(leaks(res)).toEqual([]);
    }
  });
});
