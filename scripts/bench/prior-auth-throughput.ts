/**
 * Prior Authorization API throughput: a PAS `Claim/$submit` the rules approve at once (a CPAP with a
 * qualifying DTR sleep study: validation, member lookup, rules, a four-record transaction and the PDex
 * view), and a CRD `order-sign` CDS Hooks call (JWT check with replay marker, member and provider
 * lookups, the coverage rules, the assertion kept), each loaded with autocannon against the real server
 * beside same-run ceilings: bare node:http and bare express 5 answering the same recorded response bytes
 * to the same POSTs (express parses the JSON body, as the app does). Ratios are what to watch.
 *
 * The server runs on a fresh data folder with demo data (the submissions add records; the cached
 * 10,000-member folder of the read scenarios is left alone). Each CRD call needs its own JWT (a fresh
 * jti): they are signed before the run, so each run is a fixed number of requests, not a duration.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startChild } from './child-process.js';
import type { ServerReady } from './serve-fhir.js';
import type { RecordedResponse } from './serve-ceiling.js';

export interface PaRun {
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export interface PaScenarioReport {
  name: string;
  description: string;
  fhir: PaRun;
  express: PaRun;
  node: PaRun;
  ratioToExpress: number;
  ratioToNode: number;
}

export interface PriorAuthThroughputReport {
  members: number;
  connections: number;
  scenarios: PaScenarioReport[];
}

export interface PriorAuthOptions {
  root: string;
  /** Demo members on the fresh data folder. */
  members: number;
  connections: number;
  /** Requests per measured run (after a warm-up of a fifth of that). */
  requests: number;
  nodeFlags: string[];
  log: (msg: string) => void;
  /** Write a CPU profile of the server's measured run per scenario into this folder. */
  profileDir?: string;
}

interface Request {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

function load(url: string, requests: Request[], connections: number): Promise<Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        amount: requests.length,
        timeout: 20,
        requests: [
          {
            setupRequest: (req) => {
              const r = requests[next];
              next = (next + 1) % requests.length;
              return { ...req, method: r.method, path: r.path, headers: { ...req.headers, ...r.headers }, body: r.body };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** Requests over the run's wall time measured here (autocannon's own duration is in whole seconds, too coarse for a short fixed-count run). */
function runOf(r: Result, ms: number): PaRun {
  return { requests: r.requests.total, requestsPerSec: (r.requests.total * 1000) / ms, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx };
}

export async function measurePriorAuth(o: PriorAuthOptions): Promise<PriorAuthThroughputReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pa-'));
  const bench = join(o.root, 'scripts', 'bench');
  o.log(`prior auth: seeding ${o.members} demo members into a fresh data folder`);
  const server = await startChild<ServerReady>(join(bench, 'serve-fhir.ts'), { args: [dataDir, String(o.members)], nodeFlags: o.nodeFlags, cwd: o.root, timeoutMs: 600_000 });
  try {
    const url = server.ready.url;
    const staff = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: server.ready.authorization, accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };
    // An FFS member enrolled today, an organization with an NPI, and its EHR as a provider backend.
    type B = { entry?: Array<{ resource: Record<string, unknown> & { id: string } }> };
    const coverages = await staff<B>('GET', '/fhir/Coverage?status=active&_count=500');
    const coverage = coverages.entry?.map((e) => e.resource).find((c) => JSON.stringify(c).includes('"value":"FFS"') && !(c.period as { end?: string } | undefined)?.end);
    if (!coverage) throw new Error('no FFS member enrolled today in the demo data');
    const memberId = String(coverage.subscriberId);
    const orgs = await staff<B>('GET', '/fhir/Organization?_count=200');
    const org = orgs.entry?.map((e) => e.resource).find((r) => r.id !== 'org-masshealth' && JSON.stringify(r.identifier ?? []).includes('us-npi'));
    if (!org) throw new Error('no provider organization with an NPI');
    const npi = (org.identifier as Array<{ system: string; value: string }>).find((i) => i.system.endsWith('us-npi'))?.value as string;
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const client = await staff<{ client_id: string }>('POST', '/admin/clients', { name: 'Bench EHR', role: 'provider', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-ehr', alg: 'ES256' }] }, organization: `Organization/${org.id}` });
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'bench-ehr' }).setIssuer(client.client_id).setSubject(client.client_id).setAudience(`${url}/auth/token`).setExpirationTime('2m').sign(privateKey);
    const tokenRes = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Claim.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString() });
    const token = String(((await tokenRes.json()) as { access_token: string }).access_token);

    const day = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const submitBody = JSON.stringify({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: new Date().toISOString(),
      entry: [
        { fullUrl: 'urn:uuid:claim', resource: { resourceType: 'Claim', identifier: [{ system: 'http://ehr.example.org/pa', value: 'bench' }], status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] }, use: 'preauthorization', patient: { reference: 'urn:uuid:pat' }, created: new Date().toISOString(), insurer: { reference: 'urn:uuid:ins' }, provider: { reference: 'urn:uuid:req' }, priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'urn:uuid:cov' } }], supportingInfo: [{ sequence: 1, category: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASSupportingInfoType', code: 'additionalInformation' }] }, valueReference: { reference: 'urn:uuid:qr' } }], item: [{ sequence: 1, category: { coding: [{ system: 'https://codesystem.x12.org/005010/1365', code: '12' }] }, productOrService: { coding: [{ system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'E0601' }] }, servicedPeriod: { start: day(7), end: day(90) }, quantity: { value: 1 } }] } },
        { fullUrl: 'urn:uuid:pat', resource: { resourceType: 'Patient', identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, value: memberId }] } },
        { fullUrl: 'urn:uuid:cov', resource: { resourceType: 'Coverage', status: 'active', subscriberId: memberId, beneficiary: { reference: 'urn:uuid:pat' }, payor: [{ reference: 'urn:uuid:ins' }] } },
        { fullUrl: 'urn:uuid:ins', resource: { resourceType: 'Organization', name: 'MassHealth' } },
        { fullUrl: 'urn:uuid:req', resource: { resourceType: 'Organization', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: npi }] } },
        { fullUrl: 'urn:uuid:qr', resource: { resourceType: 'QuestionnaireResponse', questionnaire: 'https://masshealth.example.org/fhir/Questionnaire/pa-cpap|1.0.0', status: 'completed', subject: { reference: 'urn:uuid:pat' }, item: [{ linkId: 'sleep-study', answer: [{ valueBoolean: true }] }, { linkId: 'ahi', answer: [{ valueDecimal: 21 }] }] } },
      ],
    });
    const hookBody = JSON.stringify({
      hook: 'order-sign',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/u', patientId: 'p', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'ServiceRequest', id: 'mri', status: 'draft', intent: 'order', code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '70551' }] }, subject: { reference: 'Patient/p' }, occurrenceDateTime: day(10) } }] } },
      prefetch: { coverage: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Coverage', id: 'c', status: 'active', subscriberId: memberId, beneficiary: { reference: 'Patient/p' }, payor: [{ display: 'MassHealth' }] } }] } },
    });
    const total = o.requests + Math.ceil(o.requests / 5);
    const submitRequests: Request[] = [{ method: 'POST', path: '/fhir/Claim/$submit', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, body: submitBody }];
    o.log(`prior auth: signing ${total * 3} CDS Hooks JWTs (one per call)`);
    const aud = `${url}/cds-services/crd-order-sign`;
    const signJwts = async (n: number): Promise<Request[]> => {
      const out: Request[] = [];
      for (let i = 0; i < n; i++) {
        const jwt = await new SignJWT({ jti: randomUUID(), sub: client.client_id }).setProtectedHeader({ alg: 'ES256', kid: 'bench-ehr', typ: 'JWT' }).setIssuer('https://ehr.example.org').setAudience(aud).setIssuedAt().setExpirationTime('4m').sign(privateKey);
        out.push({ method: 'POST', path: '/cds-services/crd-order-sign', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: hookBody });
      }
      return out;
    };

    const scenarios: PaScenarioReport[] = [];
    for (const sc of [
      { name: 'pas-submit-auto', description: 'POST /fhir/Claim/$submit: CPAP with a qualifying sleep study, approved by the rules', requests: () => Promise.resolve(Array.from({ length: total }, () => submitRequests[0])) },
      { name: 'crd-order-sign', description: 'POST /cds-services/crd-order-sign: MRI brain, PA needed + DTR Questionnaire', requests: () => signJwts(total) },
    ]) {
      // Record the real answer for the ceilings.
      const probe = (await sc.requests())[0];
      const recordedRes = await fetch(`${url}${probe.path}`, { method: 'POST', headers: probe.headers, body: probe.body });
      const recordedBody = Buffer.from(await recordedRes.arrayBuffer());
      if (recordedRes.status !== 200) throw new Error(`${sc.name}: answered ${recordedRes.status}: ${recordedBody.toString('utf8').slice(0, 500)}`);
      const recorded: RecordedResponse = { status: 200, headers: { 'content-type': recordedRes.headers.get('content-type') ?? 'application/json' }, body: recordedBody.toString('base64') };
      const fixture = join(dataDir, `${sc.name}.json`);
      writeFileSync(fixture, JSON.stringify(recorded));

      const measure = async (target: string, reqs: Request[]): Promise<PaRun> => {
        const warm = Math.ceil(o.requests / 5);
        await load(target, reqs.slice(0, warm), o.connections);
        const started = performance.now();
        const result = await load(target, reqs.slice(warm), o.connections);
        return runOf(result, performance.now() - started);
      };
      o.log(`${sc.name}: FHIR server`);
      if (o.profileDir) await server.ask({ cmd: 'profile-start' });
      const fhir = await measure(url, await sc.requests());
      if (o.profileDir) await server.ask({ cmd: 'profile-stop', file: join(o.profileDir, `${sc.name}.cpuprofile`) });
      const ceiling = async (kind: 'node' | 'express'): Promise<PaRun> => {
        o.log(`${sc.name}: ${kind} ceiling`);
        const child = await startChild<{ url: string }>(join(bench, 'serve-ceiling.ts'), { args: [kind, fixture], cwd: o.root, timeoutMs: 60_000 });
        try {
          return await measure(child.ready.url, await sc.requests());
        } finally {
          await child.stop();
        }
      };
      const express = await ceiling('express');
      const node = await ceiling('node');
      scenarios.push({ name: sc.name, description: sc.description, fhir, express, node, ratioToExpress: fhir.requestsPerSec / express.requestsPerSec, ratioToNode: fhir.requestsPerSec / node.requestsPerSec });
      o.log(`${sc.name}: ${Math.round(fhir.requestsPerSec)} req/s (${(fhir.requestsPerSec / express.requestsPerSec).toFixed(2)} × express), p99 ${fhir.p99Ms} ms`);
    }
    return { members: o.members, connections: o.connections, scenarios };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatPriorAuthThroughput(r: PriorAuthThroughputReport): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'express req/s', 'node req/s', '× express', '× node'];
  const rows = r.scenarios.map((s) => [s.name, String(Math.round(s.fhir.requestsPerSec)), String(s.fhir.p50Ms), String(s.fhir.p99Ms), String(s.fhir.non2xx), String(Math.round(s.express.requestsPerSec)), String(Math.round(s.node.requestsPerSec)), s.ratioToExpress.toFixed(3), s.ratioToNode.toFixed(3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [
    '',
    `Prior Authorization API: ${r.connections} connections, fresh data folder with ${r.members} demo members`,
    '',
    line(header),
    rule,
    ...rows.map(line),
    '',
    ...r.scenarios.map((s) => `  ${s.name}: ${s.description}`),
    '  ceilings: bare express 5 (JSON body parsed) and bare node:http answering the same recorded bytes to the same POSTs',
    `  CRD target: under one second for a typical request — p99 ${r.scenarios.find((s) => s.name === 'crd-order-sign')?.fhir.p99Ms ?? '?'} ms under load`,
    '',
  ].join('\n');
}
