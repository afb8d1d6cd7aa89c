/**
 * Running a benchmark participant (the FHIR server, a ceiling server, the reload probe, the seeder) in
 * its own Node process, so autocannon's CPU use in the bench process does not count against it and
 * every participant starts cold. Children are TypeScript run through tsx; each reports readiness with
 * one IPC message and stops on a 'stop' message (so --cpu-prof profiles get written on exit).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface ChildOptions {
  args?: string[];
  /** Extra Node flags, e.g. --max-old-space-size or --cpu-prof. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Give up waiting for the first message after this long. */
  timeoutMs?: number;
}

export interface RunningChild<M> {
  /** The child's first IPC message (its readiness report). */
  ready: M;
  process: ChildProcess;
  /** Send a request the child answers with `answerRequests`, and wait for the answer. */
  ask<R>(request: Record<string, unknown>): Promise<R>;
  stop(): Promise<void>;
}

interface Answer {
  askId: number;
  result?: unknown;
  error?: string;
}

export function forkTs(script: string, opts: ChildOptions = {}): ChildProcess {
  return fork(script, opts.args ?? [], {
    cwd: opts.cwd,
    execArgv: ['--import', 'tsx', ...(opts.nodeFlags ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Start a child and wait for its first message. */
export async function startChild<M>(script: string, opts: ChildOptions = {}): Promise<RunningChild<M>> {
  const child = forkTs(script, opts);
  const ready = await new Promise<M>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} was not ready within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs ?? 600_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as M);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  const exited = child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  let asks = 0;
  return {
    ready,
    process: child,
    ask<R>(request: Record<string, unknown>) {
      const askId = ++asks;
      return new Promise<R>((resolve, reject) => {
        const onMessage = (m: unknown): void => {
          const a = m as Answer;
          if (typeof a !== 'object' || a === null || a.askId !== askId) return;
          child.off('message', onMessage);
          if (a.error !== undefined) reject(new Error(a.error));
          else resolve(a.result as R);
        };
        child.on('message', onMessage);
        child.send({ ...request, askId });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send('stop');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Run a child to completion; rejects on a non-zero exit. */
export async function runChild(script: string, opts: ChildOptions = {}): Promise<void> {
  const child = forkTs(script, opts);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`${script} failed (code ${code}, signal ${signal})`);
}

/** In a child: call `onStop` when the parent sends 'stop' or goes away, then exit. */
export function stopOnParentRequest(onStop: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    onStop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m) => {
    if (m === 'stop') stop();
  });
  process.on('disconnect', stop);
}

/** In a child: answer the parent's `ask` requests (objects with an askId) with `handler`. */
export function answerRequests(handler: (request: Record<string, unknown>) => Promise<unknown>): void {
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null || typeof (m as { askId?: unknown }).askId !== 'number') return;
    const { askId, ...request } = m as Record<string, unknown> & { askId: number };
    handler(request).then(
      (result) => process.send?.({ askId, result }),
      (err: unknown) => process.send?.({ askId, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** In a child: send the readiness report; resolves once it has been handed to the IPC channel. */
export function reportReady(message: unknown): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('must be started by scripts/bench.ts (no IPC channel)');
  return new Promise((resolve, reject) => {
    send(message, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}
