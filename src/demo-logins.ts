/**
 * Demo sign-ins for the synthetic data, created on the first start that generated it: five member
 * logins (member ID + date of birth + one generated password), a provider organization's Primary User,
 * a payer staff user, a ready public patient app, a provider-facing EHR-launch app, and a SMART Backend
 * Services client of that provider organization (Provider Access bulk export) whose ES384 private key
 * is generated here into `<DATA_DIR>/demo-provider-backend.json` (mode 0600; `npm run token` signs
 * with it). The password is random per data folder and kept in `<DATA_DIR>/demo-logins.json` (mode
 * 0600) so later starts can print it again. Nothing here runs on a server without demo data.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Group, Location, Patient } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair } from 'jose';
import type { ResourceStore } from './store/port.js';
import type { AuthDeps } from './auth/auth-deps.js';
import { PATIENT_APP_CEILING } from './auth/dynamic-registration.js';
import { randomToken } from './auth/secrets.js';
import { IDENTIFIER_SYSTEM } from './domain/systems.js';

export const DEMO_REDIRECT_URI = 'http://localhost:9090/callback';

export interface DemoLogins {
  password: string;
  members: Array<{ memberId: string; birthDate: string; patient: string; name: string }>;
  provider?: { login: string; organization: string; locations: string[] };
  staff: { login: string };
  patientApp: { client_id: string; redirect_uri: string; scope: string };
  providerApp: { client_id: string; redirect_uri: string; scope: string };
  /** The provider organization's backend client and where its private key is. */
  providerBackend?: { client_id: string; keyFile: string; scope: string };
}

/** What `<DATA_DIR>/demo-provider-backend.json` holds: enough to sign a client assertion. */
export interface BackendKeyFile {
  client_id: string;
  scope: string;
  /** The private key (JWK, with kid and alg). */
  key: Record<string, unknown> & { kid: string; alg: string };
}

const fileOf = (dataDir: string): string => join(dataDir, 'demo-logins.json');
export const BACKEND_KEY_FILE = 'demo-provider-backend.json';

export function readDemoLogins(dataDir: string): DemoLogins | undefined {
  const path = fileOf(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DemoLogins) : undefined;
}

async function firstPatients(store: ResourceStore, n: number): Promise<Patient[]> {
  const { records } = await store.find({ filter: { type: 'Patient' }, sort: [['_id', 1]], limit: n });
  return records.map((r) => r.res as Patient);
}

async function providerOrganization(store: ResourceStore): Promise<{ organization: string; locations: string[] } | undefined> {
  const { records } = await store.find({ filter: { type: 'Group' }, sort: [['_id', 1]], limit: 1 });
  const org = (records[0]?.res as Group | undefined)?.characteristic?.find((c) => c.valueReference?.reference?.startsWith('Organization/'))?.valueReference?.reference;
  if (!org) return undefined;
  const locs = await store.find({ filter: { type: 'Location', 'sp.organization': org }, sort: [['_id', 1]], limit: 50 });
  const locations = locs.records.flatMap((r) => (r.res as Location).identifier?.filter((i) => i.system === IDENTIFIER_SYSTEM.pidSl).map((i) => i.value as string) ?? []);
  return { organization: org, locations };
}

export async function createDemoLogins(auth: AuthDeps, store: ResourceStore, dataDir: string): Promise<DemoLogins> {
  const password = `demo-${randomToken(9)}`;
  const members: DemoLogins['members'] = [];
  for (const p of await firstPatients(store, 5)) {
    const memberId = p.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value;
    if (!memberId || !p.birthDate || !p.id) continue;
    const name = [...(p.name?.[0]?.given ?? []), p.name?.[0]?.family].filter(Boolean).join(' ');
    await auth.users.create({ kind: 'member', login: memberId, birthDate: p.birthDate, password, patientId: p.id, fhirUser: `Patient/${p.id}`, name });
    members.push({ memberId, birthDate: p.birthDate, patient: p.id, name });
  }
  const org = await providerOrganization(store);
  if (org) await auth.users.create({ kind: 'provider', login: 'demo-provider', password, organization: org.organization, locations: org.locations, primary: true, name: 'Demo Primary User' });
  await auth.users.create({ kind: 'staff', login: 'demo-staff', password, name: 'Demo payer staff' });
  const patientScope = PATIENT_APP_CEILING.join(' ');
  const patientApp = await auth.clients.register({ name: 'Demo patient app', role: 'app', authMethod: 'none', redirectUris: [DEMO_REDIRECT_URI], scopes: PATIENT_APP_CEILING }, 'demo-patient-app');
  const providerScopes = ['launch', 'openid', 'fhirUser', 'patient/*.rs', 'user/Organization.rs', 'user/Practitioner.rs', 'user/Location.rs', 'online_access'];
  const providerApp = await auth.clients.register({ name: 'Demo provider app', role: 'app', authMethod: 'none', redirectUris: [DEMO_REDIRECT_URI], scopes: providerScopes }, 'demo-provider-app');
  const providerBackend = org ? await createProviderBackend(auth, org.organization, dataDir) : undefined;
  const logins: DemoLogins = {
    password,
    members,
    ...(org ? { provider: { login: 'demo-provider', ...org } } : {}),
    staff: { login: 'demo-staff' },
    patientApp: { client_id: patientApp.client._id, redirect_uri: DEMO_REDIRECT_URI, scope: patientScope },
    providerApp: { client_id: providerApp.client._id, redirect_uri: DEMO_REDIRECT_URI, scope: providerScopes.join(' ') },
    ...(providerBackend ? { providerBackend } : {}),
  };
  writeFileSync(fileOf(dataDir), JSON.stringify(logins, null, 2), { mode: 0o600 });
  return logins;
}

/** A provider backend (private_key_jwt, ES384) of the demo organization; the private key goes to the data folder only. */
async function createProviderBackend(auth: AuthDeps, organization: string, dataDir: string): Promise<NonNullable<DemoLogins['providerBackend']>> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `demo-${randomToken(6)}`;
  const scope = 'system/*.rs';
  const { client } = await auth.clients.register(
    {
      name: 'Demo provider backend (Provider Access)',
      role: 'provider',
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kty: 'EC', kid, alg: 'ES384', use: 'sig' }] },
      scopes: [scope],
      organization,
    },
    'demo-provider-backend',
  );
  const keyFile = join(dataDir, BACKEND_KEY_FILE);
  const content: BackendKeyFile = { client_id: client._id, scope, key: { ...(await exportJWK(privateKey)), kid, alg: 'ES384' } };
  writeFileSync(keyFile, JSON.stringify(content, null, 2), { mode: 0o600 });
  return { client_id: client._id, keyFile, scope };
}
