/**
 * All configuration, from environment variables, validated in one place. Each setting has its env
 * name, default and a line of documentation; `npm run config:doc` prints the README table from this.
 */
import { z } from 'zod';
import { configProblems, MATCH_FIELDS, type MatchConfig } from './domain/member-matching.js';

interface Setting<T extends z.ZodType> {
  env: string;
  schema: T;
  doc: string;
}

const setting = <T extends z.ZodType>(env: string, schema: T, doc: string): Setting<T> => ({ env, schema, doc });

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** A setting whose value is JSON text: parsed, or an issue "not JSON". */
function parseJson(text: string, ctx: z.RefinementCtx): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}

/** PAYER_ENDPOINTS: JSON array, one entry per other payer this server requests data from. */
export const payerEndpointSchema = z
  .object({
    /** The other payer's Organization in our store (what members' Coverages and opt-ins name). */
    payer: z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/),
    fhirBase: z.string().url(),
    tokenUrl: z.string().url(),
    clientId: z.string().min(1).max(200),
    /** A file holding our private JWK (with kid and alg) registered with that payer, or `{ "key": <JWK> }`. */
    keyFile: z.string().min(1),
    scope: z.string().min(1).default('system/*.rs'),
  })
  .strict();
export type PayerEndpoint = z.output<typeof payerEndpointSchema>;

const payerEndpoints = z
  .string()
  .transform(parseJson)
  .pipe(z.array(payerEndpointSchema).max(100))
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const e of list) {
      if (seen.has(e.payer)) ctx.addIssue({ code: 'custom', message: `${e.payer} is listed twice` });
      seen.add(e.payer);
    }
  });

/** MEMBER_MATCH_RULES: JSON `{ "rules": [{ field, compare, weight, required }], "threshold" }`, checked for sense. */
const matchRules = z
  .string()
  .transform(parseJson)
  .pipe(
    z.object({
      rules: z
        .array(z.object({ field: z.enum(MATCH_FIELDS), compare: z.enum(['exact', 'normalised']), weight: z.number().finite(), required: z.boolean().default(false) }).strict())
        .min(1)
        .max(MATCH_FIELDS.length),
      threshold: z.number().finite(),
    }).strict(),
  )
  .superRefine((c: MatchConfig, ctx) => {
    for (const message of configProblems(c)) ctx.addIssue({ code: 'custom', message });
  });

export const SETTINGS = {
  port: setting('PORT', int(0, 65535).default(8080), 'TCP port to listen on.'),
  host: setting('HOST', z.string().min(1).default('0.0.0.0'), 'Interface to listen on (`127.0.0.1` for local only).'),
  baseUrl: setting(
    'BASE_URL',
    z.string().url().optional(),
    'Public FHIR base used in links, fullUrls and Location headers. Default `http://localhost:<port>/fhir` (the port actually bound).',
  ),
  store: setting('STORE', z.enum(['embedded', 'mongodb']).default('embedded'), 'Storage adapter: `embedded` (in process, persisted under DATA_DIR) or `mongodb`.'),
  dataDir: setting('DATA_DIR', z.string().min(1).default('./data'), 'Data folder: the embedded store, the authorization server keys, the bootstrap admin credential and demo logins.'),
  mongodbUri: setting('MONGODB_URI', z.string().optional(), 'MongoDB connection string; required when STORE=mongodb.'),
  mongodbDb: setting('MONGODB_DB', z.string().min(1).default('fhir'), 'MongoDB database name.'),
  seedMembers: setting('SEED_MEMBERS', int(0, 1_000_000).default(200), 'Members of synthetic demo data generated on first start into an empty store; `0` for an empty server.'),
  seed: setting('SEED', int(0, 2 ** 31 - 1).default(1), 'Random seed of the demo data (same seed, same data).'),
  logLevel: setting('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino log level.'),
  maxBodyBytes: setting('MAX_BODY_BYTES', int(1024, 512 * 1024 * 1024).default(10 * 1024 * 1024), 'Largest accepted request body; larger → 413.'),
  defaultCount: setting('DEFAULT_COUNT', int(1, 10_000).default(20), 'Page size of a search without `_count`.'),
  maxCount: setting('MAX_COUNT', int(1, 10_000).default(1000), 'Largest page size; a larger `_count` is reduced to this.'),
  maxBundleEntries: setting('MAX_BUNDLE_ENTRIES', int(1, 100_000).default(10_000), 'Most entries in a batch or transaction Bundle.'),
  bulkRetentionHours: setting('BULK_RETENTION_HOURS', int(1, 24 * 30).default(24), 'How long a finished bulk export job and its files are kept (the manifest carries an Expires header).'),
  bulkRetryAfterSeconds: setting('BULK_RETRY_AFTER_SECONDS', int(1, 3600).default(2), 'Retry-After sent to clients polling a running bulk export.'),
  bulkLeaseSeconds: setting(
    'BULK_LEASE_SECONDS',
    int(1, 3600).default(30),
    'How long a running export job stays claimed by its instance without renewal; after a crash, another instance (or the restarted one) takes it up once this runs out.',
  ),
  payerOrganization: setting(
    'PAYER_ORGANIZATION',
    z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/).default('Organization/org-masshealth'),
    "The program's own Organization resource: managingEntity of attribution Groups, the party Provider Access Consents name.",
  ),
  attributionClaimsMonths: setting(
    'ATTRIBUTION_CLAIMS_MONTHS',
    int(1, 60).default(12),
    'Provider Access attribution: a claim from an organization within this many months attributes the member to it.',
  ),
  attributionRebuildHours: setting(
    'ATTRIBUTION_REBUILD_HOURS',
    int(0, 24 * 7).default(24),
    'How often the attribution lists are rebuilt from PCC/PCP assignment and claims (`0`: only at seeding and on request).',
  ),
  memberMatchRules: setting(
    'MEMBER_MATCH_RULES',
    matchRules.optional(),
    'Member matching (`$member-match`, `$bulk-member-match`), JSON `{"rules":[{"field","compare","weight","required"}],"threshold"}`; fields ' +
      '`family`, `given`, `birthDate`, `gender`, `memberId`, `postalCode`, `phone`, `email`; compare `exact` or `normalised`. Default: last name, first name, date of birth and gender ' +
      'required (20 each) and the member ID (20: the same confirms, a different one sinks the score), threshold 80. See README "Member matching".',
  ),
  payerEndpoints: setting(
    'PAYER_ENDPOINTS',
    payerEndpoints.default([]),
    'Other payers this server requests Payer-to-Payer data from, JSON `[{"payer":"Organization/<id>","fhirBase","tokenUrl","clientId","keyFile","scope"?}]`; `keyFile` holds our private JWK registered with that payer (SMART Backend Services). Default none.',
  ),
  payerRequestMinutes: setting(
    'PAYER_REQUEST_MINUTES',
    int(0, 24 * 60).default(60),
    'How often the Payer-to-Payer scheduler looks for members to request data for (new enrollments with an opt-in; concurrent payers quarterly) and retries failed steps (`0`: only on request).',
  ),
  paDeadlineMinutes: setting(
    'PA_DEADLINE_MINUTES',
    int(0, 24 * 60).default(5),
    'How often the prior-authorization deadline scheduler looks for pended requests about to breach their decision deadline (72 h expedited, 7 days standard) and raises alerts (`0`: only on request). Every instance runs it; a lease in the store makes one work at a time.',
  ),
  dtrLaunchUrl: setting(
    'DTR_LAUNCH_URL',
    z.string().url().optional(),
    'SMART launch URL of a DTR app. When set, a CRD answer that needs documentation also carries a card with a `smart` link to it (appContext: the coverage-assertion-id, Questionnaire and order), for EHRs that launch DTR from a card; CRD 2.0 EHRs launch DTR from the coverage-information extension either way.',
  ),
  outboundLoopback: setting(
    'OUTBOUND_LOOPBACK',
    bool.default(false),
    'Let callers make the server call loopback addresses (http://localhost, 127.0.0.1): PAS Subscription rest-hook endpoints and a CRD request\'s fhirServer. For tests and local development; off, only https URLs on other hosts are called.',
  ),
  paAlertHours: setting('PA_ALERT_HOURS', int(1, 24 * 14).default(24), 'A pended prior-authorization request due within this many hours raises a due-soon alert (one per request, across instances).'),
  fsync: setting('FSYNC', bool.default(false), 'Embedded store: fsync every write (survives power loss, not only a killed process; slower).'),
  accessTokenSeconds: setting('ACCESS_TOKEN_SECONDS', int(60, 86_400).default(3600), 'Lifetime of access tokens issued to apps (backend tokens: 300 s).'),
  externalIssuer: setting('AUTH_EXTERNAL_ISSUER', z.string().url().optional(), 'Issuer (`iss`) of an external OpenID Connect authorization server whose access tokens are also accepted.'),
  externalJwksUrl: setting('AUTH_EXTERNAL_JWKS_URL', z.string().url().optional(), "The external server's JWKS URL; required with AUTH_EXTERNAL_ISSUER."),
  externalAudience: setting('AUTH_EXTERNAL_AUDIENCE', z.string().min(1).optional(), 'Accepted `aud` of external tokens. Default: the FHIR base.'),
  externalPatientClaim: setting('AUTH_EXTERNAL_PATIENT_CLAIM', z.string().min(1).default('patient'), 'Claim of external tokens that carries the patient id (patient-context tokens).'),
  externalStaffClients: setting(
    'AUTH_EXTERNAL_STAFF_CLIENTS',
    z.string().default('').transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
    'Comma-separated client ids (`client_id`/`azp`) of the external server whose tokens without a patient reach every member (payer staff tools). Others reach reference data only.',
  ),
} as const;

type Settings = typeof SETTINGS;
type Raw = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

export type Config = Raw;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, s] of Object.entries(SETTINGS)) {
    const raw = env[s.env];
    const parsed = s.schema.safeParse(raw === '' ? undefined : raw);
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${s.env}: ${parsed.error.issues.map((i) => i.message).join(', ')}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  const raw = out as Raw;
  if (raw.store === 'mongodb' && !raw.mongodbUri) throw new ConfigError('Invalid configuration:\n  MONGODB_URI is required when STORE=mongodb');
  if (raw.maxCount < raw.defaultCount) throw new ConfigError('Invalid configuration:\n  MAX_COUNT must be at least DEFAULT_COUNT');
  if ((raw.externalIssuer === undefined) !== (raw.externalJwksUrl === undefined)) {
    throw new ConfigError('Invalid configuration:\n  AUTH_EXTERNAL_ISSUER and AUTH_EXTERNAL_JWKS_URL go together');
  }
  return { ...raw, baseUrl: raw.baseUrl?.replace(/\/+$/, '') };
}

/** The README's configuration table, generated from SETTINGS so the two cannot drift. */
export function configTable(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const parsed = s.schema.safeParse(undefined);
    const empty = !parsed.success || parsed.data === undefined || (Array.isArray(parsed.data) && parsed.data.length === 0);
    const def = empty ? '—' : `\`${String(parsed.data)}\``;
    return `| \`${s.env}\` | ${def} | ${s.doc} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
