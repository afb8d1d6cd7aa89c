/**
 * The bench's seeded data folders, cached under .bench-data/members-<N>-seed-<S>/ so reruns skip the
 * minutes of seeding. A folder is reused only when it was seeded completely (seed.ts writes the summary
 * file last) and by the same code: the summary records a fingerprint of every source file that shapes
 * the stored bytes (generator, index extraction, search definitions, store format), and a change to
 * any of them seeds again.
 *
 * The bench's server writes into the folder too (an AuditEvent per request, in the same append-only log).
 * So the summary records the log's size after seeding, and a reused folder has its log cut back to it:
 * every run measures the seeded data set, not the audit trail of earlier runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SeedSummary } from '../seed/seed-data-folder.js';
import { runChild } from './child-process.js';

/** What decides the bytes a seeding writes. */
const SHAPING_SOURCES = ['src/synthetic', 'src/domain', 'src/fhir/search', 'src/fhir/rest/stored-record.ts', 'src/store/embedded', 'src/demo-data.ts'];

export interface CachedSeed {
  cached: boolean;
  summary: SeedSummary;
  /** Why an existing folder was seeded again, if it was. */
  staleBecause?: string;
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => filesUnder(join(path, e.name)));
}

export function sourceFingerprint(root: string): string {
  const hash = createHash('sha256');
  for (const file of SHAPING_SOURCES.flatMap((p) => filesUnder(join(root, p)))) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export async function ensureSeeded(opts: {
  root: string;
  dataDir: string;
  members: number;
  seed: number;
  reseed: boolean;
  /** Reuse a complete folder even when the shaping code changed since (comparing runs across edits). */
  keepData: boolean;
  nodeFlags: string[];
  log: (msg: string) => void;
}): Promise<CachedSeed> {
  const summaryPath = join(opts.dataDir, 'bench-seed.json');
  const fingerprint = sourceFingerprint(opts.root);
  let staleBecause: string | undefined;
  const logPath = join(opts.dataDir, 'resources.log');
  if (!opts.reseed && existsSync(summaryPath) && existsSync(logPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as SeedSummary & { fingerprint?: string; logBytes?: number };
    const logBytes = statSync(logPath).size;
    if (summary.logBytes === undefined || logBytes < summary.logBytes) staleBecause = 'its log is not the one seeded';
    else if (summary.fingerprint !== fingerprint && !opts.keepData) staleBecause = 'the generator, index or store code changed since it was seeded';
    else {
      if (logBytes > summary.logBytes) truncateSync(logPath, summary.logBytes);
      return { cached: true, summary };
    }
  }
  opts.log(`seeding ${opts.members} members into ${opts.dataDir}${staleBecause ? ` (${staleBecause})` : ''}`);
  await runChild(join(opts.root, 'scripts', 'seed.ts'), {
    args: ['--members', String(opts.members), '--seed', String(opts.seed), '--data-dir', opts.dataDir, '--force', '--summary-json', summaryPath],
    nodeFlags: opts.nodeFlags,
    cwd: opts.root,
  });
  const summary = { ...(JSON.parse(readFileSync(summaryPath, 'utf8')) as SeedSummary), fingerprint, logBytes: statSync(logPath).size };
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  return { cached: false, summary, ...(staleBecause ? { staleBecause } : {}) };
}
