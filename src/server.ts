/**
 * Assembling a running server from configuration: store adapter, search registry, validator,
 * CapabilityStatement, first-start demo data, the express app and the listening socket. main.ts calls
 * this for production; integration tests call it with a temp data folder and port 0.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import type { Config } from './config.js';
import type { ResourceStore } from './store/port.js';
import { openEmbeddedStore } from './store/embedded/embedded-store.js';
import { openMongoStore } from './store/mongodb/mongo-store.js';
import { loadSearchRegistry, type SearchRegistry } from './fhir/search/registry.js';
import { buildCapabilityStatement } from './fhir/capability/build.js';
import { createApp } from './app.js';
import { createValidator } from './fhir/validation/create-validator.js';
import { seedIfEmpty } from './demo-data.js';
import { outcome } from './fhir/outcome.js';

/** The project root: two levels up from this file in src/ (tsx) or dist/src/ (compiled). */
export const PROJECT_ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join('dist', 'src')) ? join(here, '..', '..') : join(here, '..');
})();

export interface RunningServer {
  url: string;
  baseUrl: string;
  server: Server;
  store: ResourceStore;
  registry: SearchRegistry;
  seeded: number;
  close(): Promise<void>;
}

export async function openStore(config: Config, logger: Logger): Promise<ResourceStore> {
  if (config.store === 'mongodb') {
    return openMongoStore({ uri: config.mongodbUri as string, dbName: config.mongodbDb, logger });
  }
  return openEmbeddedStore({ dataDir: config.dataDir, fsync: config.fsync });
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const started = Date.now();
  const store = await openStore(config, logger);
  logger.info({ store: config.store, resources: await store.size(), ms: Date.now() - started }, 'store open');
  const registry = loadSearchRegistry();
  const validator = createValidator(join(PROJECT_ROOT, 'profiles'));
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  // Listen first so the base URL can name the port actually bound (PORT=0 in tests); until the app is
  // ready, requests get a 503 OperationOutcome rather than hanging.
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'Content-Type': 'application/fhir+json', 'Retry-After': '5' });
    res.end(JSON.stringify(outcome([{ code: 'transient', diagnostics: 'The server is starting' }])));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const baseUrl = config.baseUrl ?? `http://${host}:${port}/fhir`;
  let capability: CapabilityStatement | undefined;
  const capabilityStatement = (): CapabilityStatement =>
    (capability ??= buildCapabilityStatement({
      registry,
      profiles: validator.declaredProfiles(),
      baseUrl,
      version,
      now: new Date(),
      basePath: join(PROJECT_ROOT, 'capability-statement', 'base.json'),
    }));

  const seeded = await seedIfEmpty({ store, registry, baseUrl, members: config.seedMembers, seed: config.seed, logger });
  const app = createApp({ config: { ...config, baseUrl }, store, registry, validate: validator.validate, capabilityStatement, logger });
  server.removeAllListeners('request');
  server.on('request', app);
  return {
    url: `http://${host}:${port}`,
    baseUrl,
    server,
    store,
    registry,
    seeded,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
