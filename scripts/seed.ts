/**
 * `npm run seed -- --members N --seed S [--data-dir DIR] [--force]`: generate the deterministic synthetic
 * demo data set (src/synthetic) into an embedded-store data folder, with a progress bar on stderr and
 * a summary (resources by type, time) on stdout. The server then starts on that folder as is.
 *
 * A non-empty folder is refused (two data sets mixed in one log cannot be told apart) unless --force,
 * which deletes the folder first.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { generateDemoData } from '../src/synthetic/generate.js';
import { progressBar, formatDuration } from './seed/progress-bar.js';
import { isNonEmptyFolder, seedDataFolder, type SeedSummary } from './seed/seed-data-folder.js';

const USAGE = `Usage: npm run seed -- [--members N] [--seed S] [--data-dir DIR] [--force]

  --members N        members (Patients) to generate, each with claims, clinical data,
                     coverage and prior authorizations (default 200)
  --seed S           random seed; the same seed gives the same data (default 1)
  --data-dir DIR     embedded-store data folder (default: DATA_DIR, else ./data)
  --force            delete the folder first if it is not empty
  --summary-json F   also write the summary as JSON to file F (used by npm run bench)
`;

class UsageError extends Error {}

function intArg(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}

function printSummary(s: SeedSummary): void {
  const rows = Object.entries(s.byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map(([t]) => t.length), 'total'.length);
  const lines = [
    '',
    `Seeded ${s.members.toLocaleString('en-US')} members (seed ${s.seed}) into ${s.dataDir}`,
    ...rows.map(([t, n]) => `  ${t.padEnd(width)}  ${n.toLocaleString('en-US').padStart(10)}`),
    `  ${'total'.padEnd(width)}  ${s.resources.toLocaleString('en-US').padStart(10)}`,
    `in ${formatDuration(s.ms)} (${Math.round((s.resources * 1000) / Math.max(1, s.ms)).toLocaleString('en-US')} resources/s)`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      'summary-json': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadConfig();
  const members = intArg('members', values.members, 200, 1, 1_000_000);
  const seed = intArg('seed', values.seed, 1, 0, 2 ** 31 - 1);
  const dataDir = resolve(values['data-dir'] ?? config.dataDir);
  if (isNonEmptyFolder(dataDir)) {
    if (!values.force) throw new UsageError(`${dataDir} is not empty; pass --force to delete it and seed again`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });

  const bar = progressBar('seeding', 'resources');
  const summary = await seedDataFolder({
    dataDir,
    members,
    seed,
    // Only absolute references are affected by the base (they are indexed relative to it): use the
    // one the server will announce.
    baseUrl: config.baseUrl ?? `http://localhost:${config.port}/fhir`,
    generate: generateDemoData,
    onProgress: (p) => bar.update(p.resources, p.patients / p.members),
  });
  bar.finish(summary.resources);
  printSummary(summary);
  if (values['summary-json']) {
    mkdirSync(dirname(values['summary-json']), { recursive: true });
    writeFileSync(values['summary-json'], `${JSON.stringify(summary, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
