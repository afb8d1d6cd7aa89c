/**
 * CRD over CDS Hooks 2.0, called as an EHR would: a registered provider backend signs each call with its
 * key; orders arrive in the context, the member's Patient and Coverage (the EHR's own, with the MassHealth
 * member ID) in the prefetch or, without prefetch, from a FHIR server with the fhirAuthorization token.
 * The answers are checked against the program's rules as this test states them: PA for MRI of the brain,
 * a referral for a PCC Plan member seeing someone other than their PCP (not for urgent care), an ordering
 * provider who is not enrolled, a pre-admission screening asked too late, drugs outside the service.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT } from 'jose';
import type { Bundle, Coverage, Extension, Patient, Practitioner, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { backendClientToken, registerBackendClient, type BackendClient } from '../../helpers/smart-login.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../../../src/domain/systems.js';

const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const DAY = 86_400_000;
const inDays = (n: number): string => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

let srv: TestServer;
let ehr: BackendClient;
let cdsBase: string;
/** A PCC Plan member (ours), their member ID and their PCP's NPI; an FFS member. */
let pcc: { patient: Patient; memberId: string; pcpNpi: string };
let ffs: { patient: Patient; memberId: string };
/** An enrolled physician (PT-01) and another practitioner who is not the PCC member's PCP. */
let physicianNpi: string;
let otherNpi: string;

async function all<T extends Resource>(query: string): Promise<T[]> {
  const res = await authed(srv).get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_count=1000`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as T);
}

const memberIdOf = (p: Patient): string => p.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value as string;
const planOf = (c: Coverage): string | undefined => c.class?.find((k) => k.type.coding?.[0]?.code === 'plan')?.value;

async function jwt(audience: string, over: { sub?: string; jti?: string; exp?: number } = {}): Promise<string> {
  return new SignJWT({ jti: over.jti ?? randomUUID(), ...(over.sub === '' ? {} : { sub: over.sub ?? ehr.clientId }) })
    .setProtectedHeader({ alg: 'ES384', kid: ehr.kid, typ: 'JWT' })
    .setIssuer('https://ehr.example.org')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(over.exp ?? Math.floor(Date.now() / 1000) + 120)
    .sign(ehr.key);
}

const practitioner = (id: string, npi: string): Practitioner => ({ resourceType: 'Practitioner', id, identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: npi }] });

/** A draft ServiceRequest with the requester and performer contained, as an EHR sends them. */
function serviceRequest(id: string, code: { system: string; code: string }, o: { date?: string; quantity?: number; requesterNpi?: string; performerNpi?: string; pos?: string } = {}): Resource {
  const contained: Practitioner[] = [];
  if (o.requesterNpi) contained.push(practitioner('req', o.requesterNpi));
  if (o.performerNpi) contained.push(practitioner('perf', o.performerNpi));
  return {
    resourceType: 'ServiceRequest',
    id,
    ...(contained.length ? { contained } : {}),
    status: 'draft',
    intent: 'order',
    code: { coding: [code] },
    subject: { reference: 'Patient/ehr-patient' },
    occurrenceDateTime: o.date ?? inDays(14),
    ...(o.quantity !== undefined ? { quantityQuantity: { value: o.quantity } } : {}),
    ...(o.requesterNpi ? { requester: { reference: '#req' } } : {}),
    ...(o.performerNpi ? { performer: [{ reference: '#perf' }] } : {}),
    ...(o.pos ? { locationCode: [{ coding: [{ system: CODE_SYSTEM.placeOfService, code: o.pos }] }] } : {}),
  } as Resource;
}

function prefetch(memberId: string): Record<string, Resource> {
  return {
    patient: { resourceType: 'Patient', id: 'ehr-patient', identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: memberId }] } as Patient,
    coverage: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Coverage', id: 'ehr-coverage', status: 'active', subscriberId: memberId, beneficiary: { reference: 'Patient/ehr-patient' }, payor: [{ display: 'MassHealth' }] } }] } as Bundle,
  };
}

function hookCall(hook: string, orders: Resource[], memberId: string | undefined, extra: Record<string, unknown> = {}) {
  const key = hook === 'appointment-book' ? 'appointments' : 'draftOrders';
  return {
    hook,
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/ehr-user', patientId: 'ehr-patient', [key]: { resourceType: 'Bundle', type: 'collection', entry: orders.map((resource) => ({ resource })) } },
    ...(memberId ? { prefetch: prefetch(memberId) } : {}),
    ...extra,
  };
}

interface CdsAnswer {
  cards: Array<{ summary: string; detail?: string; indicator: string; source: { topic: { code: string } } }>;
  systemActions: Array<{ type: string; resource: Resource & { extension?: Extension[] } }>;
}

async function call(service: string, body: object): Promise<CdsAnswer> {
  const res = await request(srv.url).post(`/cds-services/${service}`).set('Authorization', `Bearer ${await jwt(`${cdsBase}/${service}`)}`).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as CdsAnswer;
}

/** The coverage-information sub-extensions of the one systemAction, as url → values. */
function coverageInfo(answer: CdsAnswer): Map<string, unknown[]> {
  expect(answer.systemActions).toHaveLength(1);
  const ext = answer.systemActions[0].resource.extension?.find((e) => e.url === CI);
  expect(ext).toBeDefined();
  const out = new Map<string, unknown[]>();
  for (const e of ext?.extension ?? []) {
    const value = Object.entries(e).find(([k]) => k.startsWith('value'))?.[1] ?? e.extension;
    out.set(e.url, [...(out.get(e.url) ?? []), value]);
  }
  return out;
}

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12', DTR_LAUNCH_URL: 'https://dtr.example.org/launch', OUTBOUND_LOOPBACK: 'true' });
  cdsBase = `${srv.url}/cds-services`;
  const org = (await all<Resource>('Organization')).find((o) => o.id !== 'org-masshealth') as Resource;
  ehr = await registerBackendClient(srv, { role: 'provider', organization: `Organization/${org.id}`, name: 'Clinic EHR' });

  const today = inDays(0);
  const coverages = (await all<Coverage>('Coverage?status=active')).filter((c) => (c.payor ?? []).some((p) => p.reference === 'Organization/org-masshealth') && (!c.period?.end || c.period.end >= inDays(30)));
  const patientOf = async (c: Coverage): Promise<Patient> => (await authed(srv).get(`/fhir/${c.beneficiary.reference}`)).body as Patient;
  const pccCoverage = coverages.find((c) => planOf(c) === 'PCC') as Coverage;
  const pccPatient = await patientOf(pccCoverage);
  const pcpRef = pccPatient.generalPractitioner?.find((g) => g.reference?.startsWith('Practitioner/'))?.reference as string;
  const pcp = (await authed(srv).get(`/fhir/${pcpRef}`)).body as Practitioner;
  pcc = { patient: pccPatient, memberId: memberIdOf(pccPatient), pcpNpi: pcp.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value as string };
  const ffsPatient = await patientOf(coverages.find((c) => planOf(c) === 'FFS') as Coverage);
  ffs = { patient: ffsPatient, memberId: memberIdOf(ffsPatient) };
  const practitioners = await all<Practitioner>('Practitioner');
  const typeOf = (p: Practitioner) => p.qualification?.flatMap((q) => q.code.coding ?? []).find((c) => c.system === PROGRAM_CODE_SYSTEM.providerType)?.code;
  const npiOf = (p: Practitioner) => p.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value as string;
  const physician = practitioners.find((p) => typeOf(p) === 'PT-01' && npiOf(p) !== pcc.pcpNpi && (p.qualification?.[0]?.period?.start ?? '') <= today) as Practitioner;
  physicianNpi = npiOf(physician);
  // Someone with no referral from the PCC member's PCP: a practitioner the member's referrals never name.
  const referred = new Set<string>();
  for (const r of await all<Resource & { performer?: Array<{ reference?: string }> }>(`ServiceRequest?subject=Patient/${pcc.patient.id}`)) for (const p of r.performer ?? []) referred.add(p.reference ?? '');
  otherNpi = npiOf(practitioners.find((p) => npiOf(p) !== pcc.pcpNpi && !referred.has(`Practitioner/${p.id}`)) as Practitioner);
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

describe('CRD (CDS Hooks 2.0)', () => {
  it('when an EHR asks for discovery, then the five CRD services are listed with their hooks and prefetch templates', async () => {
    const res = await request(srv.url).get('/cds-services');
    expect(res.status).toBe(200);
    const services = res.body.services as Array<{ hook: string; id: string; prefetch: Record<string, string> }>;
    expect(services.map((s) => s.hook).sort()).toEqual(['appointment-book', 'encounter-start', 'order-dispatch', 'order-select', 'order-sign']);
    for (const s of services) expect(s.prefetch.coverage).toBe('Coverage?patient={{context.patientId}}&status=active');
  });

  it('when an MRI of the brain is being signed, then the order comes back with coverage information: covered, PA needed, clinical documentation with the DTR Questionnaire, and an assertion id', async () => {
    const answer = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('mri', { system: CODE_SYSTEM.cpt, code: '70551' }, { requesterNpi: physicianNpi })], ffs.memberId));
    const info = coverageInfo(answer);
    expect(info.get('covered')).toEqual(['covered']);
    expect(info.get('pa-needed')).toEqual(['auth-needed']);
    expect(info.get('doc-needed')).toEqual(['clinical']);
    expect(String(info.get('questionnaire')?.[0])).toMatch(/\/Questionnaire\/pa-mri-brain\|/);
    expect(info.get('coverage-assertion-id')?.[0]).toMatch(/.+/);
    expect((info.get('coverage')?.[0] as { reference: string }).reference).toMatch(/\/Coverage\//);
    expect(answer.systemActions[0].resource.id).toBe('mri');
    expect(answer.cards.filter((c) => c.indicator !== 'info')).toEqual([]);
    // With a DTR app configured, a card links to it (SMART launch) with the assertion in its appContext.
    const dtr = (answer.cards as Array<{ links?: Array<{ type: string; url: string; appContext?: string }> }>).flatMap((c) => c.links ?? []).find((l) => l.type === 'smart');
    expect(dtr?.url).toBe('https://dtr.example.org/launch');
    expect(JSON.parse(dtr?.appContext ?? '{}')).toMatchObject({ 'coverage-assertion-id': info.get('coverage-assertion-id')?.[0], order: 'ServiceRequest/mri' });
  });

  it('when a PCC Plan member is referred to a practitioner who is not their PCP and no referral is on file, then a referral-needed card comes, and PA is not needed for a small therapy order', async () => {
    const answer = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('pt', { system: CODE_SYSTEM.cpt, code: '97110' }, { quantity: 4, requesterNpi: physicianNpi, performerNpi: otherNpi })], pcc.memberId));
    expect(coverageInfo(answer).get('pa-needed')).toEqual(['no-auth']);
    const card = answer.cards.find((c) => /referral/i.test(c.summary));
    expect(card?.indicator).toBe('warning');
    expect(card?.detail).toMatch(/PCC Plan/);
  });

  it('when the same PCC Plan member goes to urgent care (place of service 20), or their PCP performs the service, then no referral card', async () => {
    const urgent = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('uc', { system: CODE_SYSTEM.cpt, code: '97110' }, { quantity: 4, requesterNpi: physicianNpi, performerNpi: otherNpi, pos: '20' })], pcc.memberId));
    expect(urgent.cards.filter((c) => /referral/i.test(c.summary))).toEqual([]);
    const byPcp = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('pcp', { system: CODE_SYSTEM.cpt, code: '97110' }, { quantity: 4, requesterNpi: physicianNpi, performerNpi: pcc.pcpNpi })], pcc.memberId));
    expect(byPcp.cards.filter((c) => /referral/i.test(c.summary))).toEqual([]);
  });

  it('when therapy is ordered by a practitioner the program has not enrolled, then an ORP card says the ordering provider may not order it', async () => {
    const answer = await call('crd-order-select', hookCall('order-select', [serviceRequest('pt2', { system: CODE_SYSTEM.cpt, code: '97110' }, { quantity: 2, requesterNpi: '1234567893', date: inDays(3) })], ffs.memberId));
    const card = answer.cards.find((c) => /ordering provider/i.test(c.summary));
    expect(card?.detail).toMatch(/not enrolled/);
  });

  it('when an elective admission (ICD-10-PCS) is ordered 3 days ahead, then a pre-admission screening card; 10 days ahead, none, and PA is needed', async () => {
    const late = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('adm', { system: CODE_SYSTEM.icd10pcs, code: '0SRC0J9' }, { date: inDays(3), requesterNpi: physicianNpi })], ffs.memberId));
    expect(late.cards.find((c) => /screening/i.test(c.summary))?.detail).toMatch(/less than 7 days/);
    const early = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('adm2', { system: CODE_SYSTEM.icd10pcs, code: '0SRC0J9' }, { date: inDays(10), requesterNpi: physicianNpi })], ffs.memberId));
    expect(early.cards.filter((c) => /screening/i.test(c.summary))).toEqual([]);
    expect(coverageInfo(early).get('pa-needed')).toEqual(['auth-needed']);
  });

  it('when a drug is ordered, then an information card says drugs are outside this service, and the order is not changed', async () => {
    const med = { resourceType: 'MedicationRequest', id: 'rx', status: 'draft', intent: 'order', medicationCodeableConcept: { coding: [{ system: CODE_SYSTEM.rxnorm, code: '197361' }] }, subject: { reference: 'Patient/ehr-patient' } } as Resource;
    const answer = await call('crd-order-sign', hookCall('order-sign', [med], ffs.memberId));
    expect(answer.systemActions).toEqual([]);
    expect(answer.cards.map((c) => c.indicator)).toEqual(['info']);
    expect(answer.cards[0].summary).toMatch(/Drugs/);
  });

  it('when the member ID is unknown, then a warning card says the member could not be identified', async () => {
    const answer = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('x', { system: CODE_SYSTEM.cpt, code: '70551' })], '999999999999'));
    expect(answer.systemActions).toEqual([]);
    expect(answer.cards[0].summary).toMatch(/could not identify/);
  });

  it('when there is no prefetch, then the service reads the Patient and Coverage from the FHIR server with the fhirAuthorization token', async () => {
    const body = hookCall('order-sign', [serviceRequest('mri2', { system: CODE_SYSTEM.cpt, code: '70551' })], undefined, {
      fhirServer: srv.baseUrl,
      fhirAuthorization: { access_token: srv.adminToken, token_type: 'Bearer', expires_in: 300, scope: 'system/Patient.rs system/Coverage.rs', subject: 'crd' },
    });
    (body.context as Record<string, unknown>).patientId = ffs.patient.id;
    const info = coverageInfo(await call('crd-order-sign', body));
    expect(info.get('pa-needed')).toEqual(['auth-needed']);
  });

  it('when an appointment for an MRI is booked, then it comes back with coverage information too', async () => {
    const appointment = { resourceType: 'Appointment', id: 'appt', status: 'proposed', serviceType: [{ coding: [{ system: CODE_SYSTEM.cpt, code: '70551' }] }], start: `${inDays(20)}T10:00:00Z`, end: `${inDays(20)}T10:30:00Z`, participant: [{ actor: { reference: 'Patient/ehr-patient' }, status: 'accepted' }] } as Resource;
    const info = coverageInfo(await call('crd-appointment-book', hookCall('appointment-book', [appointment], ffs.memberId)));
    expect(info.get('pa-needed')).toEqual(['auth-needed']);
  });

  it('when an order is dispatched (order-dispatch), then the order is read from the EHR\'s FHIR server with the fhirAuthorization token and answered', async () => {
    const order = { ...serviceRequest('dispatched-mri', { system: CODE_SYSTEM.cpt, code: '70551' }), subject: { reference: `Patient/${ffs.patient.id}` }, status: 'active' };
    expect((await authed(srv).put('/fhir/ServiceRequest/dispatched-mri').set('Content-Type', 'application/fhir+json').send(JSON.stringify(order))).status).toBeLessThan(300);
    const body = {
      hook: 'order-dispatch',
      hookInstance: randomUUID(),
      fhirServer: srv.baseUrl,
      fhirAuthorization: { access_token: srv.adminToken, token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs', subject: 'crd' },
      context: { patientId: ffs.patient.id, dispatchedOrders: ['ServiceRequest/dispatched-mri'], performer: 'Organization/x' },
      prefetch: prefetch(ffs.memberId),
    };
    const info = coverageInfo(await call('crd-order-dispatch', body));
    expect(info.get('pa-needed')).toEqual(['auth-needed']);
  });

  it('when an elective inpatient encounter starts (encounter-start), then the encounter comes back with coverage information and PA needed', async () => {
    const encounter = { resourceType: 'Encounter', id: 'enc-1', status: 'planned', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }, type: [{ coding: [{ system: CODE_SYSTEM.icd10pcs, code: '0SRC0J9' }] }], subject: { reference: 'Patient/ehr-patient' }, period: { start: `${inDays(12)}T08:00:00Z` } };
    const body = { hook: 'encounter-start', hookInstance: randomUUID(), context: { userId: 'Practitioner/u', patientId: 'ehr-patient', encounterId: 'enc-1' }, prefetch: { ...prefetch(ffs.memberId), encounter } };
    const info = coverageInfo(await call('crd-encounter-start', body));
    expect(info.get('pa-needed')).toEqual(['auth-needed']);
  });

  it('when the JWT is missing, for another audience, replayed, expired or from an unregistered client, then 401 with an OperationOutcome', async () => {
    const body = hookCall('order-sign', [serviceRequest('mri', { system: CODE_SYSTEM.cpt, code: '70551' })], ffs.memberId);
    const post = (auth?: string) => {
      const r = request(srv.url).post('/cds-services/crd-order-sign').send(body);
      return auth ? r.set('Authorization', auth) : r;
    };
    const none = await post();
    expect(none.status).toBe(401);
    expect(none.body.resourceType).toBe('OperationOutcome');
    expect((await post(`Bearer ${await jwt(`${cdsBase}/crd-order-select`)}`)).status).toBe(401);
    const once = `Bearer ${await jwt(`${cdsBase}/crd-order-sign`, { jti: 'same-jti' })}`;
    expect((await post(once)).status).toBe(200);
    expect((await post(once)).status).toBe(401);
    expect((await post(`Bearer ${await jwt(`${cdsBase}/crd-order-sign`, { exp: Math.floor(Date.now() / 1000) - 120 })}`)).status).toBe(401);
    expect((await post(`Bearer ${await jwt(`${cdsBase}/crd-order-sign`, { sub: 'nobody' })}`)).status).toBe(401);
    expect((await post('Bearer not-a-jwt')).status).toBe(401);
    // Without sub, the issuer names the client: ours is registered under its client_id, not this issuer.
    expect((await post(`Bearer ${await jwt(`${cdsBase}/crd-order-sign`, { sub: '' })}`)).status).toBe(401);
  });

  it('when the request is not a CDS Hooks call of the service, then 400 for bad JSON, 422 for a wrong shape or hook, 404 for an unknown service', async () => {
    const aud = `${cdsBase}/crd-order-sign`;
    const bad = await request(srv.url).post('/cds-services/crd-order-sign').set('Authorization', `Bearer ${await jwt(aud)}`).set('Content-Type', 'application/json').send('{"hook":');
    expect(bad.status).toBe(400);
    const shape = await request(srv.url).post('/cds-services/crd-order-sign').set('Authorization', `Bearer ${await jwt(aud)}`).send({ hook: 'order-sign' });
    expect(shape.status).toBe(422);
    const hook = await request(srv.url).post('/cds-services/crd-order-sign').set('Authorization', `Bearer ${await jwt(aud)}`).send({ ...hookCall('order-select', [], ffs.memberId) });
    expect(hook.status).toBe(422);
    const unknown = await request(srv.url).post('/cds-services/nope').set('Authorization', `Bearer ${await jwt(`${cdsBase}/nope`)}`).send({});
    expect(unknown.status).toBe(404);
  });

  it('when the official CRD example requests are sent, then each is answered 200 with cards and systemActions lists (their member is not ours: a card says so)', async () => {
    const dir = join(process.cwd(), 'test/fixtures/ig-examples/davinci-crd/hooks');
    const requests = readdirSync(dir).filter((f) => /^CRDServiceRequest.*\.json$/.test(f));
    expect(requests.length).toBeGreaterThan(0);
    for (const file of requests) {
      const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { hook: string };
      const answer = await call(`crd-${body.hook}`, body);
      expect(Array.isArray(answer.cards) && Array.isArray(answer.systemActions), file).toBe(true);
      for (const c of answer.cards) expect(c.summary.length, file).toBeLessThanOrEqual(140);
    }
  });

  it('when the carried resources are malformed (null entries, non-list codings, invalid R4), then 422 or an empty answer, never a 500', async () => {
    const aud = `${cdsBase}/crd-order-sign`;
    const send = async (body: object) => request(srv.url).post('/cds-services/crd-order-sign').set('Authorization', `Bearer ${await jwt(aud)}`).send(body);
    const base = hookCall('order-sign', [serviceRequest('m', { system: CODE_SYSTEM.cpt, code: '70551' })], ffs.memberId);
    const variants: object[] = [
      { ...base, context: { ...base.context, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [null, 5, { resource: null }] } } },
      { ...base, context: { ...base.context, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, code: { coding: 'x' } } }] } } },
      { ...base, prefetch: { coverage: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Coverage', identifier: 'x' } }] } } },
      { ...base, context: { ...base.context, draftOrders: 'nothing' } },
    ];
    for (const v of variants) {
      const res = await send(v);
      expect(res.status, JSON.stringify(res.body).slice(0, 200)).toBeLessThan(500);
      expect([200, 422]).toContain(res.status);
    }
  });

  it('when the EHR sends feedback on a card, then it is accepted', async () => {
    const res = await request(srv.url)
      .post('/cds-services/crd-order-sign/feedback')
      .set('Authorization', `Bearer ${await jwt(`${cdsBase}/crd-order-sign/feedback`)}`)
      .send({ feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] });
    expect(res.status).toBe(200);
  });
});

describe('DTR $questionnaire-package', () => {
  const coverage = (memberId: string): Resource => ({ resourceType: 'Coverage', id: 'ehr-coverage', status: 'active', subscriberId: memberId, beneficiary: { reference: 'Patient/ehr-patient' }, payor: [{ display: 'MassHealth' }] }) as Resource;
  const pkg = (parameter: unknown[]) => authed(srv).post('/fhir/Questionnaire/$questionnaire-package').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Parameters', parameter }));
  const questionnairesOf = (body: { parameter?: Array<{ name: string; resource?: Bundle }> }): string[] =>
    (body.parameter ?? []).filter((p) => p.name === 'PackageBundle').map((p) => (p.resource?.entry?.[0]?.resource as { url?: string } | undefined)?.url as string);

  it('when CRD said documentation is needed, then the package for its coverage-assertion-id holds that Questionnaire first in a collection Bundle', async () => {
    const answer = await call('crd-order-sign', hookCall('order-sign', [serviceRequest('mri3', { system: CODE_SYSTEM.cpt, code: '70551' }, { requesterNpi: physicianNpi })], ffs.memberId));
    const info = coverageInfo(answer);
    const res = await pkg([{ name: 'coverage', resource: coverage(ffs.memberId) }, { name: 'context', valueString: info.get('coverage-assertion-id')?.[0] }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const bundles = (res.body.parameter as Array<{ name: string; resource: Bundle }>).filter((p) => p.name === 'PackageBundle');
    expect(bundles).toHaveLength(1);
    expect(bundles[0].resource.type).toBe('collection');
    expect(bundles[0].resource.entry?.[0]?.resource?.resourceType).toBe('Questionnaire');
    expect(String(info.get('questionnaire')?.[0])).toContain(questionnairesOf(res.body)[0]);
  });

  it('when orders are given, then the package holds the Questionnaire the rules name for each under the member\'s plan, and warns about an order needing none', async () => {
    const res = await pkg([
      { name: 'coverage', resource: coverage(ffs.memberId) },
      { name: 'order', resource: serviceRequest('o1', { system: CODE_SYSTEM.hcpcs, code: 'E0601' }) },
      { name: 'order', resource: serviceRequest('o2', { system: CODE_SYSTEM.cpt, code: '99213' }) },
    ]);
    expect(res.status).toBe(200);
    expect(questionnairesOf(res.body)).toEqual([expect.stringMatching(/\/Questionnaire\/pa-cpap$/)]);
    const outcome = (res.body.parameter as Array<{ name: string; resource: { issue: Array<{ diagnostics: string }> } }>).find((p) => p.name === 'operationOutcome');
    expect(outcome?.resource.issue[0].diagnostics).toMatch(/99213/);
  });

  it('when nothing applies, or the inputs are missing, then 422 or 400 with an OperationOutcome', async () => {
    const none = await pkg([{ name: 'coverage', resource: coverage(ffs.memberId) }, { name: 'questionnaire', valueCanonical: 'https://nowhere.example/Questionnaire/x' }]);
    expect(none.status).toBe(422);
    expect(none.body.resourceType).toBe('OperationOutcome');
    expect((await pkg([{ name: 'questionnaire', valueCanonical: 'https://x.example/Q' }])).status).toBe(400);
    expect((await pkg([{ name: 'coverage', resource: coverage(ffs.memberId) }])).status).toBe(400);
  });

  it('when the official DTR input example is sent, then it is answered (its member is not ours, its canonical is not here: 422 naming both)', async () => {
    const body = readFileSync(join(process.cwd(), 'test/fixtures/ig-examples/davinci-dtr/params/Parameters-QuestionnairePackageInputParamsExample.json'), 'utf8');
    const res = await authed(srv).post('/fhir/Questionnaire/$questionnaire-package').set('Content-Type', 'application/fhir+json').send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(JSON.stringify(res.body.issue)).toMatch(/Questionnaire .* is not on this server/);
  });

  it('when the registered EHR calls it with its SMART Backend Services token, then it is answered', async () => {
    const token = await backendClientToken(srv, ehr, 'system/Questionnaire.rs');
    const res = await authed(srv, token).post('/fhir/Questionnaire/$questionnaire-package').set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'coverage', resource: coverage(ffs.memberId) }, { name: 'order', resource: serviceRequest('o3', { system: CODE_SYSTEM.cpt, code: '70551' }) }] }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(questionnairesOf(res.body)).toEqual([expect.stringMatching(/pa-mri-brain$/)]);
  });
});
