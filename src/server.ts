/**
 * Assembling a running server from configuration: store adapter, search registry, validator,
 * CapabilityStatement, first-start demo data, the express app and the listening socket. main.ts calls
 * this for production; integration tests call it with a temp data folder and port 0.
 */
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { Config } from './config.js';
import type { ResourceStore } from './store/port.js';
import { openEmbeddedStore } from './store/embedded/embedded-store.js';
import { openMongoStore } from './store/mongodb/mongo-store.js';
import { loadSearchRegistry, type SearchRegistry } from './fhir/search/registry.js';
import { buildCapabilityStatement } from './fhir/capability/build.js';
import { createApp, engineContext, mergeApis } from './app.js';
import { createValidator } from './fhir/validation/create-validator.js';
import { seedIfEmpty } from './demo-data.js';
import { ensureCurrentIndex } from './fhir/rest/reindex.js';
import { outcome } from './fhir/outcome.js';
import type { DocumentStore } from './store/document-port.js';
import { openEmbeddedDocuments } from './store/embedded/embedded-documents.js';
import { openMongoDocuments } from './store/mongodb/mongo-documents.js';
import { openEmbeddedBulkFiles } from './store/embedded/embedded-bulk-files.js';
import { openGridFsBulkFiles } from './store/mongodb/gridfs-bulk-files.js';
import type { BulkFiles } from './store/bulk-file-port.js';
import { exportRunner, type ExportRunner } from './fhir/bulk/export-runner.js';
import { policyDeps } from './auth/access-policy.js';
import { providerAccessRoutes } from './apis/provider-access/routes.js';
import { payerToPayerApi, type PayerToPayerApi } from './apis/payer-to-payer/payer-to-payer.js';
import { payerToPayerRoutes } from './apis/payer-to-payer/routes.js';
import { priorAuthApi, type PriorAuthApi } from './apis/prior-auth/prior-auth.js';
import { paRulesRoutes, servicesNeedingPa } from './apis/prior-auth/pa-rules-routes.js';
import { metrics } from './apis/metrics/metrics.js';
import { metricsRoutes } from './apis/metrics/metrics-routes.js';
import { reviewRoutes } from './apis/prior-auth/review-routes.js';
import { PAYER_TO_PAYER_KIND } from './apis/payer-to-payer/payer-export.js';
import { outboundRoutes } from './apis/payer-to-payer/outbound-routes.js';
import { PROVIDER_ACCESS_KIND, providerAccessApi, type ProviderAccessApi } from './apis/provider-access/provider-access.js';
import { bulkExport } from './fhir/bulk/bulk-export.js';
import { groupResourceMembers } from './fhir/bulk/group-members.js';
import { loadOrCreateKeys } from './auth/signing-keys.js';
import { createAuthServer, type AuthServer } from './auth/auth-server.js';
import { ensureBootstrapAdmin } from './auth/bootstrap-admin.js';
import { capabilitySecurity, smartConfiguration } from './auth/discovery.js';
import { issuerFor } from './auth/auth-deps.js';
import { createDemoLogins, readDemoLogins, type DemoLogins } from './demo-logins.js';

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
  docs: DocumentStore;
  auth: AuthServer;
  seeded: number;
  /** Where the bootstrap admin credential is (written on first start). */
  adminCredentials: { path: string; created: boolean };
  /** Demo sign-ins, when this data folder has demo data. */
  demo?: DemoLogins;
  close(): Promise<void>;
}

type CapabilityOperations = Readonly<Record<string, NonNullable<CapabilityStatementRestResource['operation']>>>;

/** The operations each API declares, per resource type, as one. */
function capabilityOperations(parts: ReadonlyArray<CapabilityOperations | undefined>): CapabilityOperations {
  const out: Record<string, NonNullable<CapabilityStatementRestResource['operation']>> = {};
  for (const p of parts) for (const [type, ops] of Object.entries(p ?? {})) out[type] = [...(out[type] ?? []), ...ops];
  return out;
}

export async function openStore(config: Config, logger: Logger): Promise<ResourceStore> {
  if (config.store === 'mongodb') {
    return openMongoStore({ uri: config.mongodbUri as string, dbName: config.mongodbDb, logger });
  }
  return openEmbeddedStore({ dataDir: config.dataDir, fsync: config.fsync });
}

/** Where bulk export files go: the data folder, or GridFS with MongoDB (every instance serves every file). */
export async function openBulkFiles(config: Config): Promise<{ files: BulkFiles; close(): Promise<void> }> {
  if (config.store === 'mongodb') {
    const files = await openGridFsBulkFiles({ uri: config.mongodbUri as string, dbName: config.mongodbDb });
    return { files, close: () => files.close() };
  }
  return { files: openEmbeddedBulkFiles({ dataDir: config.dataDir }), close: async () => undefined };
}

export async function openDocuments(config: Config): Promise<DocumentStore> {
  if (config.store === 'mongodb') return openMongoDocuments({ uri: config.mongodbUri as string, dbName: config.mongodbDb });
  return openEmbeddedDocuments({ dataDir: config.dataDir, fsync: config.fsync });
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const started = Date.now();
  const store = await openStore(config, logger);
  const docs = await openDocuments(config);
  const { keys, created: keysCreated } = await loadOrCreateKeys(config.dataDir);
  if (keysCreated) logger.info({ dir: join(config.dataDir, 'keys') }, 'generated the authorization server signing keys');
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
      security: capabilitySecurity(issuerFor(baseUrl)),
      operations: capabilityOperations([providerAccess?.capability, payerToPayer?.capability, priorAuth?.capability]),
    }));

  const index = await ensureCurrentIndex(
    { store, docs, registry, baseUrl },
    { onProgress: (visited) => logger.info({ visited }, 'reindexing the store') },
  );
  if (index.reason) logger.info({ reindexed: index.reindexed, reason: index.reason, ms: Date.now() - started }, 'search index rebuilt');
  const seeded = await seedIfEmpty({ store, registry, baseUrl, members: config.seedMembers, seed: config.seed, logger });
  const clock = (): Date => new Date();
  const newId = (): string => crypto.randomUUID();
  /** This process among the instances sharing the store (export leases, payer request leases). */
  const instanceId = `${hostname()}:${process.pid}:${crypto.randomUUID()}`;
  // Provider Access needs the auth server's client registry, and the auth server asks Provider Access
  // about provider backends' requests: the API is assembled right after, and reached through this.
  let providerAccess: ProviderAccessApi | undefined;
  let payerToPayer: PayerToPayerApi | undefined;
  let priorAuth: PriorAuthApi | undefined;
  const auth = createAuthServer({
    // A token's Access decided per request by the API its client belongs to (provider or payer backends);
    // a provider system reading its own PA requests is the PA API's before it is Provider Access's.
    callerAccess: async (token, req) => (await priorAuth?.providerPaCaller(token, req)) ?? (await providerAccess?.providerCaller(token, req)) ?? (await payerToPayer?.payerCaller(token, req)),
    isAttributed: async (patient, who) => (providerAccess ? providerAccess.isAttributed(patient, who) : false),
    fhirBase: baseUrl,
    keys,
    docs,
    store,
    registry,
    clock,
    newId,
    lifetimes: { accessToken: config.accessTokenSeconds },
    ...(config.externalIssuer && config.externalJwksUrl
      ? {
          external: {
            issuer: config.externalIssuer,
            jwksUrl: config.externalJwksUrl,
            ...(config.externalAudience ? { audience: config.externalAudience } : {}),
            patientClaim: config.externalPatientClaim,
            staffClients: config.externalStaffClients,
          },
        }
      : {}),
  });
  const files = await openBulkFiles(config);
  let runner: ExportRunner | undefined;
  const bulk = bulkExport({
    docs,
    store,
    files: files.files,
    runner: { kick: () => runner?.kick() },
    clock,
    retryAfterSeconds: config.bulkRetryAfterSeconds,
    kindFor: () => 'bulk',
    withheld: async (job) => [...((await providerAccess?.withheld(job)) ?? []), ...((await payerToPayer?.withheld(job)) ?? [])],
  });
  const appDeps = { config: { ...config, baseUrl }, store, registry, validate: validator.validate, clock, newId, bulk };
  /** How the APIs turn search parameters into store filters (one for all of them). */
  const policy = policyDeps(registry, clock, baseUrl);
  const engine = engineContext(appDeps);
  const pa = providerAccessApi({
    store,
    docs,
    registry,
    engine,
    policy,
    clients: auth.deps.clients,
    payer: { reference: config.payerOrganization },
    claimsMonths: config.attributionClaimsMonths,
    clock,
    newId,
  });
  providerAccess = pa;
  const payerOrg = await store.current('Organization', config.payerOrganization.slice('Organization/'.length));
  const p2p = payerToPayerApi({
    store,
    docs,
    registry,
    engine,
    policy,
    clients: auth.deps.clients,
    payer: { reference: config.payerOrganization, ...(payerOrg && !payerOrg.del && (payerOrg.res as { name?: string }).name ? { display: (payerOrg.res as { name: string }).name } : {}) },
    ...(config.memberMatchRules ? { matchConfig: config.memberMatchRules } : {}),
    endpoints: config.payerEndpoints,
    instanceId,
    providerTreats: (patient, organization) => pa.isAttributed(patient, { organization }),
    clock,
    newId,
  });
  payerToPayer = p2p;
  const payerTimer =
    config.payerRequestMinutes > 0
      ? setInterval(() => {
          p2p.scheduler.tick().then(
            (report) => {
              if (report.discovered + report.attempted > 0) logger.info(report, 'payer-to-payer requests run');
            },
            (err: unknown) => logger.error({ err }, 'payer-to-payer scheduler failed'),
          );
        }, config.payerRequestMinutes * 60_000)
      : undefined;
  payerTimer?.unref();
  if ((await pa.attribution.lists.find({}, { limit: 1 })).length === 0 && (await store.find({ filter: { type: 'Patient' }, sort: [['_id', 1]], limit: 1 })).records.length > 0) {
    const report = await pa.rebuild('startup');
    logger.info({ ...report, ms: Date.now() - started }, 'attribution lists built from PCC/PCP assignment and claims');
  }
  const prior = priorAuthApi({ store, docs, policy, clients: auth.deps.clients, payer: config.payerOrganization, baseUrl, engine,
    instanceId,
    alertHours: config.paAlertHours,
    outboundLoopback: config.outboundLoopback,
    ...(config.dtrLaunchUrl ? { dtrLaunchUrl: config.dtrLaunchUrl } : {}),
    onAlert: (alert) => logger.warn({ request: alert.request, trackingNumber: alert.trackingNumber, kind: alert.kind, dueAt: alert.dueAt }, 'prior-authorization decision deadline at risk'),
    clock,
    newId,
  });
  priorAuth = prior;
  const deadlineTimer =
    config.paDeadlineMinutes > 0
      ? setInterval(() => {
          prior.deadlines.tick().catch((err: unknown) => logger.error({ err }, 'prior-authorization deadline scheduler failed'));
          prior.subscriptions.retry().catch((err: unknown) => logger.error({ err }, 'PAS notification retry failed'));
        }, config.paDeadlineMinutes * 60_000)
      : undefined;
  deadlineTimer?.unref();
  const rulesCreated = await prior.ensureRules(async () => {
    const { initialPaRuleSet } = await import('./synthetic/prior-auth/pa-rule-set.js');
    // The demo services come with the demo data (their DTR Questionnaires are in it); otherwise staff add them.
    const demoQuestionnaires = await store.current('Questionnaire', 'pa-cpap');
    return initialPaRuleSet(demoQuestionnaires !== undefined && !demoQuestionnaires.del);
  });
  if (rulesCreated) logger.info('saved the first version of the prior-authorization rules');
  const adminCredentials = await ensureBootstrapAdmin(auth.deps, config.dataDir);
  if (adminCredentials.created) logger.info({ path: adminCredentials.path }, 'wrote the bootstrap admin credential');
  const demo = seeded > 0 ? await createDemoLogins(auth.deps, store, config.dataDir) : readDemoLogins(config.dataDir);
  // Attribution lists keep their members in the attribution store; any other Group lists them itself.
  const generic = {
    async *groupMembers(groupId: string, at: number): AsyncIterable<string[]> {
      if (await pa.attribution.lists.get(groupId)) yield* pa.hooks.groupMembers(groupId, at);
      else yield* groupResourceMembers(store, groupId, at, 200);
    },
  };
  runner = exportRunner({
    store,
    docs,
    files: files.files,
    clock,
    instanceId,
    retentionMs: config.bulkRetentionHours * 3_600_000,
    leaseMs: config.bulkLeaseSeconds * 1000,
    hooks: (kind) => (kind === PROVIDER_ACCESS_KIND ? pa.hooks : kind === PAYER_TO_PAYER_KIND ? p2p.hooks : generic),
    tasks: (kind) => p2p.tasks(kind),
    onError: (err, jobId) => logger.error({ err, jobId }, 'bulk export failed'),
  });
  const rebuildTimer =
    config.attributionRebuildHours > 0
      ? setInterval(() => {
          pa.rebuild('schedule').then(
            (report) => logger.info(report, 'attribution lists rebuilt'),
            (err: unknown) => logger.error({ err }, 'attribution rebuild failed'),
          );
        }, config.attributionRebuildHours * 3_600_000)
      : undefined;
  rebuildTimer?.unref();
  const app = createApp({
    ...appDeps,
    // Payer-to-Payer first: its Group export operations answer payer clients only and leave the rest.
    apis: mergeApis(
      p2p.parts(
        (app) => {
          payerToPayerRoutes({ api: p2p, verify: auth.verify, auth: auth.deps, payer: config.payerOrganization })(app);
          outboundRoutes({ outbound: p2p.outbound, scheduler: p2p.scheduler, verify: auth.verify })(app);
        },
      ),
      prior.parts((app) => {
        paRulesRoutes({ rules: prior.rules, verify: auth.verify, clock })(app);
        prior.cdsRoutes(app);
        reviewRoutes({ review: prior.review, deadlines: prior.deadlines, verify: auth.verify, auth: auth.deps })(app);
        metricsRoutes({
          metrics: metrics({ store, policy }),
          services: () => servicesNeedingPa(prior.rules, clock().toISOString().slice(0, 10)),
          verify: auth.verify,
          clock,
        })(app);
      }),
      pa.parts(providerAccessRoutes({ api: pa, auth: auth.deps, verify: auth.verify, docs, claimsMonths: config.attributionClaimsMonths })),
    ),
    capabilityStatement,
    auth,
    smartConfiguration: () => smartConfiguration(issuerFor(baseUrl)),
    logger,
    clock,
    newId,
  });
  server.removeAllListeners('request');
  server.on('request', app);
  runner.start();
  return {
    url: `http://${host}:${port}`,
    baseUrl,
    server,
    store,
    registry,
    docs,
    auth,
    seeded,
    adminCredentials,
    ...(demo ? { demo } : {}),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (rebuildTimer) clearInterval(rebuildTimer);
      if (payerTimer) clearInterval(payerTimer);
      if (deadlineTimer) clearInterval(deadlineTimer);
      await runner?.stop();
      await store.close();
      await docs.close();
      await files.close();
    },
  };
}
