/**
 * A provider's Group export survives a real restart of the server (Bulk Data 2.0 export.html: the
 * status URL stays valid until the files are ready; STYLE habit 10: long work is durable and resumed
 * at startup).
 *
 * The real path, not a staged job document: the first server is a separate process (src/main.ts)
 * that is killed with SIGKILL once the export's progress shows a batch of members written and more to
 * come, so no shutdown code runs, exactly as when the host dies. That is deterministic enough because
 * the kill is immediate and the job has two more batches of members to write (hundreds of ms) when
 * the progress is read; the test then checks the job really was left mid-run (`running`, a lease,
 * no output, only `.part` files on disk) before it starts the second server, and fails loudly if it
 * was not. The second server runs in this process on the same data folder with BULK_LEASE_SECONDS=1:
 * it claims the job once the dead instance's lease ran out, starts it over from nothing, and the
 * provider polls the same job (the port changed, so the status URL is rebuilt from the job id) with a
 * new token of the same client (the client registry persisted).
 *
 * The exported Patients are compared with the eligible members computed from staff reads, not from
 * the export code: the list's active members, enrolled today (an active Coverage), not opted out.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Bundle, Consent, Coverage, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { childServerPool, type ChildServer } from '../../helpers/child-server.js';
import { openEmbeddedDocuments } from '../../../src/store/embedded/embedded-documents.js';
import { jobCollection, type ExportJob } from '../../../src/fhir/bulk/export-jobs.js';

/** Enough members that one list needs three batches of 200 (the runner's batch size). */
const SEED_MEMBERS = '500';
const PDEX_PROVIDER_CONSENT = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-consent';
const today = (): string => new Date().toISOString().slice(0, 10);

interface Server {
  url: string;
  adminToken: string;
}
interface ListInfo {
  _id: string;
  organization: string;
  kind: string;
  members: number;
}
interface ListEntry {
  patient: string;
  start: string;
  end?: string;
  removed?: unknown;
}
interface Manifest {
  transactionTime: string;
  output: Array<{ type: string; url: string; count: number }>;
}
interface Provider {
  clientId: string;
  key: CryptoKey;
  kid: string;
}

const pool = childServerPool();
let dir: string;
let first: ChildServer | undefined;
let second: TestServer | undefined;
let list: ListInfo;
let provider: Provider;
let optedOutByStaff: string;
let jobId: string;
/** What the documents held right after the crash. */
let crashed: ExportJob;
let partsAfterCrash: string[];

/** A provider backend's token (SMART Backend Services client_credentials with a signed assertion). */
async function providerToken(srv: Server): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: provider.kid })
    .setIssuer(provider.clientId)
    .setSubject(provider.clientId)
    .setAudience(`${srv.url}/auth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + 240)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(provider.key);
  const res = await fetch(`${srv.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`provider token refused: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Every resource of a staff search, following next links. */
async function searchAll<T extends Resource>(srv: Server, query: string): Promise<T[]> {
  const out: T[] = [];
  let path: string | undefined = `/fhir/${query}`;
  while (path) {
    const res = await authed(srv).get(path);
    expect(res.status, path).toBe(200);
    const bundle = res.body as Bundle<T>;
    out.push(...(bundle.entry ?? []).map((e) => e.resource as T));
    const next = bundle.link?.find((l) => l.relation === 'next')?.url;
    path = next ? next.slice(next.indexOf('/fhir/')) : undefined;
  }
  return out;
}

/** The list's entries in force today (staff view). */
async function activeEntries(srv: Server): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await authed(srv).get(`/admin/attribution/lists/${list._id}/members?limit=5000${after ? `&after=${after}` : ''}`);
    expect(res.status).toBe(200);
    const page = res.body as ListEntry[];
    if (page.length === 0) return out;
    for (const e of page) if (e.removed === undefined && e.start <= today() && (e.end === undefined || e.end >= today())) out.push(e.patient);
    after = page[page.length - 1].patient;
  }
}

/** Members with an active Coverage whose period covers today. */
async function enrolledToday(srv: Server): Promise<Set<string>> {
  const out = new Set<string>();
  for (const c of await searchAll<Coverage>(srv, 'Coverage?_count=1000')) {
    const start = c.period?.start?.slice(0, 10);
    const end = c.period?.end?.slice(0, 10);
    if (c.status !== 'active' || (start !== undefined && start > today()) || (end !== undefined && end < today())) continue;
    const id = c.beneficiary?.reference?.replace(/^Patient\//, '');
    if (id) out.add(id);
  }
  return out;
}

/** Members whose latest Provider Access choice (PDex provider Consent) is a deny in force today. */
async function optedOut(srv: Server): Promise<Set<string>> {
  const latest = new Map<string, Consent>();
  for (const c of await searchAll<Consent>(srv, 'Consent?_count=1000')) {
    if (c.status !== 'active' || !(c.meta?.profile ?? []).some((p) => p.split('|')[0] === PDEX_PROVIDER_CONSENT)) continue;
    const id = c.patient?.reference?.replace(/^Patient\//, '');
    if (!id) continue;
    const at = (x: Consent): string => x.dateTime ?? x.provision?.period?.start ?? '';
    const seen = latest.get(id);
    if (!seen || at(seen) <= at(c)) latest.set(id, c);
  }
  const out = new Set<string>();
  for (const [id, c] of latest) {
    const start = c.provision?.period?.start?.slice(0, 10);
    const end = c.provision?.period?.end?.slice(0, 10);
    if (c.provision?.type === 'deny' && (start === undefined || start <= today()) && (end === undefined || end >= today())) out.add(id);
  }
  return out;
}

async function kickoff(srv: Server, token: string): Promise<string> {
  const res = await authed(srv, token).get(`/fhir/Group/${list._id}/$export`).set('Prefer', 'respond-async').set('Accept', 'application/fhir+json');
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return String(res.headers['content-location']).split('/').pop() as string;
}

async function poll(srv: Server, token: string, id: string): Promise<Manifest> {
  for (let i = 0; i < 600; i++) {
    const res = await authed(srv, token).get(`/fhir/bulk-status/${id}`);
    if (res.status === 200) return res.body as Manifest;
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('export did not finish');
}

/** Each output file's NDJSON lines as downloaded by the provider. */
async function download(srv: Server, token: string, manifest: Manifest): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const o of manifest.output) {
    const res = await authed(srv, token).get(o.url.slice(o.url.indexOf('/fhir/'))).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    out.set(o.type, (res.body as string).split('\n').filter((l) => l.length > 0));
  }
  return out;
}

const jobFiles = (id: string): string[] => readdirSync(join(dir, 'bulk', id)).sort();
const patientIds = (files: Map<string, string[]>): string[] => (files.get('Patient') ?? []).map((l) => (JSON.parse(l) as { id: string }).id).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-restart-'));
  // The lease is 1 s on both servers: the dead instance's claim runs out soon after the crash.
  const env = { BULK_LEASE_SECONDS: '1', BULK_RETRY_AFTER_SECONDS: '1' };
  first = await pool.start({ dataDir: dir, env: { ...env, SEED_MEMBERS }, readyTimeoutMs: 120_000 });
  const staff: Server = { url: first.url, adminToken: first.token };

  // The largest roster, grown by staff to every seeded member so its export takes three batches.
  const lists = (await authed(staff).get('/admin/attribution/lists')).body as ListInfo[];
  list = lists.filter((l) => l.kind === 'roster').sort((a, b) => b.members - a.members)[0];
  const onList = new Set(await activeEntries(staff));
  for (const p of await searchAll<Resource>(staff, 'Patient?_count=1000&_elements=id')) {
    if (onList.has(p.id as string)) continue;
    const res = await authed(staff).post(`/admin/attribution/lists/${list._id}/members`).send({ patient: p.id, reason: 'test: a large list' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }

  // One enrolled member of the list, not opted out yet, opts out through staff before the export.
  const enrolled = await enrolledToday(staff);
  const out = await optedOut(staff);
  optedOutByStaff = (await activeEntries(staff)).find((p) => enrolled.has(p) && !out.has(p)) as string;
  const choice = await authed(staff).put(`/admin/members/${optedOutByStaff}/provider-access`).send({ choice: 'out' });
  expect(choice.body).toEqual({ patient: optedOutByStaff, choice: 'out' });

  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'clinic-es384', alg: 'ES384', use: 'sig' };
  const reg = await authed(staff)
    .post('/admin/clients')
    .send({ name: 'Clinic backend', role: 'provider', authMethod: 'private_key_jwt', jwks: { keys: [jwk] }, scopes: ['system/*.rs'], organization: list.organization });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  provider = { clientId: String(reg.body.client_id), key: privateKey, kid: jwk.kid };

  // Kick off, and kill the server as soon as a first batch is written and more remain.
  const token = await providerToken(staff);
  jobId = await kickoff(staff, token);
  for (;;) {
    const res = await authed(staff, token).get(`/fhir/bulk-status/${jobId}`);
    if (res.status !== 202) throw new Error(`the export ended (${res.status}) before the server could be killed mid-run: the list needs more members`);
    const done = /^(\d+) members exported$/.exec(String(res.headers['x-progress']))?.[1];
    if (done !== undefined && Number(done) > 0) break;
  }
  await first.kill();

  // Nothing runs now: read what the crash left behind with the real document store.
  const docs = await openEmbeddedDocuments({ dataDir: dir });
  crashed = (await jobCollection(docs).get(jobId)) as ExportJob;
  await docs.close();
  partsAfterCrash = jobFiles(jobId);

  second = await startTestServer(env, dir);
}, 300_000);

afterAll(async () => {
  await second?.stop();
  await pool.killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a provider export interrupted by a crash of the server', () => {
  it('when the server was killed mid-export, then the job was left running under the dead instance\'s lease with only half-written .part files', () => {
    expect(crashed.status).toBe('running');
    expect(crashed.output).toEqual([]);
    expect(crashed.attempts).toBe(1);
    expect(crashed.lease?.owner).toBeTruthy();
    expect(crashed.progress).toMatch(/^[1-9]\d* members exported$/);
    expect(partsAfterCrash.length).toBeGreaterThan(0);
    expect(partsAfterCrash.filter((f) => !f.endsWith('.ndjson.part'))).toEqual([]);
  });

  it('when the server starts again on the same data folder, then the same job completes from the start under the new instance, with the manifest counts equal to the lines of each file and no .part file left', async () => {
    const srv = second as TestServer;
    const token = await providerToken(srv);
    const manifest = await poll(srv, token, jobId);
    const job = (await jobCollection(srv.docs).get(jobId)) as ExportJob;
    expect(job.status).toBe('completed');
    expect(job.attempts).toBe(2);
    expect(job.lease?.owner).not.toBe(crashed.lease?.owner);
    expect(manifest.transactionTime).toBe(crashed.transactionTime);
    expect(job.progress).toBe(`${(await activeEntries(srv)).length} members exported`);

    expect(manifest.output.length).toBeGreaterThan(0);
    const files = await download(srv, token, manifest);
    for (const o of manifest.output) {
      const onDisk = readFileSync(join(dir, 'bulk', jobId, `${o.type}.ndjson`), 'utf8').split('\n').filter((l) => l.length > 0);
      expect(files.get(o.type)?.length, o.type).toBe(o.count);
      expect(onDisk.length, o.type).toBe(o.count);
      for (const line of onDisk) expect((JSON.parse(line) as Resource).resourceType).toBe(o.type);
    }
    expect(jobFiles(jobId)).toEqual(manifest.output.map((o) => `${o.type}.ndjson`).sort());
    expect(jobFiles(jobId).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 120_000);

  it('when the resumed job completed, then its Patients are exactly the list\'s members enrolled today and not opted out, and its files equal a fresh export\'s', async () => {
    const srv = second as TestServer;
    const token = await providerToken(srv);
    const resumed = await download(srv, token, await poll(srv, token, jobId));

    const active = await activeEntries(srv);
    const enrolled = await enrolledToday(srv);
    const out = await optedOut(srv);
    const eligible = active.filter((p) => enrolled.has(p) && !out.has(p)).sort();
    // Eligibility mattered: some members of the list were left out, among them the one staff opted out.
    expect(out.has(optedOutByStaff)).toBe(true);
    expect(eligible.length).toBeLessThan(active.length);
    expect(active.length).toBeGreaterThan(400); // three batches of 200
    expect(eligible.length).toBeGreaterThan(0);
    expect(patientIds(resumed)).toEqual(eligible);
    expect(patientIds(resumed)).not.toContain(optedOutByStaff);

    // The same export started fresh on the restarted server writes the same lines.
    const fresh = await download(srv, token, await poll(srv, token, await kickoff(srv, token)));
    expect([...resumed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [type, lines] of fresh) expect(resumed.get(type), type).toEqual(lines);
  }, 120_000);
});
