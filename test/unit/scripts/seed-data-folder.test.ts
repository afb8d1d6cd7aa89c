import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { isNonEmptyFolder, seedDataFolder, type SeedProgress } from '../../../scripts/seed/seed-data-folder.js';
import { formatDuration, renderBar } from '../../../scripts/seed/progress-bar.js';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'seed-folder-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tiny stand-in for generateDemoData: per member a Patient and a Coverage. */
function* tiny({ members }: { members: number }): Generator<Resource> {
  for (let i = 0; i < members; i++) {
    yield { resourceType: 'Patient', id: `p${i}` };
    yield { resourceType: 'Coverage', id: `c${i}`, status: 'active', beneficiary: { reference: `Patient/p${i}` }, payor: [{ reference: `Patient/p${i}` }] };
  }
}

describe('seeding a data folder', () => {
  it('when members are generated, then every resource is stored and the summary counts them by type', async () => {
    const dataDir = tempDir();
    const progress: SeedProgress[] = [];
    const summary = await seedDataFolder({ dataDir, members: 600, seed: 1, baseUrl: 'http://localhost/fhir', generate: tiny, onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ members: 600, seed: 1, resources: 1200, byType: { Patient: 600, Coverage: 600 } });
    expect(progress.at(-1)).toEqual({ resources: 1200, patients: 600, members: 600 });
    expect(progress[0]).toEqual({ resources: 1000, patients: 500, members: 600 });

    const store = await openEmbeddedStore({ dataDir });
    expect(await store.size()).toBe(1200);
    const { records } = await store.find({ filter: { type: 'Coverage', 'sp.beneficiary': 'Patient/p7' }, sort: [], limit: 10 });
    expect(records.map((r) => r.id)).toEqual(['c7']);
    await store.close();
  });

  it('when a folder holds any file, then it counts as non-empty; an empty or missing one does not', () => {
    const dir = tempDir();
    expect(isNonEmptyFolder(dir)).toBe(false);
    expect(isNonEmptyFolder(join(dir, 'missing'))).toBe(false);
    writeFileSync(join(dir, 'x'), '');
    expect(isNonEmptyFolder(dir)).toBe(true);
  });
});

describe('the progress bar', () => {
  it('when a share is known, then the line shows the bar, percent, count, rate and ETA', () => {
    expect(renderBar('seeding', 5000, 0.25, 10_000, 'resources')).toBe(
      'seeding [#######.....................]  25% 5,000 resources  500/s  ETA 0:30',
    );
  });

  it('when nothing is known yet, then percent and ETA are placeholders', () => {
    expect(renderBar('seeding', 0, undefined, 0, 'resources')).toContain('  ?% 0 resources  0/s  ETA --:--');
  });

  it('when durations pass an hour, then hours are shown', () => {
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(59_400)).toBe('0:59');
  });
});
