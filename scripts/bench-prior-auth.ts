/**
 * `npm run bench:prior-auth [-- --members N --connections C --requests R]`: only the Prior Authorization
 * section of `npm run bench` (PAS $submit with an automatic decision and a CRD order-sign call, beside
 * same-run ceilings), without seeding the 10,000-member data set the read scenarios need.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { formatPriorAuthThroughput, measurePriorAuth } from './bench/prior-auth-throughput.js';
import { formatSummary, summarizeProfile, type CpuProfile } from './bench/cpu-profile.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { members: { type: 'string' }, connections: { type: 'string' }, requests: { type: 'string' }, profile: { type: 'boolean', default: false } }, strict: true });
const int = (v: string | undefined, d: number): number => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : d);

const profileDir = values.profile ? join(ROOT, 'bench-results', 'profiles') : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
measurePriorAuth({ ...(profileDir ? { profileDir } : {}), root: ROOT, members: int(values.members, 200), connections: int(values.connections, 16), requests: int(values.requests, 3000), nodeFlags: ['--max-old-space-size=8192'], log: (m) => void process.stderr.write(`${m}\n`) })
  .then((r) => {
    process.stdout.write(formatPriorAuthThroughput(r));
    if (profileDir) for (const s of r.scenarios) process.stdout.write(`${formatSummary(s.name, summarizeProfile(JSON.parse(readFileSync(join(profileDir, `${s.name}.cpuprofile`), 'utf8')) as CpuProfile))}\n\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
