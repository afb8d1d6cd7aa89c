/**
 * The annual figures against a small hand-built data set whose answers are worked out here, by hand:
 *
 * Requests submitted in 2025 (drugs, appeals and other years must not count):
 *   standard   A approved 10 h · B approved with modifications 30 h · C denied 50 h, overturned on appeal ·
 *              D denied 100 h · E approved 400 h after a timeframe extension · F still pended · G withdrawn
 *   expedited  H approved 2 h · I denied 20 h · J approved 70 h
 *   left out   K drug (pharmacy) approved · L an appeal's own response · M submitted 2024 · N submitted 2026
 * So: standard determined 5, approved 3/5 = 60.0 %, denied 2/5 = 40.0 %, average (10+30+50+100+400)/5 =
 * 118 h, median 50 h; expedited determined 3, approved 2/3 = 66.7 %, denied 33.3 %, average 92/3 = 30.67 h,
 * median 20 h; approved after appeal 1/8 = 12.5 %; extended then approved 1/8 = 12.5 %.
 * Decision times by bucket (≤1 h, ≤24 h, ≤72 h, ≤7 d, ≤14 d, ≤21 d, more): standard [0,1,2,1,0,1,0],
 * expedited [0,2,1,0,0,0,0].
 *
 * Patient Access releases (AuditEvents tagged patient-access-release): P1 twice on 2025-03-01 and once on
 * 2025-03-02 (two days: repeat), P2 once on 2025-05-05, P3 only in 2024, P4 untagged. So 2 members, 1 repeat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { AuditEvent, ClaimResponse } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { FHIR_JSON } from '../../helpers/fhir-json.js';
import { paClaimResponseFrom, type PaItemState, type PaState } from '../../../src/domain/pa-claim-response.js';
import { PROGRAM_CODE_SYSTEM } from '../../../src/domain/systems.js';
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { buildRecord } from '../../../src/fhir/rest/stored-record.js';
import { policyDeps } from '../../../src/auth/access-policy.js';
import { metrics } from '../../../src/apis/metrics/metrics.js';

const H = 3_600_000;
const T0 = Date.parse('2025-03-10T12:00:00Z');
let srv: TestServer;

function request_(id: string, o: { priority?: 'standard' | 'expedited'; item: PaItemState['decision']; hours?: number; submitted?: number; extended?: boolean; appeal?: 'overturned' | 'upheld'; appealOf?: string; drug?: boolean; closed?: 'withdrawn' }): ClaimResponse {
  const submitted = o.submitted ?? T0;
  const state: PaState = {
    id,
    claimId: `claim-${id}`,
    trackingNumber: `T-${id}`,
    submitterIdentifiers: [],
    priority: o.priority ?? 'standard',
    submittedAt: new Date(submitted).toISOString(),
    dueAt: new Date(submitted + 7 * 24 * H).toISOString(),
    ...(o.hours !== undefined ? { decidedAt: new Date(submitted + o.hours * H).toISOString(), paNumber: `PA-${id}` } : {}),
    ...(o.closed ? { closed: o.closed, decidedAt: new Date(submitted + H).toISOString() } : {}),
    ...(o.extended ? { extension: { extendedAt: new Date(submitted + 24 * H).toISOString(), reason: 'records awaited' } } : {}),
    ...(o.appeal ? { appeal: { status: o.appeal, filedAt: new Date(submitted + 200 * H).toISOString(), decidedAt: new Date(submitted + 300 * H).toISOString() } } : {}),
    ...(o.appealOf ? { appealOf: o.appealOf } : {}),
    patient: { reference: 'Patient/p1' },
    insurer: { reference: 'Organization/org-masshealth' },
    requestor: { reference: 'Organization/clinic' },
    claimType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: o.drug ? 'pharmacy' : 'professional' }] },
    items: [{ sequence: 1, decision: o.item, ...(o.item === 'denied' ? { denialReason: 'not-medically-necessary' as const } : {}) }],
  };
  return paClaimResponseFrom(state);
}

function release(id: string, patient: string, recorded: string, tagged = true): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id,
    ...(tagged ? { meta: { tag: [{ system: PROGRAM_CODE_SYSTEM.disclosure, code: 'patient-access-release' }] } } : {}),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    recorded,
    outcome: '0',
    agent: [{ who: { display: 'Member app' }, requestor: true }],
    source: { observer: { display: 'FHIR server' } },
    entity: [{ what: { reference: `Patient/${patient}` } }],
  };
}

/** The hand-built set (see the header). */
const resources = (): Array<ClaimResponse | AuditEvent> => [
  request_('a', { item: 'approved', hours: 10 }),
  request_('b', { item: 'partially-approved', hours: 30 }),
  request_('c', { item: 'denied', hours: 50, appeal: 'overturned' }),
  request_('d', { item: 'denied', hours: 100 }),
  request_('e', { item: 'approved', hours: 400, extended: true }),
  request_('f', { item: 'pended' }),
  request_('g', { item: 'cancelled', closed: 'withdrawn' }),
  request_('h', { priority: 'expedited', item: 'approved', hours: 2 }),
  request_('i', { priority: 'expedited', item: 'denied', hours: 20 }),
  request_('j', { priority: 'expedited', item: 'approved', hours: 70 }),
  request_('k', { item: 'approved', hours: 5, drug: true }),
  request_('l', { item: 'approved', hours: 5, appealOf: 'c' }),
  request_('m', { item: 'approved', hours: 5, submitted: Date.parse('2024-12-31T23:00:00Z') }),
  request_('n', { item: 'denied', hours: 5, submitted: Date.parse('2026-01-01T00:30:00Z') }),
  release('r1', 'p1', '2025-03-01T09:00:00Z'),
  release('r2', 'p1', '2025-03-01T15:00:00Z'),
  release('r3', 'p1', '2025-03-02T10:00:00Z'),
  release('r4', 'p2', '2025-05-05T10:00:00Z'),
  release('r5', 'p3', '2024-06-01T10:00:00Z'),
  release('r6', 'p4', '2025-06-01T10:00:00Z', false),
];

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '0' });
  for (const r of resources()) {
    const res = await authed(srv).put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(r));
    expect(res.status, `${r.resourceType}/${r.id}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  }
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('annual metrics from a hand-built data set', () => {
  it('when staff ask for 2025, then every prior-authorization figure is the one worked out by hand', async () => {
    const res = await authed(srv).get('/admin/metrics/2025');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const r = res.body.priorAuth;
    expect(r.standard).toMatchObject({ submitted: 7, determined: 5, approved: 2, partiallyApproved: 1, denied: 2, pended: 1, withdrawn: 1, approvedPercent: 60, deniedPercent: 40, averageHours: 118, medianHours: 50, distribution: [0, 1, 2, 1, 0, 1, 0] });
    expect(r.expedited).toMatchObject({ submitted: 3, determined: 3, approved: 2, denied: 1, approvedPercent: 66.7, deniedPercent: 33.3, averageHours: 30.67, medianHours: 20, distribution: [0, 2, 1, 0, 0, 0, 0] });
    expect(r).toMatchObject({ determined: 8, approvedAfterAppeal: 1, approvedAfterAppealPercent: 12.5, extendedThenApproved: 1, extendedThenApprovedPercent: 12.5, appealed: 1 });
    expect(Object.keys(r.definitions)).toEqual(expect.arrayContaining(['requests', 'determined', 'approvedPercent', 'timeToDetermination']));
  });

  it('when staff ask for 2025, then the Patient Access usage is 2 members, 1 of them more than once', async () => {
    const res = await authed(srv).get('/admin/metrics/2025');
    expect(res.body.patientAccessUsage).toEqual({ year: 2025, membersWithRelease: 2, membersWithRepeatRelease: 1, releaseDays: 3 });
  });

  it('when the median is over an even number of requests, then it is the mean of the two middle ones (2024: one request, 5 h)', async () => {
    const r = (await authed(srv).get('/admin/metrics/2024')).body.priorAuth;
    expect(r.standard).toMatchObject({ determined: 1, medianHours: 5, averageHours: 5 });
  });

  it('when the public JSON and CSV are downloaded without a login, then they carry the same figures', async () => {
    const json = await request(srv.url).get('/metrics/prior-auth/2025.json');
    expect(json.status).toBe(200);
    expect(json.body.standard.approvedPercent).toBe(60);
    const csv = await request(srv.url).get('/metrics/prior-auth/2025.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/prior-authorization-metrics-2025\.csv/);
    const rows = csv.text.split('\r\n').map((l) => l.split(','));
    expect(rows.find((r) => r[0] === 'approved')?.slice(1, 3)).toEqual(['60', '66.7']);
    expect(rows.find((r) => r[0] === 'median time to determination')?.slice(1, 3)).toEqual(['50', '20']);
    expect(rows.find((r) => r[0] === 'approved after appeal')?.[3]).toBe('12.5');
  });

  it('when a year is out of range or malformed, then 400; the admin figures need a staff token', async () => {
    expect((await request(srv.url).get('/metrics/prior-auth/2015.json')).status).toBe(400);
    expect((await request(srv.url).get('/metrics/prior-auth/abcd.csv')).status).toBe(400);
    expect((await request(srv.url).get('/metrics/prior-auth?year=3000')).status).toBe(400);
    expect((await request(srv.url).get('/admin/metrics/2025')).status).toBe(401);
  });
});

/**
 * Runs `fn` on a fresh embedded store holding `resources`, once with compiled aggregation and once with
 * mingo only; the two answers, in that order.
 */
async function onBothAggregationPaths<T>(resources: ReadonlyArray<ClaimResponse | AuditEvent>, fn: (m: ReturnType<typeof metrics>, store: EmbeddedStore, compiled: boolean) => Promise<T>): Promise<[T, T]> {
  const registry = loadSearchRegistry();
  const now = new Date();
  const answers: T[] = [];
  for (const compiledAggregation of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-paths-'));
    const store = await EmbeddedStore.open({ dataDir: dir, compiledAggregation });
    try {
      await store.load(resources.map((r) => buildRecord(r, 1, now, registry, 'http://localhost/fhir')));
      answers.push(await fn(metrics({ store, policy: policyDeps(registry, () => now, 'http://localhost/fhir') }), store, compiledAggregation));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [answers[0], answers[1]];
}

describe('the embedded store computes the figures the same way on both of its aggregation paths', () => {
  it('when the report runs on the compiled pipelines and on mingo, then both give the figures worked out by hand, and the compiled path served every pipeline', async () => {
    const [compiled, mingo] = await onBothAggregationPaths(resources(), async (m, store, compiledAggregation) => {
      const answer = { priorAuth: await m.priorAuth(2025), usage: await m.usage(2025), even: await m.priorAuth(2024) };
      // priorAuth runs two pipelines and usage one, per year asked.
      expect(store.aggregations).toEqual(compiledAggregation ? { compiled: 5, mingo: 0 } : { compiled: 0, mingo: 5 });
      return answer;
    });
    expect(compiled).toEqual(mingo);
    const served = (await authed(srv).get('/admin/metrics/2025')).body;
    const { definitions: _definitions, generatedAt: _generatedAt, itemsAndServices: _items, ...figures } = served.priorAuth;
    expect(compiled.priorAuth).toEqual(figures);
    expect(compiled.usage).toEqual(served.patientAccessUsage);
    expect(compiled.priorAuth.standard.medianHours).toBe(50);
    expect(compiled.even.standard.medianHours).toBe(5);
  });

  it('when decisions take exactly 24 h and 24 h plus 1 ms, then they fall either side of the "up to 24 hours" line on both paths, the compiled one serving', async () => {
    const submitted = Date.parse('2025-04-01T00:00:00Z');
    const exact = [request_('x1', { item: 'approved', hours: 24, submitted }), request_('x2', { item: 'approved', hours: 24 + 1 / H, submitted }), request_('x3', { item: 'denied', hours: 1, submitted }), request_('x4', { item: 'denied', hours: 1 + 1 / H, submitted })];
    const distributions = await onBothAggregationPaths(exact, async (m, store, compiledAggregation) => {
      const r = await m.priorAuth(2025);
      if (compiledAggregation) expect(store.aggregations.mingo).toBe(0);
      return r.standard.distribution;
    });
    // ≤1 h: x3; ≤24 h: x4 and x1; ≤3 days: x2.
    expect(distributions).toEqual([
      [1, 2, 1, 0, 0, 0, 0],
      [1, 2, 1, 0, 0, 0, 0],
    ]);
  });
});
