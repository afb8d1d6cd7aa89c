/**
 * `npm run reindex [-- --force]`: bring the stored search index in step with the search parameter
 * definitions, on the store the configuration names (STORE, DATA_DIR or MONGODB_URI), with the server
 * stopped for the embedded store (one process owns its log). The server does the same at startup when
 * the definitions changed; --force rebuilds even when they did not (e.g. after changing BASE_URL when
 * stored resources refer to the server by absolute URLs). Prints what it did as JSON.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../src/config.js';
import { ensureCurrentIndex } from '../src/fhir/rest/reindex.js';
import { loadSearchRegistry } from '../src/fhir/search/registry.js';
import { openDocuments, openStore } from '../src/server.js';

const USAGE = `Usage: npm run reindex -- [--force]

  --force   rebuild the index of every record even when the definitions did not change
`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { force: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const started = Date.now();
  const store = await openStore(config, logger);
  const docs = await openDocuments(config);
  try {
    const baseUrl = config.baseUrl ?? `http://localhost:${config.port}/fhir`;
    const result = await ensureCurrentIndex(
      { store, docs, registry: loadSearchRegistry(), baseUrl },
      { force: args.values.force === true, onProgress: (visited) => logger.info({ visited }, 'reindexing') },
    );
    process.stdout.write(`${JSON.stringify({ ...result, resources: await store.size(), ms: Date.now() - started })}\n`);
    return 0;
  } finally {
    await store.close();
    await docs.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
