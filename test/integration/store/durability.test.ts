/**
 * Durability of the embedded store, through the real server process: a write the server acknowledged
 * (201/200/204) survives `kill -9`, a torn last log record (the process died mid-write) is cut on
 * restart without losing acknowledged data, and a restart on an existing data folder does not
 * generate demo data again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { childServerPool, type ChildServer } from '../../helpers/child-server.js';
import { aPatient, FHIR_JSON } from '../../helpers/fhir-json.js';

const pool = childServerPool();
const dirs: string[] = [];

afterAll(async () => {
  await pool.killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fhir-durability-'));
  dirs.push(dir);
  return dir;
}

const logPath = (dataDir: string) => join(dataDir, 'resources.log');

/** Every acknowledged version of one resource (index = versionId - 1), and whether its last write was a delete. */
interface Acknowledged {
  id: string;
  versions: Patient[];
  deleted: boolean;
}

type Ledger = Map<string, Acknowledged>;

async function send(server: ChildServer, method: string, path: string, body?: object, base = server.baseUrl): Promise<{ status: number; body: unknown; etag: string | null }> {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { Authorization: `Bearer ${server.token}`, ...(body ? { 'Content-Type': FHIR_JSON } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, etag: res.headers.get('etag') };
}

async function create(server: ChildServer, ledger: Ledger, family: string, given: string): Promise<string> {
  const res = await send(server, 'POST', 'Patient', aPatient(family, given));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const patient = res.body as Patient;
  ledger.set(patient.id as string, { id: patient.id as string, versions: [patient], deleted: false });
  return patient.id as string;
}

async function update(server: ChildServer, ledger: Ledger, id: string, given: string): Promise<void> {
  const entry = ledger.get(id) as Acknowledged;
  const res = await send(server, 'PUT', `Patient/${id}`, { ...aPatient('Durable', given), id });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  entry.versions.push(res.body as Patient);
}

async function remove(server: ChildServer, ledger: Ledger, id: string): Promise<void> {
  const res = await send(server, 'DELETE', `Patient/${id}`);
  expect(res.status).toBe(204);
  (ledger.get(id) as Acknowledged).deleted = true;
}

/** Creates `n` patients, updates every 5th twice and deletes every 10th; every write acknowledged. */
async function writeWorkload(server: ChildServer, ledger: Ledger, n: number, tag: string): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await create(server, ledger, 'Durable', `${tag}${i}`));
  for (let i = 0; i < n; i += 5) {
    await update(server, ledger, ids[i], `${tag}${i}-v2`);
    await update(server, ledger, ids[i], `${tag}${i}-v3`);
  }
  for (let i = 0; i < n; i += 10) await remove(server, ledger, ids[i]);
}

/** Reads back every acknowledged resource: current version (or 410), every version by vread, and the history. */
async function expectLedgerStored(server: ChildServer, ledger: Ledger): Promise<void> {
  await Promise.all(
    [...ledger.values()].map(async ({ id, versions, deleted }) => {
      const current = await send(server, 'GET', `Patient/${id}`);
      if (deleted) {
        expect(current.status).toBe(410);
      } else {
        expect(current.status).toBe(200);
        expect(current.body).toEqual(versions[versions.length - 1]);
        expect(current.etag).toBe(`W/"${versions.length}"`);
      }
      for (const [i, acknowledged] of versions.entries()) {
        const v = await send(server, 'GET', `Patient/${id}/_history/${i + 1}`);
        expect(v.status).toBe(200);
        expect(v.body).toEqual(acknowledged);
      }
      const history = await send(server, 'GET', `Patient/${id}/_history`);
      expect(history.status).toBe(200);
      const statuses = ((history.body as Bundle).entry ?? []).map((e) => e.response?.status);
      const expected = [...(deleted ? ['204'] : []), ...versions.slice(1).map(() => '200'), '201'];
      expect(statuses).toEqual(expected);
    }),
  );
  const live = [...ledger.values()].filter((r) => !r.deleted).length;
  // /healthz counts every resource, including the AuditEvents the reads above recorded.
  const health = await send(server, 'GET', 'healthz', undefined, server.url);
  const audits = await send(server, 'GET', 'AuditEvent?_summary=count');
  expect((health.body as { resources: number }).resources - ((audits.body as Bundle).total ?? 0)).toBe(live);
  const search = await send(server, 'GET', 'Patient?_summary=count');
  expect((search.body as Bundle).total).toBe(live);
}

describe('durability of acknowledged writes', () => {
  it('when the server is killed with SIGKILL right after acknowledging writes, then after a restart every write and every version is there', async () => {
    const dataDir = tempDataDir();
    const ledger: Ledger = new Map();
    const first = await pool.start({ dataDir });
    await writeWorkload(first, ledger, 50, 'k');
    await first.kill();

    const second = await pool.start({ dataDir });
    await expectLedgerStored(second, ledger);
    await second.kill();
  }, 60_000);

  it('when the log ends in a torn half record, then a restart cuts it, keeps every acknowledged write, and new writes survive the next kill', async () => {
    const dataDir = tempDataDir();
    const ledger: Ledger = new Map();
    const first = await pool.start({ dataDir });
    await writeWorkload(first, ledger, 10, 't');
    await first.kill();

    // A record cut mid-write: the first half of a real record line, without its newline.
    const goodSize = statSync(logPath(dataDir)).size;
    const lines = readFileSync(logPath(dataDir), 'utf8').split('\n').filter(Boolean);
    const last = lines[lines.length - 1];
    appendFileSync(logPath(dataDir), last.slice(0, Math.floor(last.length / 2)));
    expect(statSync(logPath(dataDir)).size).toBeGreaterThan(goodSize);

    const second = await pool.start({ dataDir });
    expect(statSync(logPath(dataDir)).size).toBe(goodSize);
    await expectLedgerStored(second, ledger);
    const newId = await create(second, ledger, 'Durable', 'after-torn');
    const updatedId = [...ledger.values()].find((r) => !r.deleted && r.versions.length === 3)?.id as string;
    await update(second, ledger, updatedId, 'after-torn-v4');
    await second.kill();

    const third = await pool.start({ dataDir });
    await expectLedgerStored(third, ledger);
    expect((ledger.get(newId) as Acknowledged).versions.length).toBe(1);
    expect((ledger.get(updatedId) as Acknowledged).versions.length).toBe(4);
    await third.kill();
  }, 60_000);

  it('when a server with data is stopped and started with SEED_MEMBERS set, then no demo data is generated and the count is unchanged', async () => {
    const dataDir = tempDataDir();
    const ledger: Ledger = new Map();
    const first = await pool.start({ dataDir, env: { SEED_MEMBERS: '0' } });
    for (const given of ['a', 'b', 'c']) await create(first, ledger, 'Kept', given);
    await first.stop();

    const second = await pool.start({ dataDir, env: { SEED_MEMBERS: '5' } });
    await expectLedgerStored(second, ledger);
    // Nothing but the three patients and the AuditEvents of these reads: no demo data was generated.
    const all = await send(second, 'GET', '_history?_count=1000');
    const types = new Set(((all.body as Bundle).entry ?? []).map((e) => e.resource?.resourceType));
    expect([...types].sort()).toEqual(['AuditEvent', 'Patient']);
    const patients = await send(second, 'GET', 'Patient/_history?_count=100');
    expect(((patients.body as Bundle).entry ?? []).length).toBe(3);
    await second.stop();
  }, 60_000);
});
