/**
 * Bulk Data export end to end (Bulk Data Access 2.0): kick-off with Prefer: respond-async, polling with
 * X-Progress, the manifest, NDJSON downloads whose lines parse and whose counts match, _type,
 * _typeFilter, _since and POST `patient`, cancellation, another client's token, and a job left
 * running by a dead instance taken up again after its lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Group, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { demoMemberToken } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';
import { jobCollection, type ExportJob } from '../../../src/fhir/bulk/export-jobs.js';

let srv: TestServer;
let demo: DemoLogins;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12', BULK_RETRY_AFTER_SECONDS: '1' });
  demo = srv.demo as DemoLogins;
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

const path = (url: string): string => url.slice(srv.url.length);

async function kickoff(target: string, opts: { token?: string; body?: unknown } = {}): Promise<string> {
  const req = opts.body
    ? authed(srv, opts.token).post(`/fhir/${target}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(opts.body))
    : authed(srv, opts.token).get(`/fhir/${target}`);
  const res = await req.set('Prefer', 'respond-async').set('Accept', 'application/fhir+json');
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const location = res.headers['content-location'] as string;
  expect(location.startsWith(`${srv.baseUrl}/bulk-status/`)).toBe(true);
  return location;
}

async function poll(location: string, token?: string): Promise<Manifest> {
  for (let i = 0; i < 200; i++) {
    const res = await authed(srv, token).get(path(location));
    if (res.status === 200) return res.body as Manifest;
    expect(res.status).toBe(202);
    expect(res.headers['x-progress']).toBeDefined();
    expect(res.headers['retry-after']).toBe('1');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}

async function download(manifest: Manifest, token?: string): Promise<Map<string, Resource[]>> {
  const out = new Map<string, Resource[]>();
  for (const o of manifest.output) {
    const res = await authed(srv, token).get(path(o.url)).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/fhir+ndjson');
    const lines = (res.body as string).split('\n').filter((l) => l.length > 0);
    const resources = lines.map((l) => JSON.parse(l) as Resource);
    expect(resources.length).toBe(o.count);
    for (const r of resources) expect(r.resourceType).toBe(o.type);
    out.set(o.type, [...(out.get(o.type) ?? []), ...resources]);
  }
  return out;
}

async function attributionGroup(): Promise<Group> {
  const bundle = (await authed(srv).get('/fhir/Group?_count=50')).body as Bundle;
  const groups = (bundle.entry ?? []).map((e) => e.resource as Group).filter((g) => (g.member ?? []).length >= 2);
  expect(groups.length).toBeGreaterThan(0);
  return groups[0];
}

const membersOf = (g: Group): string[] => (g.member ?? []).filter((m) => !m.inactive).map((m) => (m.entity.reference ?? '').replace('Patient/', ''));

describe('Group/[id]/$export', () => {
  it('when staff export an attribution group, then the manifest lists NDJSON files whose resources belong to the group\'s members and whose counts match', async () => {
    const group = await attributionGroup();
    const location = await kickoff(`Group/${group.id}/$export?_type=Patient,Coverage,ExplanationOfBenefit`);
    const manifest = await poll(location);
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toBe(`${srv.baseUrl}/Group/${group.id}/$export?_type=Patient%2CCoverage%2CExplanationOfBenefit`);
    expect(Date.parse(manifest.transactionTime)).toBeGreaterThan(0);
    expect(manifest.output.map((o) => o.type).sort()).toEqual(['Coverage', 'ExplanationOfBenefit', 'Patient']);
    const files = await download(manifest);
    const members = new Set(membersOf(group));
    const patients = files.get('Patient') ?? [];
    expect(new Set(patients.map((p) => p.id))).toEqual(members);
    // Every EOB is of a member, and every member's EOBs are there (compared with a search).
    const eobs = files.get('ExplanationOfBenefit') ?? [];
    for (const e of eobs) expect(members.has(((e as { patient?: { reference?: string } }).patient?.reference ?? '').replace('Patient/', ''))).toBe(true);
    let expected = 0;
    for (const m of members) expected += ((await authed(srv).get(`/fhir/ExplanationOfBenefit?patient=${m}&_summary=count`)).body as Bundle).total ?? 0;
    expect(eobs.length).toBe(expected);
  });

  it('when _typeFilter and _since narrow the export, then only matching resources are written', async () => {
    const group = await attributionGroup();
    const manifest = await poll(await kickoff(`Group/${group.id}/$export?_type=ExplanationOfBenefit&_typeFilter=${encodeURIComponent('ExplanationOfBenefit?type=pharmacy')}`));
    const eobs = (await download(manifest)).get('ExplanationOfBenefit') ?? [];
    for (const e of eobs) expect(JSON.stringify((e as { type?: unknown }).type)).toContain('pharmacy');
    const future = await poll(await kickoff(`Group/${group.id}/$export?_since=2099-01-01T00:00:00Z`));
    expect(future.output).toEqual([]);
  });

  it('when kick-off requests are malformed, then each is a 400 OperationOutcome; an unknown group is 404', async () => {
    const group = await attributionGroup();
    const bad = [
      [`Group/${group.id}/$export`, {}],
      [`Group/${group.id}/$export?_outputFormat=text/csv`, { Prefer: 'respond-async' }],
      [`Group/${group.id}/$export?_type=Nonsense`, { Prefer: 'respond-async' }],
      [`Group/${group.id}/$export?_typeFilter=Observation%3Fnope%3D1`, { Prefer: 'respond-async' }],
      [`Group/${group.id}/$export?_elements=id`, { Prefer: 'respond-async' }],
      [`Group/${group.id}/$export?patient=Patient/x`, { Prefer: 'respond-async' }],
    ] as const;
    for (const [target, headers] of bad) {
      const res = await authed(srv).get(`/fhir/${target}`).set(headers);
      expect(res.status, target).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect((await authed(srv).get('/fhir/Group/nope/$export').set('Prefer', 'respond-async')).status).toBe(404);
  });
});

describe('Patient/$export', () => {
  it('when staff POST a patient subset, then only those members\' data is exported', async () => {
    const chosen = demo.members.slice(0, 2).map((m) => m.patient);
    const body = { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient,Condition' }, ...chosen.map((p) => ({ name: 'patient', valueReference: { reference: `Patient/${p}` } }))] };
    const files = await download(await poll(await kickoff('Patient/$export', { body })));
    expect((files.get('Patient') ?? []).map((p) => p.id).sort()).toEqual([...chosen].sort());
    for (const c of files.get('Condition') ?? []) expect(chosen.map((p) => `Patient/${p}`)).toContain((c as { subject?: { reference?: string } }).subject?.reference);
  });
});

describe('status, files and cancellation belong to the client that started the export', () => {
  it('when another client polls, downloads or cancels, then it gets 404; the owner can cancel and then the job is gone', async () => {
    const group = await attributionGroup();
    const location = await kickoff(`Group/${group.id}/$export?_type=Patient`);
    const manifest = await poll(location);
    const other = await demoMemberToken(srv, demo, demo.members[0]);
    expect((await authed(srv, other).get(path(location))).status).toBe(404);
    expect((await authed(srv, other).get(path(manifest.output[0].url))).status).toBe(404);
    expect((await authed(srv, other).delete(path(location))).status).toBe(404);
    expect((await authed(srv).delete(path(location))).status).toBe(202);
    expect((await authed(srv).get(path(location))).status).toBe(404);
    expect((await authed(srv).get(path(manifest.output[0].url))).status).toBe(404);
    expect((await authed(srv).get('/fhir/bulk-status/..%2F..%2Fetc')).status).toBe(400);
  });
});

describe('a job whose runner died', () => {
  it('when a running job\'s lease has run out, then another runner takes it up from the start and completes it', async () => {
    const group = await attributionGroup();
    const jobs = jobCollection(srv.docs);
    const location = await kickoff(`Group/${group.id}/$export?_type=Patient`);
    const finished = await poll(location);
    const id = location.split('/').pop() as string;
    // Make it look like a job an instance was running when it died: running, stale lease, no output.
    const stale = (await jobs.get(id)) as ExportJob;
    await jobs.put({ ...stale, status: 'running', lease: { owner: 'dead-instance', until: Date.now() - 1000 }, output: [], progress: 'half done' });
    const resumed = await poll(location); // the runner's poll (or this kick) picks it up
    expect(resumed.output.map((o) => [o.type, o.count])).toEqual(finished.output.map((o) => [o.type, o.count]));
    expect((await jobs.get(id))?.attempts).toBe(2);
  }, 30_000);
});
