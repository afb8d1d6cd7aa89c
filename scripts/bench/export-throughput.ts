/**
 * Provider Access export throughput: a provider backend's `Group/[id]/$export` of its organization's
 * largest attribution list, end to end over HTTP against the bench's FHIR server (kick-off → the
 * manifest says complete), beside a same-run ceiling: the same NDJSON bytes, already in memory,
 * written straight to files in the same data folder with fs streams, in chunks as the runner writes
 * them. The ratio (server ÷ ceiling) is what to watch; absolute figures move with the shared host.
 *
 * Set-up is not timed: staff grow the list to TARGET_MEMBERS through the admin API when no list is
 * that large, and register a provider backend client (private_key_jwt, a key made here) that is
 * removed afterwards. Each export's files are downloaded once (to check counts and feed the
 * ceiling), then the job is cancelled so its files do not pile up in the data folder.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** The Group size the bench wants at least. */
export const TARGET_MEMBERS = 1_000;
/** As the runner's buffer per file (export-runner.ts CHUNK_BYTES). */
const CHUNK_BYTES = 256 * 1024;
const POLL_MS = 25;

export interface ExportThroughputOptions {
  /** The FHIR server's origin (http://127.0.0.1:port). */
  url: string;
  /** `Bearer …` of a payer-staff grant. */
  authorization: string;
  /** The server's data folder: the ceiling writes beside the export files. */
  dataDir: string;
  runs: number;
  log: (msg: string) => void;
  /** CPU-profiles the server during the first timed export (--profile). */
  profile?: { start(): Promise<unknown>; stop(): Promise<unknown> };
}

export interface ExportRun {
  ms: number;
  resources: number;
  bytes: number;
  resourcesPerSec: number;
  mbPerSec: number;
}

export interface ExportThroughputReport {
  group: string;
  members: number;
  /** Members staff added to reach TARGET_MEMBERS (0 when the list was large enough). */
  added: number;
  /** Patients in the export (members with a treatment relationship today). */
  patients: number;
  files: number;
  resources: number;
  bytes: number;
  /** The medians. */
  fhir: ExportRun;
  ceiling: ExportRun;
  ratio: number;
  rounds: { fhir: ExportRun[]; ceiling: ExportRun[] };
}

interface ListInfo {
  _id: string;
  organization: string;
  kind: string;
  members: number;
}

interface Manifest {
  output: Array<{ type: string; url: string; count: number }>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function run(ms: number, resources: number, bytes: number): ExportRun {
  return { ms, resources, bytes, resourcesPerSec: (resources * 1000) / ms, mbPerSec: (bytes / 1e6 / ms) * 1000 };
}

/** The run of median time (the lower middle one for an even count). */
function median(runs: ExportRun[]): ExportRun {
  return [...runs].sort((a, b) => b.ms - a.ms)[Math.floor((runs.length - 1) / 2)];
}

export async function measureExportThroughput(o: ExportThroughputOptions): Promise<ExportThroughputReport> {
  async function call(method: string, path: string, auth: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${o.url}${path}`, {
      method,
      headers: { authorization: auth, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }
  async function json<T>(method: string, path: string, auth: string, body?: unknown): Promise<T> {
    const res = await call(method, path, auth, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
  const staff = <T>(method: string, path: string, body?: unknown): Promise<T> => json<T>(method, path, o.authorization, body);

  // The organization's largest roster, grown by staff when it is smaller than the target.
  const lists = (await staff<ListInfo[]>('GET', '/admin/attribution/lists')).filter((l) => l.kind === 'roster');
  if (lists.length === 0) throw new Error('the data folder has no attribution lists');
  const list = lists.sort((a, b) => b.members - a.members)[0];
  let added = 0;
  if (list.members < TARGET_MEMBERS) {
    o.log(`export: growing ${list._id} from ${list.members} to ${TARGET_MEMBERS} members (staff, not timed)`);
    const on = new Set<string>();
    for (let after = ''; ; ) {
      const page = await staff<Array<{ patient: string; removed?: unknown }>>('GET', `/admin/attribution/lists/${list._id}/members?limit=5000${after ? `&after=${after}` : ''}`);
      if (page.length === 0) break;
      for (const e of page) if (e.removed === undefined) on.add(e.patient);
      after = page[page.length - 1].patient;
    }
    let next: string | undefined = '/fhir/Patient?_count=1000&_elements=id';
    while (next && list.members + added < TARGET_MEMBERS) {
      const bundle: { entry?: Array<{ resource: { id: string } }>; link?: Array<{ relation: string; url: string }> } = await staff('GET', next);
      for (const e of bundle.entry ?? []) {
        if (list.members + added >= TARGET_MEMBERS) break;
        if (on.has(e.resource.id)) continue;
        await staff('POST', `/admin/attribution/lists/${list._id}/members`, { patient: e.resource.id, reason: 'bench: export throughput' });
        added++;
      }
      const link = bundle.link?.find((l) => l.relation === 'next')?.url;
      next = link ? link.slice(link.indexOf('/fhir/')) : undefined;
    }
  }

  // A provider backend of the list's organization (SMART Backend Services).
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `bench-${randomBytes(4).toString('hex')}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' };
  const client = await staff<{ client_id: string }>('POST', '/admin/clients', {
    name: 'Bench export client',
    role: 'provider',
    authMethod: 'private_key_jwt',
    jwks: { keys: [jwk] },
    scopes: ['system/*.rs'],
    organization: list.organization,
  });
  const token = (): Promise<string> => providerToken(o.url, client.client_id, kid, privateKey);

  const ceilingDir = join(o.dataDir, 'bench-export-ceiling');
  const rounds: { fhir: ExportRun[]; ceiling: ExportRun[] } = { fhir: [], ceiling: [] };
  let last: { patients: number; files: number } = { patients: 0, files: 0 };
  try {
    for (let round = 1; round <= o.runs; round++) {
      const auth = `Bearer ${await token()}`;
      o.log(`export: ${list._id} (${list.members + added} members), FHIR server (run ${round}/${o.runs})`);
      if (round === 1) await o.profile?.start();
      const started = process.hrtime.bigint();
      const kick = await call('GET', `/fhir/Group/${list._id}/$export`, auth, undefined, { prefer: 'respond-async' });
      await kick.arrayBuffer();
      if (kick.status !== 202) throw new Error(`export kick-off answered ${kick.status}`);
      const status = new URL(kick.headers.get('content-location') as string).pathname;
      let manifest: Manifest | undefined;
      while (!manifest) {
        const res = await call('GET', status, auth);
        if (res.status === 200) manifest = (await res.json()) as Manifest;
        else {
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`export status answered ${res.status}`);
          await sleep(POLL_MS);
        }
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (round === 1) await o.profile?.stop();

      // Not timed: the files, checked against the manifest and kept in memory for the ceiling.
      const files = new Map<string, Buffer>();
      let resources = 0;
      for (const out of manifest.output) {
        const res = await call('GET', new URL(out.url).pathname, auth);
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) throw new Error(`download of ${out.type} answered ${res.status}`);
        const lines = body.toString('utf8').split('\n').filter((l) => l.length > 0).length;
        if (lines !== out.count) throw new Error(`${out.type}: the manifest says ${out.count} resources, the file has ${lines}`);
        files.set(`${out.type}.ndjson`, body);
        resources += out.count;
      }
      const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
      rounds.fhir.push(run(ms, resources, bytes));
      last = { patients: manifest.output.find((x) => x.type === 'Patient')?.count ?? 0, files: files.size };
      const cancelled = await call('DELETE', status, auth);
      await cancelled.arrayBuffer();

      o.log(`export: fs stream ceiling (run ${round}/${o.runs})`);
      rounds.ceiling.push(run(await writeCeiling(ceilingDir, files), resources, bytes));
    }
  } finally {
    await rm(ceilingDir, { recursive: true, force: true });
    await call('DELETE', `/admin/clients/${client.client_id}`, o.authorization).then((r) => r.arrayBuffer());
  }
  const fhir = median(rounds.fhir);
  const ceiling = median(rounds.ceiling);
  return {
    group: list._id,
    members: list.members + added,
    added,
    patients: last.patients,
    files: last.files,
    resources: fhir.resources,
    bytes: fhir.bytes,
    fhir,
    ceiling,
    ratio: fhir.resourcesPerSec / ceiling.resourcesPerSec,
    rounds,
  };
}

/** Writes each file with a write stream in CHUNK_BYTES pieces, waiting for drain and close; ms taken. */
async function writeCeiling(dir: string, files: Map<string, Buffer>): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) {
    const out = createWriteStream(join(dir, name));
    await once(out, 'open');
    for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
      if (!out.write(bytes.subarray(i, i + CHUNK_BYTES))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function providerToken(url: string, clientId: string, kid: string, key: CryptoKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(`${url}/auth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + 240)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key);
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'system/*.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the provider client's token was refused (${res.status})`);
  return body.access_token;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, d = 1): string => n.toFixed(d);
/** Two significant digits below 0.1, so a small ratio does not print as 0.00. */
const ratio = (n: number): string => (n >= 0.1 ? n.toFixed(2) : n.toPrecision(2));

/** The section as the other scenarios print theirs: a table row per participant, then notes. */
export function formatExportThroughput(r: ExportThroughputReport): string {
  const header = ['export', 'resources/s', 'MB/s', 's per run', '× ceiling'];
  const rows = [
    ['provider Group/$export', int(r.fhir.resourcesPerSec), fixed(r.fhir.mbPerSec), fixed(r.fhir.ms / 1000, 2), ratio(r.ratio)],
    ['fs stream ceiling', int(r.ceiling.resourcesPerSec), fixed(r.ceiling.mbPerSec), fixed(r.ceiling.ms / 1000, 2), '1.00'],
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const secs = (runs: ExportRun[]): string => runs.map((x) => fixed(x.ms / 1000, 2)).join(', ');
  return [
    '',
    `Provider Access export: Group/${r.group}, ${int(r.members)} members${r.added > 0 ? ` (${int(r.added)} added by staff for the bench)` : ''}; median of ${r.rounds.fhir.length} runs, kick-off → manifest complete`,
    '',
    line(header),
    rule,
    ...rows.map(line),
    '',
    `  ${int(r.patients)} Patients with a treatment relationship today, ${int(r.resources)} resources in ${r.files} NDJSON files, ${fixed(r.bytes / 1e6)} MB (MB = 10^6 bytes)`,
    `  runs (s): server ${secs(r.rounds.fhir)}; ceiling ${secs(r.rounds.ceiling)}`,
    `  ceiling: the same bytes from memory to files in the data folder with fs write streams, ${CHUNK_BYTES / 1024} KB chunks`,
    '',
  ].join('\n');
}
