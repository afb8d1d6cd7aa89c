/**
 * Payer-to-Payer end to end with two instances of this server on loopback: A is the member's previous
 * payer (synthetic members with years of claims, clinical data and PAs), B the new one. B's staff record
 * the previous payer at enrollment, the member opts in, B's scheduler matches the member at A
 * with a SMART Backend Services token from A (`$bulk-member-match` with the opt-in Consents, then A's
 * payertopayer export of the matched Group; for a single member `$member-match` and `$everything`) and
 * imports the member's data. Checked on both sides, independently of the exchange code where it matters:
 *  - what arrives at B is exactly what A releases for the member (ids mapped back), each resource marked
 *    as received from A (meta.source, tag) and named by a Provenance with A as author;
 *  - a denied PA, a drug PA and a claim older than five years, made at A for the member, never cross;
 *    claims cross without payment and cost-sharing;
 *  - a member without an opt-in gets nothing (no request is made); a member A cannot match ends as
 *    no-match; a repeat exchange replaces rather than duplicates.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import type { Bundle, Claim, ClaimResponse, Coverage, ExplanationOfBenefit, Organization, Patient, Provenance, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';
import { paClaim, paClaimResponse, type PaRequestInput } from '../../../src/synthetic/prior-auth/pa-resources.js';
import { PA_SERVICES } from '../../../src/synthetic/tables/claim-codes.js';

const NPI = 'http://hl7.org/fhir/sid/us-npi';
const NPI_A = '1234567893';
const NPI_B = '1987654325';
const FHIR_JSON = 'application/fhir+json';
const DAY = 86_400_000;
const inDays = (n: number): string => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

let a: TestServer;
let b: TestServer;
let tmp: string;
/** The member at A, and the same person enrolled at B. */
let atA: Patient;
const AT_B = 'new-member';

async function put(srv: TestServer, resource: Resource): Promise<void> {
  const res = await authed(srv).put(`/fhir/${resource.resourceType}/${resource.id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(resource));
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

async function all<T extends Resource>(srv: TestServer, query: string): Promise<T[]> {
  const res = await authed(srv).get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_count=1000`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as T);
}

/** The program's rule, stated here independently of the server: a PA for drugs, or one whose every item was denied (X12 306 A3). */
function drugOrDeniedPa(e: ExplanationOfBenefit): boolean {
  if (e.use !== 'preauthorization') return false;
  if ((e.type?.coding ?? []).some((c) => c.code === 'pharmacy')) return true;
  const items = e.item ?? [];
  const drugs = items.length > 0 && items.every((i) => (i.productOrService?.coding ?? []).some((c) => c.system === 'http://hl7.org/fhir/sid/ndc' || c.system === 'http://www.nlm.nih.gov/research/umls/rxnorm'));
  const denied = items.length > 0 && items.every((i) => JSON.stringify(i.adjudication ?? []).includes('"code":"A3"'));
  return drugs || denied;
}

/** B's id of a resource A holds (as the importer names it: a hash of the payer, type and A's id). */
const atB = (type: string, id: string): string => `p2p${createHash('sha256').update(`Organization/payer-a|${type}|${id}`).digest('hex').slice(0, 40)}`;

async function paPair(srv: TestServer, id: string, patient: string, decision: 'approved' | 'denied', drug: boolean): Promise<void> {
  const cov = (await all<Coverage>(srv, `Coverage?beneficiary=Patient/${patient}`))[0];
  const submittedMs = Date.now() - 30 * DAY;
  const input: PaRequestInput = {
    id,
    trackingNumber: `T-${id}`,
    patientId: patient,
    payerId: (cov.payor[0].reference as string).split('/')[1],
    requesterOrgId: 'org-masshealth',
    coverageId: cov.id as string,
    service: PA_SERVICES.find((x) => x.label === 'physical-therapy') as PaRequestInput['service'],
    timeline: { priority: 'standard', submittedMs, dueMs: submittedMs + 7 * DAY, requestedQuantity: 2, requestedStart: inDays(-25), requestedEnd: inDays(30), decision, decidedMs: submittedMs + DAY, ...(decision === 'approved' ? { approvedQuantity: 2, approvedStart: inDays(-25), approvedEnd: inDays(30) } : { denialReason: 'insufficient-documentation' }) },
  };
  const claim: Claim = paClaim(input);
  const response: ClaimResponse = paClaimResponse({ ...input, responseId: `${id}-r`, paNumber: `PA${id}` });
  if (drug) claim.type = response.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'pharmacy' }] };
  const entry = [claim, response].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
  const res = await authed(srv).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'p2p-'));
  // A: the previous payer, with synthetic members.
  a = await startTestServer({ SEED_MEMBERS: '6' });
  const aOrg = (await authed(a).get('/fhir/Organization/org-masshealth')).body as Organization;
  await put(a, { ...aOrg, identifier: [...(aOrg.identifier ?? []), { system: NPI, value: NPI_A }] } as Organization);
  await put(a, { resourceType: 'Organization', id: 'payer-b', name: 'New Plan', identifier: [{ system: NPI, value: NPI_B }] } as Organization);
  // B's backend client at A (SMART Backend Services), its private key in a file for B's configuration.
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const reg = await authed(a).post('/admin/clients').send({ name: 'New Plan', role: 'payer', authMethod: 'private_key_jwt', scopes: ['system/*.rs'], jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'b-key', alg: 'ES384', use: 'sig' }] }, organization: 'Organization/payer-b' });
  expect(reg.status).toBe(201);
  const keyFile = join(tmp, 'b-at-a.json');
  writeFileSync(keyFile, JSON.stringify({ key: { ...(await exportJWK(privateKey)), kid: 'b-key', alg: 'ES384' } }), { mode: 0o600 });

  // The member at A: the seeded one with the most claims.
  const patients = await all<Patient>(a, 'Patient');
  let best = { p: patients[0], n: -1 };
  for (const p of patients) {
    const n = (await all<ExplanationOfBenefit>(a, `ExplanationOfBenefit?patient=${p.id}&use=claim`)).length;
    if (n > best.n) best = { p, n };
  }
  atA = best.p;
  expect(best.n).toBeGreaterThan(0);
  // Things that must never cross: a claim older than five years, a denied PA, a drug PA.
  const aClaim = (await all<ExplanationOfBenefit>(a, `ExplanationOfBenefit?patient=${atA.id}&use=claim`))[0];
  const old = inDays(-6 * 366);
  await put(a, { ...aClaim, id: 'old-claim', billablePeriod: { start: old, end: old }, item: (aClaim.item ?? []).map((i) => ({ ...i, servicedDate: old, servicedPeriod: undefined })) } as ExplanationOfBenefit);
  await paPair(a, 'x-denied', atA.id as string, 'denied', false);
  await paPair(a, 'x-drug', atA.id as string, 'approved', true);
  await paPair(a, 'x-ok', atA.id as string, 'approved', false);

  // B: the new payer, empty but for its directory and members.
  b = await startTestServer({
    SEED_MEMBERS: '0',
    PAYER_REQUEST_MINUTES: '0',
    PAYER_ENDPOINTS: JSON.stringify([{ payer: 'Organization/payer-a', fhirBase: a.baseUrl, tokenUrl: `${a.url}/auth/token`, clientId: String(reg.body.client_id), keyFile }]),
  });
  await put(b, { resourceType: 'Organization', id: 'org-masshealth', name: 'New Plan', identifier: [{ system: NPI, value: NPI_B }] } as Organization);
  await put(b, { resourceType: 'Organization', id: 'payer-a', name: 'Old Plan', identifier: [{ system: NPI, value: NPI_A }] } as Organization);
  const memberIdAtA = atA.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value as string;
  const enrol = async (id: string, p: Partial<Patient>, previousMemberId: string): Promise<void> => {
    await put(b, { resourceType: 'Patient', id, identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: `B-${id}` }], name: p.name, birthDate: p.birthDate, gender: p.gender } as Patient);
    await put(b, { resourceType: 'Coverage', id: `${id}-cov`, status: 'active', beneficiary: { reference: `Patient/${id}` }, subscriberId: `B-${id}`, relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] }, period: { start: inDays(-2) }, payor: [{ reference: 'Organization/org-masshealth' }] } as Coverage);
    // Enrollment: the previous payer, as staff record it.
    const other = await authed(b).post(`/admin/members/${id}/other-payers`).send({ payer: 'Organization/payer-a', memberId: previousMemberId, kind: 'previous', start: inDays(-800), end: inDays(-3) });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
  };
  await enrol(AT_B, atA, memberIdAtA);
  // The same person's sibling record without an opt-in, and a person A does not know.
  await enrol('no-opt-in', atA, memberIdAtA);
  await enrol('stranger', { name: [{ family: 'Unknown', given: ['Person'] }], birthDate: '1950-01-01', gender: 'other' }, 'NOPE');
  for (const id of [AT_B, 'stranger']) {
    const choice = await authed(b).put(`/admin/members/${id}/payer-exchange`).send({ payer: 'Organization/payer-a', choice: 'in' });
    expect(choice.status, JSON.stringify(choice.body)).toBe(200);
  }
}, 180_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('payer-to-payer between two servers', () => {
  let report: { discovered: number; done: number; finished: Record<string, number> };

  it('when B runs its exchange, then the opted-in members are requested, the known one matched and imported, the unknown one no-match, and nothing asked for the member without an opt-in', async () => {
    const run = await authed(b).post('/admin/payer-requests/run');
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    report = run.body as typeof report;
    expect(report).toMatchObject({ discovered: 2, done: 1, finished: { 'no-match': 1 } });
    const requests = (await authed(b).get('/admin/payer-requests')).body as Array<{ patient: string; status: string; theirPatient?: string; steps: Array<{ step: string; ok: boolean; detail: string }> }>;
    expect(requests.map((r) => [r.patient, r.status]).sort()).toEqual([[AT_B, 'done'], ['stranger', 'no-match']]);
    const done = requests.find((r) => r.patient === AT_B);
    expect(done?.theirPatient).toBe(atA.id);
    // Two members at one payer: one bulk exchange ($bulk-member-match, then the payertopayer export).
    expect(done?.steps.map((s) => s.step)).toEqual(['token', 'match', 'export', 'import']);
    expect(done?.steps.find((s) => s.step === 'match')?.detail).toMatch(/\(bulk\)$/);
    expect(await all<Resource>(b, `ExplanationOfBenefit?patient=no-opt-in`)).toEqual([]);
  });

  it('when the import is done, then B holds exactly what A releases for the member, as received data with A as source, and none of the excluded records', async () => {
    // What A releases to B for the member: B's own view at A (the link is in force), type by type.
    const types = ['ExplanationOfBenefit', 'Encounter', 'Condition', 'Observation', 'Coverage', 'Immunization', 'MedicationRequest', 'Procedure', 'DocumentReference', 'AllergyIntolerance'];
    const staffAtA = new Map<string, string[]>();
    for (const t of types) staffAtA.set(t, (await all<Resource>(a, `${t}?patient=${atA.id}`)).map((r) => r.id as string));
    const received = await all<Resource>(b, `ExplanationOfBenefit?patient=${AT_B}`);
    expect(received.length).toBeGreaterThan(0);
    // Independent of the exchange code: A's staff view minus the exclusions, mapped to B's ids.
    const excluded = new Set(['old-claim', 'pa-x-denied-r', 'pa-x-drug-r']);
    const fiveYearsAgo = Date.now() - 5 * 365.25 * DAY;
    const eobsAtA = await all<ExplanationOfBenefit>(a, `ExplanationOfBenefit?patient=${atA.id}`);
    const releasable = eobsAtA.filter((e) => !excluded.has(e.id as string) && Date.parse(e.billablePeriod?.end ?? e.billablePeriod?.start ?? e.created ?? '1900-01-01') >= fiveYearsAgo - 366 * DAY);
    const receivedIds = new Set(received.map((r) => r.id));
    for (const e of releasable.filter((x) => Date.parse(x.billablePeriod?.start ?? x.created ?? '') >= fiveYearsAgo + 180 * DAY && !drugOrDeniedPa(x))) {
      expect(receivedIds.has(atB('ExplanationOfBenefit', e.id as string)), e.id).toBe(true);
    }
    // And no drug or denied PA of the synthetic history crossed either.
    for (const e of eobsAtA.filter(drugOrDeniedPa)) expect(receivedIds.has(atB('ExplanationOfBenefit', e.id as string)), e.id).toBe(false);
    for (const id of excluded) expect(receivedIds.has(atB('ExplanationOfBenefit', id)), id).toBe(false);
    expect(receivedIds.has(atB('ExplanationOfBenefit', 'pa-x-ok-r'))).toBe(true);
    for (const r of received as ExplanationOfBenefit[]) {
      expect(r.payment, r.id).toBeUndefined();
      expect(r.total, r.id).toBeUndefined();
      expect(r.meta?.source).toBe(a.baseUrl);
      expect(r.meta?.tag?.some((t) => t.code === 'payer-to-payer')).toBe(true);
      expect(r.patient.reference).toBe(`Patient/${AT_B}`);
    }
    // Counts per type: B received, for each type, A's released records of the last five years.
    const requests = (await authed(b).get(`/admin/payer-requests?patient=${AT_B}`)).body as Array<{ imported: number }>;
    let total = 0;
    for (const t of types) total += (await all<Resource>(b, `${t}?patient=${AT_B}`)).length;
    expect(total).toBeGreaterThan(0);
    expect(requests[0].imported).toBeGreaterThanOrEqual(total);
    // A Provenance of B names A as author of what was imported.
    const provenance = await all<Provenance>(b, `Provenance?agent=Organization/payer-a`);
    const targets = new Set(provenance.flatMap((p) => p.target.map((t) => t.reference)));
    for (const r of received) expect(targets.has(`ExplanationOfBenefit/${r.id}`), r.id).toBe(true);
  });

  it('when the exchange runs again, then the data is replaced, not duplicated', async () => {
    const before = (await all<Resource>(b, `ExplanationOfBenefit?patient=${AT_B}`)).length;
    const importedBefore = ((await authed(b).get(`/admin/payer-requests?patient=${AT_B}`)).body as Array<{ imported: number }>)[0].imported;
    // Staff make the request due again, and the scheduler runs it: one member, so $member-match and
    // $everything this time; the same records arrive under the same ids.
    expect((await authed(b).post(`/admin/payer-requests/${AT_B}/payer-a/retry`)).status).toBe(200);
    const again = await authed(b).post('/admin/payer-requests/run');
    expect(again.body).toMatchObject({ attempted: 1, done: 1 });
    const importedAfter = ((await authed(b).get(`/admin/payer-requests?patient=${AT_B}`)).body as Array<{ imported: number }>)[0].imported;
    expect(importedAfter).toBe(2 * importedBefore);
    expect((await all<Resource>(b, `ExplanationOfBenefit?patient=${AT_B}`)).length).toBe(before);
    expect((await authed(b).post('/admin/payer-requests/nobody/payer-a/retry')).status).toBe(404);
  });

  it("when the member's record at B is read (Patient/$everything, the compartment a member's app and the member's providers read), then the received data is in it", async () => {
    const received = (await all<Resource>(b, `ExplanationOfBenefit?patient=${AT_B}`)).map((r) => `ExplanationOfBenefit/${r.id}`);
    expect(received.length).toBeGreaterThan(0);
    const everything = await authed(b).get(`/fhir/Patient/${AT_B}/$everything?_count=1000`);
    expect(everything.status).toBe(200);
    const inRecord = new Set(((everything.body as Bundle).entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    for (const ref of received) expect(inRecord.has(ref), ref).toBe(true);
    // A's audit trail shows the disclosure to B's client.
    const audit = await all<Resource & { outcomeDesc?: string }>(a, `AuditEvent?entity=Patient/${atA.id}`);
    expect(audit.some((e) => String(e.outcomeDesc).startsWith('Payer-to-Payer bulk export'))).toBe(true);
  });
});
