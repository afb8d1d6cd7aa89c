/**
 * Bench child: the real server (startServer, as main.ts runs it) on 127.0.0.1, a free port, no demo
 * seeding and silent logs, on the bench's data folder. Reports its URL and start-up time.
 *
 * argv: <dataDir>
 * Answers { cmd: 'profile-start' } and { cmd: 'profile-stop', file } to profile one measured run.
 */
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { answerRequests, reportReady, stopOnParentRequest } from './child-process.js';
import { startRecording, type Recorder } from './cpu-profile.js';

export interface ServerReady {
  url: string;
  startMs: number;
}

async function main(): Promise<void> {
  const [dataDir] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const config = loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', SEED_MEMBERS: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, STORE: 'embedded' });
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
  const ready: ServerReady = { url: running.url, startMs: Number(process.hrtime.bigint() - started) / 1e6 };
  await reportReady(ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
