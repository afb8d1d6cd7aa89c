/**
 * Starts the real server (startServer, as main.ts does) on 127.0.0.1 port 0 with a temp data folder,
 * and removes everything afterwards. Tests talk to it over HTTP with supertest or fhir-kit-client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fhir-test-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SEED_MEMBERS: '0', LOG_LEVEL: 'silent', ...env });
  const running = await startServer(config, pino({ level: 'silent' }));
  return {
    ...running,
    dataDir: dir,
    async stop() {
      await running.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
