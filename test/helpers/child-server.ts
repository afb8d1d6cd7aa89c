/**
 * The real server as a separate process (`node --import tsx src/main.ts`), for tests that must kill it
 * the way an operator's host would (SIGKILL) and start it again on the same data folder.
 *
 * A test file makes one pool, starts servers from it, and calls `killAll()` in afterAll, so no child
 * outlives the run even when a test fails midway; the pool also kills its children if the test worker
 * itself exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { adminTokenFor } from './test-server.js';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../src/config.js';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The test runner's environment without any of the server's settings: vitest sets BASE_URL=/ (vite's
 * public base), which the server would reject, and a developer's shell may set PORT or DATA_DIR.
 */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const s of Object.values(SETTINGS)) delete env[s.env];
  return env;
}

export interface ChildServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The FHIR base, `${url}/fhir`. */
  baseUrl: string;
  pid: number;
  dataDir: string;
  /** A bearer token of the data folder's bootstrap admin client. */
  token: string;
  /** SIGKILL: no shutdown code runs, as when the host kills the process. Resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM: the clean shutdown main.ts installs. Resolves once it has exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** What the process printed so far (for failure messages). */
  output(): string;
}

export interface StartOptions {
  dataDir: string;
  /** Extra environment; PORT, HOST, DATA_DIR, SEED_MEMBERS=0 and LOG_LEVEL=silent are set by default. */
  env?: Record<string, string>;
  /** How long to wait for /healthz to answer 200. */
  readyTimeoutMs?: number;
}

export interface ChildServerPool {
  start(opts: StartOptions): Promise<ChildServer>;
  killAll(): Promise<void>;
}

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}):\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${output()}`);
}

export function childServerPool(): ChildServerPool {
  const live = new Set<ChildProcess>();
  const killSync = (): void => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killSync);

  async function startOnce(opts: StartOptions): Promise<ChildServer> {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...inheritedEnv(),
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: opts.dataDir,
        SEED_MEMBERS: '0',
        LOG_LEVEL: 'silent',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const output = () => out;
    try {
      await waitUntilHealthy(url, child, output, opts.readyTimeoutMs ?? 20_000);
    } catch (err) {
      child.kill('SIGKILL');
      await exited(child);
      throw err;
    }
    const token = await adminTokenFor(opts.dataDir, url);
    return {
      url,
      token,
      baseUrl: `${url}/fhir`,
      pid: child.pid as number,
      dataDir: opts.dataDir,
      output,
      async kill() {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGKILL');
        await exited(child);
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited(child);
        clearTimeout(timer);
      },
    };
  }

  return {
    async start(opts) {
      try {
        return await startOnce(opts);
      } catch (err) {
        // The free port may have been taken between probing and binding; one retry on a new port.
        if (!/EADDRINUSE/.test(String(err))) throw err;
        return startOnce(opts);
      }
    },
    async killAll() {
      const children = [...live];
      killSync();
      await Promise.all(children.map(exited));
      process.removeListener('exit', killSync);
    },
  };
}
