/**
 * Composition root: configuration → logger → server (store, registry, validator, app) → listen, and a
 * clean shutdown on SIGINT/SIGTERM. Prints where to go once it is listening.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';
import { issuerFor } from './auth/auth-deps.js';
import type { DemoLogins } from './demo-logins.js';

/** What a newcomer needs to try a SMART launch against the demo data. */
function demoLines(demo: DemoLogins | undefined, issuer: string, fhirBase: string): string[] {
  if (!demo) return ['  Demo logins:        none (no demo data in this data folder)'];
  const authorize = new URL(`${issuer}/auth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: demo.patientApp.client_id,
    redirect_uri: demo.patientApp.redirect_uri,
    scope: demo.patientApp.scope,
    state: 'demo',
    aud: fhirBase,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return [
    `  Demo password:      ${demo.password}   (every demo login below)`,
    ...demo.members.map((m, i) => `  Demo member ${i + 1}:     member ID ${m.memberId}, date of birth ${m.birthDate} (Patient/${m.patient})`),
    ...(demo.provider ? [`  Demo provider user: ${demo.provider.login} (Primary User of ${demo.provider.organization})`] : []),
    `  Demo payer staff:   ${demo.staff.login}`,
    `  Demo patient app:   client_id ${demo.patientApp.client_id}, redirect ${demo.patientApp.redirect_uri}, public (PKCE)`,
    ...(demo.providerBackend
      ? [
          `  Demo provider backend: client_id ${demo.providerBackend.client_id} (Provider Access, SMART Backend Services), private key ${demo.providerBackend.keyFile}`,
          `                      token: TOKEN=$(npm run -s token); then curl -H "Authorization: Bearer $TOKEN" ${fhirBase}/Group`,
        ]
      : []),
    `  Try a launch:       ${authorize.toString()}`,
    '                      (code_verifier dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk; the code arrives on the redirect URL)',
    `  Member account:     ${issuer}/account`,
    `  PA review queue:    ${issuer}/review/prior-auth (sign in as the demo payer staff)`,
  ];
}

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
  const issuer = issuerFor(running.baseUrl);
  const lines = [
    '',
    `  FHIR server ready (${config.store} store, ${resources} resources${running.seeded ? `, ${running.seeded} generated now` : ''})`,
    `  FHIR base:          ${running.baseUrl}`,
    `  CapabilityStatement ${running.baseUrl}/metadata (open; every other FHIR route needs a SMART token)`,
    `  SMART discovery:    ${issuer}/.well-known/smart-configuration`,
    `  Admin credential:   ${running.adminCredentials.path}${running.adminCredentials.created ? ' (created now)' : ''}`,
    `                      token: curl -u "$(jq -r '.client_id+":"+.client_secret' ${running.adminCredentials.path})" -d grant_type=client_credentials -d scope='system/*.rs' ${issuer}/auth/token`,
    `  Prior authorization: CRD ${issuer}/cds-services · PAS ${running.baseUrl}/Claim/$submit · DTR ${running.baseUrl}/Questionnaire/$questionnaire-package · published list ${issuer}/prior-auth/services.json`,
    ...demoLines(running.demo, issuer, running.baseUrl),
    `  Listening on        ${running.url}`,
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
