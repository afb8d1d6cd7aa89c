/**
 * Composition root: configuration → logger → server (store, registry, validator, app) → listen, and a
 * clean shutdown on SIGINT/SIGTERM. Prints where to go once it is listening.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const running = await startServer(config, logger);
  const resources = await running.store.size();
  const lines = [
    '',
    `  FHIR server ready (${config.store} store, ${resources} resources${running.seeded ? `, ${running.seeded} generated now` : ''})`,
    `  FHIR base:          ${running.baseUrl}`,
    `  CapabilityStatement ${running.baseUrl}/metadata`,
    `  Try:                curl '${running.baseUrl}/Patient?_count=5'`,
    `  Listening on        ${running.url}`,
    '  Demo credentials:   none yet — authorization (SMART on FHIR) is not built; keep this server on a trusted network.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
