/**
 * Bench child: the real server (startServer, as main.ts runs it) on 127.0.0.1, a free port, no demo
 * seeding and silent logs, on the bench's data folder. Reports its URL and start-up time.
 *
 * argv: <dataDir> [seedMembers]   (seedMembers > 0: demo data into an empty folder first, as `npm start` does)
 * Answers { cmd: 'profile-start' } and { cmd: 'profile-stop', file } to profile one measured run.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { BOOTSTRAP_CLIENT_ID } from '../../src/auth/bootstrap-admin.js';
import { signAccessToken } from '../../src/auth/token-issuer.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { answerRequests, reportReady, stopOnParentRequest } from './child-process.js';
import { startRecording, type Recorder } from './cpu-profile.js';

export interface ServerReady {
  url: string;
  startMs: number;
  /** `Bearer …` of a payer-staff grant: the scenarios rotate over every member, so one member's token would not do. */
  authorization: string;
}

/**
 * A staff token that outlives the run (backend tokens last 5 minutes; a bench runs longer). It is a
 * real grant and a real signed token, so every request pays for verification, the grant check and
 * its AuditEvent, as production requests do.
 */
async function benchToken(running: Awaited<ReturnType<typeof startServer>>): Promise<string> {
  const deps = running.auth.deps;
  const grant = { _id: randomUUID(), clientId: BOOTSTRAP_CLIENT_ID, scopes: ['system/*.rs'], reach: 'all' as const, createdAt: new Date().toISOString() };
  await deps.grants.create(grant);
  return `Bearer ${await signAccessToken(deps, grant, 24 * 3600)}`;
}

async function main(): Promise<void> {
  const [dataDir, seedMembers = '0'] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const config = loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', SEED_MEMBERS: seedMembers, LOG_LEVEL: 'silent', DATA_DIR: dataDir, STORE: 'embedded' });
  const running = await startServer(config, pino({ level: 'silent' }));
  stopOnParentRequest(() => running.close());
  // The bench profiles each scenario's measured run on its own: { cmd: 'profile-start' } then
  // { cmd: 'profile-stop', file }.
  let recorder: Recorder | undefined;
  answerRequests(async (req) => {
    if (req.cmd === 'profile-start') recorder = await startRecording();
    else if (req.cmd === 'profile-stop' && recorder) {
      await recorder.stop(String(req.file));
      recorder = undefined;
    }
    return true;
  });
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;
  const ready: ServerReady = { url: running.url, startMs, authorization: await benchToken(running) };
  await reportReady(ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
