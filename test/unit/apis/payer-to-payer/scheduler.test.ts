/**
 * The Payer-to-Payer scheduler (the requesting side) on the real embedded stores: which opt-ins make a
 * request, how an attempt ends (done, no-match, refused, retried with backoff, failed), the quarterly
 * exchange with a concurrent payer, and leases between instances. The clock is ours to move, and the
 * Outbound is a fake around the real `p2p-requests` collection whose attempts the tests script.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Consent, Coverage, Organization, Patient, Resource } from '@medplum/fhirtypes';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type PayerEndpoint } from '../../../../src/config.js';
import { openDocuments, openStore } from '../../../../src/server.js';
import { loadResources } from '../../../../src/demo-data.js';
import { loadSearchRegistry, type SearchRegistry } from '../../../../src/fhir/search/registry.js';
import { DAVINCI_PROFILE } from '../../../../src/domain/profile-urls.js';
import { CODE_SYSTEM } from '../../../../src/domain/systems.js';
import { memberChoices } from '../../../../src/apis/payer-to-payer/member-choice.js';
import { FinalRequestError, PAYER_REQUESTS, requestKey, type Outbound, type PayerRequest } from '../../../../src/apis/payer-to-payer/outbound.js';
import { backoffMs, MAX_ATTEMPTS, payerScheduler, QUARTER_DAYS, type PayerScheduler, type SchedulerDeps } from '../../../../src/apis/payer-to-payer/scheduler.js';
import type { ResourceStore } from '../../../../src/store/port.js';
import type { DocumentStore } from '../../../../src/store/document-port.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-06-15T12:00:00.000Z');

const US = { reference: 'Organization/org-masshealth' };
const OLD = 'Organization/org-old-plan'; // a previous payer, configured
const OTHER = 'Organization/org-other-plan'; // a concurrent payer, configured
const UNLISTED = 'Organization/org-unlisted'; // a payer without an endpoint
const CONFIGURED = [OLD, OTHER];

// ---- the clock ------------------------------------------------------------------------------------

let now = T0;
const clock = (): Date => new Date(now);

// ---- resources ------------------------------------------------------------------------------------

const organization = (reference: string, name: string): Organization => ({ resourceType: 'Organization', id: reference.slice('Organization/'.length), active: true, name });

const patient = (id: string): Patient => ({ resourceType: 'Patient', id, name: [{ family: `Member${id}`, given: ['Test'] }], birthDate: '1980-01-01', gender: 'female' });

/** Our coverage, and the member's coverage with another payer: ended (previous) or covering today (concurrent). */
const coverages = (member: string, others: Array<{ payer: string; kind: 'previous' | 'concurrent' }>): Coverage[] => [
  { resourceType: 'Coverage', id: `cov-${member}-us`, status: 'active', beneficiary: { reference: `Patient/${member}` }, payor: [{ reference: US.reference }], period: { start: '2026-02-01' } },
  ...others.map(
    ({ payer, kind }): Coverage => ({
      resourceType: 'Coverage',
      id: `cov-${member}-${payer.slice('Organization/'.length)}`,
      status: 'active',
      subscriberId: `SUB-${member}`,
      beneficiary: { reference: `Patient/${member}` },
      payor: [{ reference: payer }],
      period: kind === 'previous' ? { start: '2021-01-01', end: '2026-01-31' } : { start: '2025-01-01' },
    }),
  ),
];

/** The member's hrex-consent opt-in for `source`, naming `recipient` (us unless said otherwise). */
const optIn = (id: string, member: string, source: string, o: { status?: Consent['status']; recipient?: string; start?: string; end?: string } = {}): Consent => ({
  resourceType: 'Consent',
  id,
  meta: { profile: [DAVINCI_PROFILE.hrexConsent] },
  status: o.status ?? 'active',
  scope: { coding: [{ system: CODE_SYSTEM.consentScope, code: 'patient-privacy' }] },
  category: [{ coding: [{ system: CODE_SYSTEM.actCode, code: 'IDSCL' }] }],
  patient: { reference: `Patient/${member}` },
  dateTime: '2026-06-01T10:00:00Z',
  performer: [{ reference: `Patient/${member}` }],
  provision: {
    type: 'permit',
    period: { start: o.start ?? '2026-06-01', end: o.end ?? '2031-06-01' },
    actor: [
      { role: { coding: [{ system: CODE_SYSTEM.provenanceParticipantType, code: 'performer' }] }, reference: { reference: source } },
      { role: { coding: [{ system: CODE_SYSTEM.participationType, code: 'IRCP' }] }, reference: { reference: o.recipient ?? US.reference } },
    ],
    action: [{ coding: [{ system: CODE_SYSTEM.consentAction, code: 'disclose' }] }],
  },
});

// ---- the fake Outbound ----------------------------------------------------------------------------

type Scripted = { kind: 'succeed' } | { kind: 'throw'; error: Error };

interface FakeOutbound {
  outbound: SchedulerDeps['outbound'];
  requests: Outbound['requests'];
  /** What each attempt will do, in order; an attempt beyond the script fails the test's counts. */
  script: Scripted[];
  /** Every attempt: the request as handed over, and when. */
  calls: Array<{ req: PayerRequest; at: number }>;
}

function fakeOutbound(docs: DocumentStore): FakeOutbound {
  const requests = docs.collection<PayerRequest>(PAYER_REQUESTS, { indexes: [['status'], ['patient']] });
  const endpointOf = (payer: string): PayerEndpoint | undefined =>
    CONFIGURED.includes(payer) ? { payer, fhirBase: `https://${payer.slice(13)}.example.org/fhir`, tokenUrl: `https://${payer.slice(13)}.example.org/token`, clientId: 'masshealth', keyFile: '/nonexistent/key.json', scope: 'system/*.rs' } : undefined;
  const script: Scripted[] = [];
  const calls: FakeOutbound['calls'] = [];
  const attempt = async (req: PayerRequest, step: (name: string, ok: boolean, detail: string) => void): Promise<PayerRequest> => {
    calls.push({ req: structuredClone(req), at: now });
    const started = now;
    const next = script.shift();
    step('token', true, 'token from the fake payer');
    if (!next) throw new Error('an attempt the test did not script');
    if (next.kind === 'throw') throw next.error;
    step('match', true, 'matched as Patient/their-1');
    step('import', true, '3 resources imported');
    return { ...req, theirPatient: 'their-1', imported: (req.imported ?? 0) + 3, lastCompleteAt: started };
  };
  // No `attemptBatch`: every request goes one by one through `attempt`, the path these tests are about.
  const parts = { requests, endpointOf, attempt, receivedId: (): string => 'unused' };
  const outbound: SchedulerDeps['outbound'] = parts;
  return { outbound, requests, script, calls };
}

const succeed = (): Scripted => ({ kind: 'succeed' });
const fail = (message = 'payer unreachable (ECONNREFUSED)'): Scripted => ({ kind: 'throw', error: new Error(message) });
const final = (status: 'no-match' | 'refused', message: string): Scripted => ({ kind: 'throw', error: new FinalRequestError(status, message) });

// ---- per test: fresh stores in a temp folder ------------------------------------------------------

let registry: SearchRegistry;
let dir: string;
let store: ResourceStore;
let docs: DocumentStore;
let fake: FakeOutbound;

const schedulerAs = (instanceId: string, leaseMs = 10 * MINUTE): PayerScheduler =>
  payerScheduler({
    store,
    outbound: fake.outbound,
    choices: memberChoices({
      store,
      payer: US,
      clock,
      system: async () => {
        throw new Error('the scheduler writes nothing through the FHIR API');
      },
    }),
    payer: US,
    clock,
    instanceId,
    leaseMs,
  });

const load = (resources: Resource[]): Promise<number> => loadResources(resources, { store, registry, baseUrl: 'http://localhost/fhir', now: clock() });

/** A request document as the scheduler makes it, for tests about running rather than discovering. */
const request = (member: string, payer: string, over: Partial<PayerRequest> = {}): PayerRequest => ({
  _id: requestKey(member, payer),
  patient: member,
  payer: payer.slice('Organization/'.length),
  kind: payer === OTHER ? 'concurrent' : 'previous',
  status: 'pending',
  attempts: 0,
  due: now,
  steps: [],
  ...over,
});

const all = (): Promise<PayerRequest[]> => fake.requests.find({}, { sort: [['_id', 1]], limit: 100 });

beforeAll(() => {
  registry = loadSearchRegistry();
});

beforeEach(async () => {
  now = T0;
  dir = mkdtempSync(join(tmpdir(), 'p2p-scheduler-'));
  const config = loadConfig({ DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' });
  store = await openStore(config, pino({ level: 'silent' }));
  docs = await openDocuments(config);
  fake = fakeOutbound(docs);
  await load([organization(US.reference, 'MassHealth'), organization(OLD, 'Old Plan'), organization(OTHER, 'Other Plan'), organization(UNLISTED, 'Unlisted Plan')]);
}, 60_000);

afterEach(async () => {
  await store?.close();
  await docs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- discovery ------------------------------------------------------------------------------------

describe('discovery', () => {
  it('when members have opt-ins in force naming us for configured payers, then there is one pending request per member and payer, due now, of that payer’s kind', async () => {
    await load([
      patient('p1'),
      ...coverages('p1', [{ payer: OLD, kind: 'previous' }, { payer: OTHER, kind: 'concurrent' }]),
      optIn('c1', 'p1', OLD),
      optIn('c2', 'p1', OTHER),
      patient('p2'),
      ...coverages('p2', [{ payer: OLD, kind: 'previous' }]),
      optIn('c3', 'p2', OLD),
    ]);
    expect(await schedulerAs('me').discover()).toBe(3);
    expect(await all()).toEqual([
      { _id: 'p1|org-old-plan', patient: 'p1', payer: 'org-old-plan', kind: 'previous', status: 'pending', attempts: 0, due: T0, steps: [] },
      { _id: 'p1|org-other-plan', patient: 'p1', payer: 'org-other-plan', kind: 'concurrent', status: 'pending', attempts: 0, due: T0, steps: [] },
      { _id: 'p2|org-old-plan', patient: 'p2', payer: 'org-old-plan', kind: 'previous', status: 'pending', attempts: 0, due: T0, steps: [] },
    ]);
  });

  it('when a member has two opt-ins for the same payer, then there is still one request', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD), optIn('c2', 'p1', OLD)]);
    expect(await schedulerAs('me').discover()).toBe(1);
    expect((await all()).map((r) => r._id)).toEqual(['p1|org-old-plan']);
  });

  it('when discovery runs again, then it makes no second request and leaves the first as it is', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD)]);
    const scheduler = schedulerAs('me');
    await scheduler.discover();
    const before = await all();
    now += 5 * MINUTE;
    expect(await scheduler.discover()).toBe(0);
    expect(await all()).toEqual(before);
  });

  it('when two instances discover at the same moment, then one request is made and counted once', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD)]);
    const [a, b] = await Promise.all([schedulerAs('instance-a').discover(), schedulerAs('instance-b').discover()]);
    expect(a + b).toBe(1);
    expect((await all()).map((r) => r._id)).toEqual(['p1|org-old-plan']);
  });

  it('when a member has other payers on file but no opt-in, then no request is made', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }, { payer: OTHER, kind: 'concurrent' }])]);
    expect(await schedulerAs('me').discover()).toBe(0);
    expect(await all()).toEqual([]);
  });

  it('when a member opts in for a payer without a configured endpoint, then no request is made for it (and one is for the configured payer)', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: UNLISTED, kind: 'previous' }, { payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', UNLISTED), optIn('c2', 'p1', OLD)]);
    expect(await schedulerAs('me').discover()).toBe(1);
    expect((await all()).map((r) => r._id)).toEqual(['p1|org-old-plan']);
  });

  it('when the member’s opt-in Consent is inactive (withdrawn), then no request is made', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD, { status: 'inactive' })]);
    expect(await schedulerAs('me').discover()).toBe(0);
    expect(await all()).toEqual([]);
  });

  it('when the opt-in names another organization as recipient, then no request is made', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD, { recipient: 'Organization/org-someone-else' })]);
    expect(await schedulerAs('me').discover()).toBe(0);
    expect(await all()).toEqual([]);
  });

  it('when the opt-in’s period has ended, then no request is made', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD, { start: '2021-06-01', end: '2026-06-14' })]);
    expect(await schedulerAs('me').discover()).toBe(0);
    expect(await all()).toEqual([]);
  });

  it('when the member opted in for a payer that is not on file as one of their payers, then no request is made', async () => {
    await load([patient('p1'), ...coverages('p1', []), optIn('c1', 'p1', OLD)]);
    expect(await schedulerAs('me').discover()).toBe(0);
    expect(await all()).toEqual([]);
  });
});

// ---- running a request ----------------------------------------------------------------------------

describe('an attempt', () => {
  it('when a discovered request is attempted and succeeds, then it is done with the attempt’s steps and results, and no lease is left', async () => {
    await load([patient('p1'), ...coverages('p1', [{ payer: OLD, kind: 'previous' }]), optIn('c1', 'p1', OLD)]);
    fake.script.push(succeed());
    const report = await schedulerAs('me').tick();
    expect(report).toEqual({ discovered: 1, attempted: 1, done: 1, retrying: 0, finished: {} });
    expect(fake.calls).toHaveLength(1);
    // Handed over claimed: our lease, for leaseMs.
    expect(fake.calls[0]?.req).toMatchObject({ _id: 'p1|org-old-plan', status: 'pending', lease: { owner: 'me', until: T0 + 10 * MINUTE } });
    expect(await fake.requests.get('p1|org-old-plan')).toEqual({
      _id: 'p1|org-old-plan',
      patient: 'p1',
      payer: 'org-old-plan',
      kind: 'previous',
      status: 'done',
      attempts: 0,
      due: T0,
      theirPatient: 'their-1',
      imported: 3,
      lastCompleteAt: T0,
      steps: [
        { at: T0, step: 'token', ok: true, detail: 'token from the fake payer' },
        { at: T0, step: 'match', ok: true, detail: 'matched as Patient/their-1' },
        { at: T0, step: 'import', ok: true, detail: '3 resources imported' },
      ],
    });
  });

  it('when a request is done, then later ticks do not attempt it again', async () => {
    await fake.requests.insert(request('p1', OLD));
    fake.script.push(succeed());
    const scheduler = schedulerAs('me');
    await scheduler.tick();
    now += 400 * DAY;
    expect(await scheduler.tick()).toEqual({ discovered: 0, attempted: 0, done: 0, retrying: 0, finished: {} });
    expect(fake.calls).toHaveLength(1);
  });

  it.each(['no-match', 'refused'] as const)('when the payer answers %s, then the request ends with that status, the reason recorded, and it is never retried', async (status) => {
    await fake.requests.insert(request('p1', OLD));
    fake.script.push(final(status, `$member-match answered 422: ${status}`));
    const scheduler = schedulerAs('me');
    expect(await scheduler.tick()).toEqual({ discovered: 0, attempted: 1, done: 0, retrying: 0, finished: { [status]: 1 } });
    const after = await fake.requests.get('p1|org-old-plan');
    expect(after).toMatchObject({ status, attempts: 0, due: T0 });
    expect(after?.lease).toBeUndefined();
    expect(after?.steps).toEqual([
      { at: T0, step: 'token', ok: true, detail: 'token from the fake payer' },
      { at: T0, step: 'finish', ok: false, detail: `$member-match answered 422: ${status}` },
    ]);
    for (const later of [MINUTE, DAY, 400 * DAY]) {
      now = T0 + later;
      await scheduler.tick();
    }
    expect(fake.calls).toHaveLength(1);
  });

  it('when an attempt fails with a plain error, then the request stays pending with one attempt counted, due a minute later, and the failure recorded', async () => {
    await fake.requests.insert(request('p1', OLD));
    fake.script.push(fail('payer unreachable (ECONNREFUSED)'));
    expect(await schedulerAs('me').tick()).toEqual({ discovered: 0, attempted: 1, done: 0, retrying: 1, finished: {} });
    const after = await fake.requests.get('p1|org-old-plan');
    expect(after).toMatchObject({ status: 'pending', attempts: 1, due: T0 + MINUTE });
    expect(after?.lease).toBeUndefined();
    expect(after?.steps).toEqual([
      { at: T0, step: 'token', ok: true, detail: 'token from the fake payer' },
      { at: T0, step: 'attempt', ok: false, detail: 'payer unreachable (ECONNREFUSED)' },
    ]);
  });

  it('when a retry is not yet due, then it is not attempted; once due, it is', async () => {
    await fake.requests.insert(request('p1', OLD));
    fake.script.push(fail(), succeed());
    const scheduler = schedulerAs('me');
    await scheduler.tick();
    now = T0 + MINUTE - 1;
    expect((await scheduler.tick()).attempted).toBe(0);
    expect(fake.calls).toHaveLength(1);
    now = T0 + MINUTE;
    expect((await scheduler.tick()).done).toBe(1);
    expect(fake.calls.map((c) => c.at)).toEqual([T0, T0 + MINUTE]);
    expect(await fake.requests.get('p1|org-old-plan')).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('when attempts keep failing, then each retry is due 1, 2, 4, 8, 16, 32, 64 minutes after the failure before it', async () => {
    await fake.requests.insert(request('p1', OLD));
    const scheduler = schedulerAs('me');
    const gaps: number[] = [];
    for (let n = 1; n < MAX_ATTEMPTS; n++) {
      fake.script.push(fail(`failure ${n}`));
      const failedAt = now;
      await scheduler.tick();
      const r = await fake.requests.get('p1|org-old-plan');
      expect(r).toMatchObject({ status: 'pending', attempts: n });
      gaps.push((r?.due ?? 0) - failedAt);
      now = r?.due ?? 0;
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 64].map((m) => m * MINUTE));
    expect(fake.calls).toHaveLength(MAX_ATTEMPTS - 1);
  });

  it('when the last of MAX_ATTEMPTS attempts fails, then the request is failed and never attempted again', async () => {
    await fake.requests.insert(request('p1', OLD, { attempts: MAX_ATTEMPTS - 1 }));
    fake.script.push(fail('still unreachable'));
    const scheduler = schedulerAs('me');
    expect(await scheduler.tick()).toEqual({ discovered: 0, attempted: 1, done: 0, retrying: 0, finished: { failed: 1 } });
    expect(await fake.requests.get('p1|org-old-plan')).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    now += 400 * DAY;
    await scheduler.tick();
    expect(fake.calls).toHaveLength(1);
  });

  it('when a request fails every time from its first attempt, then it is failed after exactly MAX_ATTEMPTS attempts', async () => {
    await fake.requests.insert(request('p1', OLD));
    const scheduler = schedulerAs('me');
    for (let n = 0; n < MAX_ATTEMPTS + 2; n++) fake.script.push(fail(`failure ${n + 1}`));
    for (let tick = 0; tick < MAX_ATTEMPTS + 2; tick++) {
      await scheduler.tick();
      now += DAY;
    }
    expect(fake.calls).toHaveLength(MAX_ATTEMPTS);
    const after = await fake.requests.get('p1|org-old-plan');
    expect(after).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(after?.steps.filter((s) => s.step === 'attempt').map((s) => s.detail)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => `failure ${i + 1}`));
  });

  it('when backoffMs is asked, then it doubles from one minute and is capped at a day', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffMs)).toEqual([1, 2, 4, 8, 16, 32, 64].map((m) => m * MINUTE));
    expect(backoffMs(11)).toBe(1024 * MINUTE);
    expect(backoffMs(12)).toBe(DAY);
    expect(backoffMs(40)).toBe(DAY);
  });
});

// ---- the quarterly exchange -----------------------------------------------------------------------

describe('the quarterly exchange', () => {
  const doneOnce = async (payer: string, kind: 'previous' | 'concurrent'): Promise<PayerScheduler> => {
    await load([patient('p1'), ...coverages('p1', [{ payer, kind }]), optIn('c1', 'p1', payer)]);
    fake.script.push(succeed());
    const scheduler = schedulerAs('me');
    expect((await scheduler.tick()).done).toBe(1);
    return scheduler;
  };

  it('when QUARTER_DAYS have passed since a concurrent payer’s exchange, then the request is pending again, due now with attempts reset, and is attempted', async () => {
    const scheduler = await doneOnce(OTHER, 'concurrent');
    await fake.requests.put({ ...(await fake.requests.get('p1|org-other-plan') as PayerRequest), attempts: 3 });
    now = T0 + QUARTER_DAYS * DAY;
    expect(await scheduler.discover()).toBe(1);
    expect(await fake.requests.get('p1|org-other-plan')).toMatchObject({ status: 'pending', attempts: 0, due: now, lastCompleteAt: T0 });
    fake.script.push(succeed());
    expect((await scheduler.tick()).done).toBe(1);
    expect(fake.calls).toHaveLength(2);
    // The second exchange is handed what the first learnt (their id, when it was complete).
    expect(fake.calls[1]?.req).toMatchObject({ theirPatient: 'their-1', lastCompleteAt: T0 });
  });

  it('when less than QUARTER_DAYS have passed since a concurrent payer’s exchange, then it is not requested again', async () => {
    const scheduler = await doneOnce(OTHER, 'concurrent');
    now = T0 + QUARTER_DAYS * DAY - 1;
    expect(await scheduler.tick()).toEqual({ discovered: 0, attempted: 0, done: 0, retrying: 0, finished: {} });
    expect(fake.calls).toHaveLength(1);
    expect(await fake.requests.get('p1|org-other-plan')).toMatchObject({ status: 'done' });
  });

  it('when a previous payer’s exchange is done, then it is never requested again, however long after', async () => {
    const scheduler = await doneOnce(OLD, 'previous');
    for (const later of [QUARTER_DAYS, 2 * QUARTER_DAYS, 4 * QUARTER_DAYS]) {
      now = T0 + later * DAY;
      expect((await scheduler.tick()).discovered).toBe(0);
    }
    expect(fake.calls).toHaveLength(1);
    expect(await fake.requests.get('p1|org-old-plan')).toMatchObject({ status: 'done' });
  });

  it('when the member withdrew the opt-in for a concurrent payer, then the exchange is not requested again after QUARTER_DAYS', async () => {
    const scheduler = await doneOnce(OTHER, 'concurrent');
    await load([optIn('c1', 'p1', OTHER, { status: 'inactive' })]);
    now = T0 + QUARTER_DAYS * DAY;
    expect(await scheduler.discover()).toBe(0);
    expect(await fake.requests.get('p1|org-other-plan')).toMatchObject({ status: 'done' });
  });

  it('when the opt-in for a concurrent payer has expired (its period ended, status still active), then the exchange is not requested again after QUARTER_DAYS', async () => {
    const scheduler = await doneOnce(OTHER, 'concurrent');
    // The same opt-in, rewritten with a period that ended before the quarter came round.
    await load([optIn('c1', 'p1', OTHER, { start: '2026-01-01', end: new Date(T0 + 30 * DAY).toISOString().slice(0, 10) })]);
    now = T0 + QUARTER_DAYS * DAY;
    expect(await scheduler.discover()).toBe(0);
    expect(await fake.requests.get('p1|org-other-plan')).toMatchObject({ status: 'done' });
    expect(fake.calls).toHaveLength(1);
  });
});

// ---- leases between instances ---------------------------------------------------------------------

describe('leases', () => {
  it('when another instance holds a lease that has not expired, then this instance does not attempt the request and leaves its lease alone', async () => {
    const theirs = { owner: 'other-instance', until: T0 + 5 * MINUTE };
    await fake.requests.insert(request('p1', OLD, { lease: theirs }));
    await schedulerAs('me').tick();
    expect(fake.calls).toHaveLength(0);
    expect(await fake.requests.get('p1|org-old-plan')).toMatchObject({ status: 'pending', attempts: 0, lease: theirs });
  });

  it('when another instance’s lease expired, then this instance claims the request and runs it', async () => {
    await fake.requests.insert(request('p1', OLD, { lease: { owner: 'other-instance', until: T0 - 1 } }));
    fake.script.push(succeed());
    expect((await schedulerAs('me').tick()).done).toBe(1);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.req.lease).toEqual({ owner: 'me', until: T0 + 10 * MINUTE });
    const after = await fake.requests.get('p1|org-old-plan');
    expect(after?.status).toBe('done');
    expect(after?.lease).toBeUndefined();
  });

  it('when the lease given is shorter, then the claim lasts that long', async () => {
    await fake.requests.insert(request('p1', OLD));
    fake.script.push(succeed());
    await schedulerAs('me', 30_000).tick();
    expect(fake.calls[0]?.req.lease).toEqual({ owner: 'me', until: T0 + 30_000 });
  });

  it('when two instances tick at the same moment, then each due request is attempted once', async () => {
    await fake.requests.insert(request('p1', OLD));
    await fake.requests.insert(request('p2', OLD));
    fake.script.push(succeed(), succeed(), succeed(), succeed());
    const [a, b] = await Promise.all([schedulerAs('instance-a').tick(), schedulerAs('instance-b').tick()]);
    expect(fake.calls.map((c) => c.req._id).sort()).toEqual(['p1|org-old-plan', 'p2|org-old-plan']);
    expect(a.done + b.done).toBe(2);
    expect((await all()).map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('when an attempt outlives its lease and another instance claims and finishes the request meanwhile, then the first instance’s late failure does not overwrite the finished request', async () => {
    await fake.requests.insert(request('p1', OLD));
    // Instance A's attempt: while it runs, its lease runs out and instance B takes the request and finishes it.
    fake.script.push({ kind: 'throw', error: new Error('slow payer') });
    const slow = fake.outbound.attempt;
    fake.outbound.attempt = async (req, step) => {
      now = T0 + 11 * MINUTE;
      fake.outbound.attempt = slow;
      fake.script.unshift(succeed());
      expect((await schedulerAs('instance-b').tick()).done).toBe(1);
      fake.script.push({ kind: 'throw', error: new Error('slow payer') });
      return slow(req, step);
    };
    const report = await schedulerAs('instance-a').tick();
    expect(report).toMatchObject({ attempted: 0, done: 0, retrying: 0 });
    expect(await fake.requests.get('p1|org-old-plan')).toMatchObject({ status: 'done', attempts: 0 });
  });

  it('when another instance holds the lease on a due request, then tick() does not count it as attempted', async () => {
    await fake.requests.insert(request('p1', OLD, { lease: { owner: 'other-instance', until: T0 + 5 * MINUTE } }));
    expect(await schedulerAs('me').tick()).toEqual({ discovered: 0, attempted: 0, done: 0, retrying: 0, finished: {} });
  });
});
