/**
 * A data folder written before a search parameter existed (no index fingerprint) is reindexed when
 * the server starts on it, so searches and access filters see the parameter; `npm run reindex -- --force`
 * does the same from the command line with the server stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bundle, ExplanationOfBenefit } from '@medplum/fhirtypes';
import { buildRecord } from '../../../src/fhir/rest/stored-record.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { authed, startTestServer } from '../../helpers/test-server.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const eob = (id: string, day: string): ExplanationOfBenefit => ({
  resourceType: 'ExplanationOfBenefit',
  id,
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim',
  patient: { reference: 'Patient/m1' },
  created: day,
  billablePeriod: { start: day, end: day },
  insurer: { reference: 'Organization/o1' },
  provider: { reference: 'Organization/o1' },
  outcome: 'complete',
  insurance: [{ focal: true, coverage: { reference: 'Coverage/c1' } }],
});

/** A folder as an older release left it: EOBs indexed without `care-date`, and no fingerprint. */
async function oldFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'reindex-start-'));
  dirs.push(dir);
  const registry = loadSearchRegistry();
  const store = await openEmbeddedStore({ dataDir: dir });
  const now = new Date('2024-01-01T00:00:00Z');
  const records = [eob('e2015', '2015-05-01'), eob('e2020', '2020-05-01')].map((r) => {
    const rec = buildRecord(r, 1, now, registry, 'http://localhost/fhir');
    const sp = { ...rec.sp };
    delete sp['care-date'];
    return { ...rec, sp };
  });
  await store.write(records.map((record) => ({ kind: 'put' as const, record })));
  await store.close();
  return dir;
}

const idsOf = (b: Bundle): string[] => (b.entry ?? []).map((e) => e.resource?.id ?? '').sort();

describe('reindexing a data folder from an older release', () => {
  it('when the server starts on it, then records get the missing parameter before requests are served, versions unchanged', async () => {
    const dir = await oldFolder();
    const srv = await startTestServer({}, dir);
    try {
      const before2016 = await authed(srv).get('/fhir/ExplanationOfBenefit?care-date=lt2016-01-01');
      expect(before2016.status).toBe(200);
      expect(idsOf(before2016.body as Bundle)).toEqual(['e2015']);
      const all = await authed(srv).get('/fhir/ExplanationOfBenefit?care-date=ge2010-01-01');
      expect(idsOf(all.body as Bundle)).toEqual(['e2015', 'e2020']);
      const read = await authed(srv).get('/fhir/ExplanationOfBenefit/e2020');
      expect(read.body.meta.versionId).toBe('1');
    } finally {
      await srv.stop();
    }
  });

  it('when `npm run reindex -- --force` runs on a folder, then it reports what it rebuilt', async () => {
    const dir = await oldFolder();
    // Not the test process's environment: vitest sets BASE_URL (Vite's) to '/'.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' };
    const tsx = join('node_modules', '.bin', 'tsx');
    const first = await run(tsx, ['scripts/reindex.ts'], { env });
    expect(JSON.parse(first.stdout)).toMatchObject({ reindexed: 2, reason: 'no fingerprint', resources: 2 });
    const again = await run(tsx, ['scripts/reindex.ts'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ reindexed: 0, resources: 2 });
    const forced = await run(tsx, ['scripts/reindex.ts', '--force'], { env });
    // Forced, but every index is already current: nothing changes.
    expect(JSON.parse(forced.stdout)).toMatchObject({ reindexed: 0, reason: 'forced' });
  }, 60_000);
});
