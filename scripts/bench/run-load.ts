/**
 * One autocannon run against a server, rotating over many request paths so no single id stays hot:
 * every request takes the next path of a counter shared by all connections. A short warm-up run
 * (JIT, caches, connection set-up) is discarded first.
 */
import autocannon, { type Result } from 'autocannon';

export interface LoadOptions {
  url: string;
  paths: string[];
  connections: number;
  durationSec: number;
  warmupSec: number;
  headers?: Record<string, string>;
  /** Called between the warm-up and the measured run (e.g. to start a CPU profile). */
  beforeMeasure?: () => Promise<unknown>;
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerSec: number;
}

function run(opts: LoadOptions, durationSec: number): Promise<Result> {
  let next = 0;
  const paths = opts.paths;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: durationSec,
        timeout: 10,
        headers: { accept: 'application/fhir+json', ...opts.headers },
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const path = paths[next];
              next = (next + 1) % paths.length;
              return { ...req, path };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.paths.length === 0) throw new Error('no request paths to rotate over');
  if (opts.warmupSec > 0) await run(opts, opts.warmupSec);
  await opts.beforeMeasure?.();
  const r = await run(opts, opts.durationSec);
  return {
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: r.latency.average,
    maxMs: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    bytesPerSec: r.throughput.average,
  };
}
