/**
 * A member's Provider Access opt-out while a provider's export of their Group runs, and after it
 * finished (CMS-0057-F 42 CFR 431.61: the payer must honour the opt-out for data not yet shared), at
 * the engine level so the moment of the opt-out is exact: the real stores on a temp folder, the real
 * Provider Access API and export runner, one member per batch, and the opt-out written between two
 * batches by a thin wrapper around the API's own `groupMembers` hook.
 *
 * Which lines are a member's is decided from the store (the records whose patient compartment is the
 * member's), never from the export code, so the checks do not share its assumptions. A baseline
 * export made before any opt-out shows that each member checked had data in the files, so every
 * "absent" below could have been "present".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { openBulkFiles, openDocuments, openStore, PROJECT_ROOT } from '../../../src/server.js';
import { engineContext } from '../../../src/app.js';
import { policyDeps } from '../../../src/auth/access-policy.js';
import type { ClientRecord } from '../../../src/auth/records.js';
import { loadResources } from '../../../src/demo-data.js';
import { generateDemoData } from '../../../src/synthetic/generate.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { createValidator } from '../../../src/fhir/validation/create-validator.js';
import { fullAccess, type Access } from '../../../src/fhir/access.js';
import { bulkExport, type BulkExport } from '../../../src/fhir/bulk/bulk-export.js';
import { exportRunner, type ExportHooks, type ExportRunner } from '../../../src/fhir/bulk/export-runner.js';
import { jobCollection, type ExportJob } from '../../../src/fhir/bulk/export-jobs.js';
import type { FhirContext } from '../../../src/fhir/rest/types.js';
import { PROVIDER_ACCESS_KIND, providerAccessApi, type ProviderAccessApi } from '../../../src/apis/provider-access/provider-access.js';
import type { DocumentStore } from '../../../src/store/document-port.js';
import type { ResourceStore } from '../../../src/store/port.js';
import type { BulkFiles } from '../../../src/store/bulk-file-port.js';

const BASE_URL = 'http://localhost/fhir';
const CLIENT_ID = 'clinic-backend';

let dir: string;
let store: ResourceStore;
let docs: DocumentStore;
let files: BulkFiles;
let api: ProviderAccessApi;
let bulk: BulkExport;
let engine: Omit<FhirContext, 'access'>;
/** The runner the next kick-off starts; each case builds its own with its hooks. */
let runner: ExportRunner | undefined;
let list: string;
/** The list's members in the order `groupMembers` yields them. */
let listOrder: string[];
/** The baseline export (no opt-out yet): what each member had in the files. */
let baseline: Map<string, string[]>;
/** The two members the opt-outs are about: the first eligible one with data, and the next such one. */
let first: string;
let next: string;

/** The provider's token as the engine sees it: its client id (the job's owner). */
const providerAccess: Access = { ...fullAccess(`client:${CLIENT_ID}`), client: CLIENT_ID };

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return out;
}

const lines = (ndjson: string): string[] => ndjson.split('\n').filter((l) => l.length > 0);
/** `Type/id` of an NDJSON line. */
const keyOf = (line: string): string => {
  const r = JSON.parse(line) as { resourceType: string; id: string };
  return `${r.resourceType}/${r.id}`;
};

/** `Type/id` of every record in the member's patient compartment (from the store, not the export code). */
async function compartmentOf(patient: string): Promise<Set<string>> {
  const { records } = await store.find({ filter: { cmp: { $in: [`Patient/${patient}`] } }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
  return new Set(records.filter((r) => !r.del).map((r) => r._id));
}

/** Kicks off the provider's `Group/[list]/$export` through the API's own operation (as a request would), runs it to the end with `hooks`. */
async function exportWith(hooks: ExportHooks): Promise<ExportJob> {
  const errors: unknown[] = [];
  runner = exportRunner({
    store,
    docs,
    files,
    clock: () => new Date(),
    instanceId: 'test-instance',
    hooks: (kind) => {
      if (kind !== PROVIDER_ACCESS_KIND) throw new Error(`unexpected export kind ${kind}`);
      return hooks;
    },
    retentionMs: 3_600_000,
    // Only Patient/$export batches by this; a Group's batches are what `groupMembers` yields (see oneMemberPerBatch).
    batchSize: 1,
    onError: (err) => errors.push(err),
  });
  const operation = api.operations.find((o) => o.type === 'Group' && o.name === 'export');
  if (!operation) throw new Error('no Group/$export operation');
  const ctx: FhirContext = { ...engine, access: providerAccess, bulk };
  const res = await operation.handle(ctx, { method: 'GET', path: ['Group', list, '$export'], query: [], headers: { prefer: 'respond-async' } }, list);
  expect(res?.status).toBe(202);
  const jobId = String(res?.headers['Content-Location']).split('/').pop() as string;
  await runner.idle();
  const job = await jobCollection(docs).get(jobId);
  expect(errors).toEqual([]);
  expect(job?.status).toBe('completed');
  return job as ExportJob;
}

/** A job's files as written (the bytes on disk, before any withholding at download). */
async function stored(job: ExportJob): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const o of job.output) {
    const file = await files.open(job._id, o.file);
    if (!file) throw new Error(`${o.file} of job ${job._id} is missing`);
    const got = lines(await text(file.stream));
    expect(got.length, o.file).toBe(o.count);
    out.set(o.type, got);
  }
  return out;
}

/** A job's files as the provider downloads them (bulkExport.file, which drops withheld members' lines). */
async function downloaded(job: ExportJob): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const o of job.output) out.set(o.type, lines(await text((await bulk.file(job._id, o.file, providerAccess)).stream)));
  return out;
}

/** The lines of these files that are in the member's compartment. */
async function linesOf(patient: string, byType: Map<string, string[]>): Promise<string[]> {
  const mine = await compartmentOf(patient);
  return [...byType.values()].flat().filter((l) => mine.has(keyOf(l)));
}

const patientIds = (byType: Map<string, string[]>): string[] => (byType.get('Patient') ?? []).map((l) => (JSON.parse(l) as { id: string }).id);

/** The API's hooks, except that members come one per batch. */
function oneMemberPerBatch(onYielded?: (batch: string[]) => Promise<void>): ExportHooks {
  return {
    ...api.hooks,
    async *groupMembers(groupId, at) {
      for await (const page of api.hooks.groupMembers(groupId, at)) {
        for (const id of page) {
          yield [id];
          // Resumed: the runner has written this batch and asks for the next one.
          await onYielded?.([id]);
        }
      }
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-optout-'));
  const config = loadConfig({ DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' });
  const logger = pino({ level: 'silent' });
  store = await openStore(config, logger);
  docs = await openDocuments(config);
  files = (await openBulkFiles(config)).files;
  const registry = loadSearchRegistry();
  const clock = (): Date => new Date();
  await loadResources(generateDemoData({ members: 40, seed: 7, now: clock() }), { store, registry, baseUrl: BASE_URL });

  bulk = bulkExport({
    docs,
    store,
    files,
    runner: { kick: () => runner?.kick() },
    retryAfterSeconds: 1,
    clock,
    kindFor: () => 'bulk',
    withheld: (job) => api.withheld(job),
  });
  const validator = createValidator(join(PROJECT_ROOT, 'profiles'));
  engine = engineContext({ config: { ...config, baseUrl: BASE_URL }, store, registry, validate: validator.validate, clock, newId: () => crypto.randomUUID(), bulk });

  // A provider backend of the organization of the seeded data's largest roster. The client registry is
  // a lookup table here (the client's role and organization), not what is under test.
  let client: ClientRecord | undefined;
  api = providerAccessApi({
    store,
    docs,
    registry,
    engine,
    policy: policyDeps(registry, clock, BASE_URL),
    clients: { get: async (id) => (id === CLIENT_ID ? client : undefined) },
    payer: { reference: config.payerOrganization },
    claimsMonths: config.attributionClaimsMonths,
    clock,
    newId: () => crypto.randomUUID(),
  });
  await api.rebuild('test');
  const day = clock().toISOString().slice(0, 10);
  const sizes = await Promise.all((await api.attribution.lists.find({ kind: 'roster' }, { limit: 1_000 })).map(async (l) => ({ l, n: await api.attribution.countActive(l._id, day) })));
  const largest = sizes.sort((a, b) => b.n - a.n)[0].l;
  list = largest._id;
  client = {
    _id: CLIENT_ID,
    name: 'Clinic backend',
    role: 'provider',
    authMethod: 'private_key_jwt',
    redirectUris: [],
    scopes: ['system/*.rs'],
    organization: largest.organization,
    createdAt: clock().toISOString(),
  };

  listOrder = [];
  for await (const page of api.hooks.groupMembers(list, Date.now())) listOrder.push(...page);

  // Baseline: the same export before anyone opts out, one member per batch.
  baseline = await stored(await exportWith(oneMemberPerBatch()));
  const exported = new Set(patientIds(baseline));
  const withData: string[] = [];
  for (const id of listOrder) {
    if (!exported.has(id)) continue;
    const own = await linesOf(id, baseline);
    if (own.some((l) => !keyOf(l).startsWith('Patient/'))) withData.push(id);
    if (withData.length === 2) break;
  }
  if (withData.length < 2) throw new Error(`list ${list} has fewer than two exported members with data`);
  [first, next] = withData;
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  await store?.close();
  await docs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an opt-out while the export of the Group runs', () => {
  it('when the next member opts out after the first member\'s batch was written, then the first member\'s data is in the files and the next member\'s Patient and data are not', async () => {
    // Before: both members had their Patient and other data in the baseline export.
    expect(patientIds(baseline)).toEqual(expect.arrayContaining([first, next]));
    const baselineNext = await linesOf(next, baseline);
    expect(baselineNext.filter((l) => !keyOf(l).startsWith('Patient/')).length).toBeGreaterThan(0);
    expect(await api.choice(next)).toBe('in');
    expect(listOrder.indexOf(next)).toBeGreaterThan(listOrder.indexOf(first));

    let optedOutAt = -1;
    const job = await exportWith(
      oneMemberPerBatch(async ([id]) => {
        if (id !== first) return;
        await api.setChoice(next, 'out', { display: 'test: the member opts out while the export runs' });
        optedOutAt = listOrder.indexOf(id);
      }),
    );
    expect(optedOutAt).toBe(listOrder.indexOf(first));
    expect(await api.choice(next)).toBe('out');

    const written = await stored(job);
    expect(patientIds(written)).toContain(first);
    expect(patientIds(written)).not.toContain(next);
    expect(await linesOf(next, written)).toEqual([]);
    // The first member's data is exactly what the baseline had of them.
    expect((await linesOf(first, written)).sort()).toEqual((await linesOf(first, baseline)).sort());
    // Only the next member is missing: everyone else's lines are as in the baseline.
    const others = (m: Map<string, string[]>, drop: Set<string>) => [...m.values()].flat().filter((l) => !drop.has(keyOf(l))).sort();
    const nextRecords = await compartmentOf(next);
    expect(others(written, nextRecords)).toEqual(others(baseline, nextRecords));
  }, 60_000);
});

describe('an opt-out after the export finished', () => {
  /** A job that completed while the first member was still in (the next member is out since the case above). */
  let job: ExportJob;
  let firstBefore: string[];

  beforeAll(async () => {
    expect(await api.choice(first)).toBe('in');
    job = await exportWith(oneMemberPerBatch());
    firstBefore = await linesOf(first, await downloaded(job));
    await api.setChoice(first, 'out', { display: 'test: the member opts out after the export' });
  }, 60_000);

  it('when the first member opts out after the job completed, then the files keep their lines on disk but the download withholds their Patient and clinical and claims lines, and only theirs', async () => {
    // Before the opt-out the download had the member's Patient and other data.
    expect(firstBefore.some((l) => keyOf(l) === `Patient/${first}`)).toBe(true);
    expect(firstBefore.filter((l) => !keyOf(l).startsWith('Patient/')).length).toBeGreaterThan(0);

    const onDisk = await stored(job);
    expect((await linesOf(first, onDisk)).sort()).toEqual([...firstBefore].sort());
    const after = await downloaded(job);
    expect(patientIds(after)).not.toContain(first);
    // Provenance is left to the next case (it names the member's resources, not the member).
    expect((await linesOf(first, after)).filter((l) => !keyOf(l).startsWith('Provenance/'))).toEqual([]);
    // Everyone else's lines still come through.
    const firstRecords = await compartmentOf(first);
    const rest = (m: Map<string, string[]>) => [...m.values()].flat().filter((l) => !firstRecords.has(keyOf(l))).sort();
    expect(rest(after)).toEqual(rest(onDisk));
    expect(rest(after).length).toBeGreaterThan(0);
    expect(await api.withheld(job)).toContain(first);
  });

  it('when the first member opts out after the job completed, then their Provenance (in their compartment through its targets) is withheld from the download too', async () => {
    const provenance = (m: Map<string, string[]>) => m.get('Provenance') ?? [];
    const before = (await linesOf(first, await stored(job))).filter((l) => keyOf(l).startsWith('Provenance/'));
    // The member had Provenance in the file, and it does not name the Patient (only their resources).
    expect(before.length).toBeGreaterThan(0);
    expect(before.filter((l) => l.includes(`"Patient/${first}"`))).toEqual([]);
    const mine = await compartmentOf(first);
    expect(provenance(await downloaded(job)).filter((l) => mine.has(keyOf(l))).map(keyOf)).toEqual([]);
  });
});
