/**
 * The Prior Authorization API end to end, as the issue tells it: a provider's EHR (one registered provider
 * backend: CDS Hooks JWTs and SMART Backend Services tokens with the same key) subscribes to PAS
 * notifications; CRD says an MRI needs PA and names the documentation; DTR hands over the Questionnaire;
 * the EHR submits the PAS request with the answers; the rules cannot approve it, so it pends; a reviewer
 * approves it; the EHR is notified without polling; `$inquire` shows the decision; and the member, in
 * their own app, sees the prior authorization with its status.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT } from 'jose';
import type { Bundle, Claim, ClaimResponse, ExplanationOfBenefit, Organization, Parameters, Questionnaire, QuestionnaireResponse } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { FHIR_JSON } from '../../helpers/fhir-json.js';
import { backendClientToken, demoMemberToken, registerBackendClient, type BackendClient } from '../../helpers/smart-login.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';

const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

let srv: TestServer;
let receiver: Server;
let endpoint: string;
const notifications: Bundle[] = [];
let ehr: BackendClient;
let token: string;
let orgNpi: string;
let member: { memberId: string; birthDate: string; patient: string };

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '5', OUTBOUND_LOOPBACK: 'true' });
  receiver = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      notifications.push(JSON.parse(data) as Bundle);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pas`;

  const orgs = ((await authed(srv).get('/fhir/Organization?_count=200')).body as Bundle).entry?.map((e) => e.resource as Organization) ?? [];
  const org = orgs.find((o) => o.id !== 'org-masshealth' && o.identifier?.some((i) => i.system === IDENTIFIER_SYSTEM.npi)) as Organization;
  orgNpi = org.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value as string;
  ehr = await registerBackendClient(srv, { role: 'provider', organization: `Organization/${org.id}`, name: 'Clinic EHR' });
  token = await backendClientToken(srv, ehr, 'system/Claim.rs system/Questionnaire.rs');
  member = srv.demo?.members[0] as typeof member;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
  await srv?.stop();
});

const fhir = (path: string, body: unknown) => authed(srv, token).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

describe('prior authorization, end to end', () => {
  let assertionId: string;
  let questionnaire: Questionnaire;
  let trackingNumber: string;
  let responseId: string;

  it('1. the EHR subscribes to PAS notifications for its organization', async () => {
    const res = await fhir('Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'PAS decisions',
      criteria: 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic',
      _criteria: { extension: [{ url: `${BP}/backport-filter-criteria`, valueString: `orgIdentifier=${orgNpi}` }] },
      channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: 'id-only' }] } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('active');
  });

  it('2. CRD at order-sign: an MRI of the brain needs PA, with clinical documentation (a DTR Questionnaire)', async () => {
    const aud = `${srv.url}/cds-services/crd-order-sign`;
    const jwt = await new SignJWT({ jti: randomUUID(), sub: ehr.clientId }).setProtectedHeader({ alg: 'ES384', kid: ehr.kid, typ: 'JWT' }).setIssuer('https://ehr.example.org').setAudience(aud).setIssuedAt().setExpirationTime('2m').sign(ehr.key);
    const order = { resourceType: 'ServiceRequest', id: 'mri', status: 'draft', intent: 'order', code: { coding: [{ system: CODE_SYSTEM.cpt, code: '70551' }] }, subject: { reference: 'Patient/p' }, occurrenceDateTime: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10) };
    const res = await request(srv.url).post('/cds-services/crd-order-sign').set('Authorization', `Bearer ${jwt}`).send({
      hook: 'order-sign',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/u', patientId: 'p', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: order }] } },
      prefetch: { coverage: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Coverage', id: 'c', status: 'active', subscriberId: member.memberId, beneficiary: { reference: 'Patient/p' }, payor: [{ display: 'MassHealth' }] } }] } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ext = (res.body.systemActions[0].resource.extension as Array<{ url: string; extension: Array<{ url: string; valueCode?: string; valueString?: string }> }>).find((e) => e.url === CI);
    const value = (url: string) => ext?.extension.find((x) => x.url === url);
    expect(value('pa-needed')?.valueCode).toBe('auth-needed');
    expect(value('doc-needed')?.valueCode).toBe('clinical');
    assertionId = value('coverage-assertion-id')?.valueString as string;
  });

  it('3. DTR: the Questionnaire package for that assertion', async () => {
    const res = await fhir('Questionnaire/$questionnaire-package', { resourceType: 'Parameters', parameter: [{ name: 'coverage', resource: { resourceType: 'Coverage', status: 'active', subscriberId: member.memberId, beneficiary: { reference: 'Patient/p' }, payor: [{ display: 'MassHealth' }] } }, { name: 'context', valueString: assertionId }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    questionnaire = ((res.body as Parameters).parameter?.[0]?.resource as Bundle).entry?.[0]?.resource as Questionnaire;
    expect(questionnaire.url).toMatch(/pa-mri-brain$/);
  });

  it('4. PAS $submit with the answers: the rules cannot approve it (no red flags), so it pends', async () => {
    const qr: QuestionnaireResponse = { resourceType: 'QuestionnaireResponse', id: 'qr', questionnaire: `${questionnaire.url}|${questionnaire.version}`, status: 'completed', subject: { reference: 'Patient/p' }, item: [{ linkId: 'red-flags', answer: [{ valueBoolean: false }] }, { linkId: 'weeks-symptoms', answer: [{ valueInteger: 3 }] }] };
    const claim: Claim = {
      resourceType: 'Claim',
      id: 'c1',
      identifier: [{ system: 'http://ehr.example.org/pa', value: 'E2E-1' }],
      status: 'active',
      type: { coding: [{ system: CODE_SYSTEM.claimType, code: 'professional' }] },
      use: 'preauthorization',
      patient: { reference: 'Patient/p' },
      created: new Date().toISOString(),
      insurer: { reference: 'Organization/ins' },
      provider: { reference: 'Organization/req' },
      priority: { coding: [{ system: CODE_SYSTEM.processPriority, code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c' } }],
      supportingInfo: [{ sequence: 1, category: { coding: [{ system: CODE_SYSTEM.pasSupportingInfoType, code: 'additionalInformation' }] }, valueReference: { reference: 'QuestionnaireResponse/qr' } }],
      item: [{ sequence: 1, category: { coding: [{ system: CODE_SYSTEM.x12ServiceType, code: '62' }] }, productOrService: { coding: [{ system: CODE_SYSTEM.cpt, code: '70551' }] }, quantity: { value: 1 } }],
    };
    const entries = [
      claim,
      { resourceType: 'Patient', id: 'p', identifier: [{ type: { coding: [{ system: CODE_SYSTEM.identifierType, code: 'MB' }] }, value: member.memberId }] },
      { resourceType: 'Coverage', id: 'c', status: 'active', subscriberId: member.memberId, beneficiary: { reference: 'Patient/p' }, payor: [{ reference: 'Organization/ins' }] },
      { resourceType: 'Organization', id: 'ins', name: 'MassHealth' },
      { resourceType: 'Organization', id: 'req', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: orgNpi }] },
      qr,
    ];
    const res = await fhir('Claim/$submit', { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: entries.map((resource) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource })) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const response = (res.body as Bundle).entry?.[0]?.resource as ClaimResponse;
    expect(response.outcome).toBe('queued');
    trackingNumber = response.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.paTrackingNumber)?.value as string;
    expect(trackingNumber).toBeTruthy();
  });

  it('5. a reviewer approves it from the queue, and 6. the EHR is notified (id-only: the ClaimResponse named)', async () => {
    const queue = (await authed(srv).get('/admin/pa-queue')).body as Array<{ id: string; trackingNumber: string }>;
    responseId = queue.find((e) => e.trackingNumber === trackingNumber)?.id as string;
    expect(responseId).toBeTruthy();
    const before = notifications.length;
    expect((await authed(srv).post(`/admin/pa-requests/${responseId}/decision`).send({ decision: 'approved', note: 'Clinical criteria met on review' })).status).toBe(200);
    for (let i = 0; i < 100 && notifications.length === before; i++) await new Promise((r) => setTimeout(r, 50));
    const event = notifications.slice(before).find((b) => ((b.entry?.[0]?.resource as Parameters).parameter ?? []).some((p) => p.valueCode === 'event-notification'));
    const focus = ((event?.entry?.[0]?.resource as Parameters).parameter ?? []).find((p) => p.name === 'notification-event')?.part?.find((p) => p.name === 'focus')?.valueReference?.reference;
    expect(focus).toBe(`${srv.baseUrl}/ClaimResponse/${responseId}`);
  });

  it('7. $inquire by the tracking number shows the approval', async () => {
    const inquiry = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Claim', status: 'active', type: { coding: [{ system: CODE_SYSTEM.claimType, code: 'professional' }] }, use: 'preauthorization', identifier: [{ value: trackingNumber }], patient: { reference: 'urn:uuid:2' }, created: new Date().toISOString(), provider: { reference: 'urn:uuid:3' }, priority: { coding: [{ code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'urn:uuid:4' } }] } },
        { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Patient', identifier: [{ type: { coding: [{ code: 'MB' }] }, value: member.memberId }] } },
        { fullUrl: 'urn:uuid:3', resource: { resourceType: 'Organization', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: orgNpi }] } },
        { fullUrl: 'urn:uuid:4', resource: { resourceType: 'Coverage', status: 'active', subscriberId: member.memberId, beneficiary: { reference: 'urn:uuid:2' }, payor: [{ display: 'MassHealth' }] } },
      ],
    };
    const res = await fhir('Claim/$inquire', inquiry);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const response = (res.body as Bundle).entry?.[0]?.resource as ClaimResponse;
    expect(response.outcome).toBe('complete');
    expect(response.preAuthRef).toMatch(/^PA/);
  });

  it('8. the member sees the prior authorization, approved, in their own app', async () => {
    const memberToken = await demoMemberToken(srv, srv.demo as NonNullable<TestServer['demo']>, member);
    const res = await authed(srv, memberToken).get(`/fhir/ExplanationOfBenefit?patient=${member.patient}&use=preauthorization&_count=200`);
    expect(res.status).toBe(200);
    const view = ((res.body as Bundle).entry ?? []).map((e) => e.resource as ExplanationOfBenefit).find((v) => v.identifier?.some((i) => i.value === trackingNumber));
    expect(view?.outcome).toBe('complete');
    expect(view?.extension?.find((e) => e.url.endsWith('/pa-decision'))?.valueCode).toBe('approved');
  });
});
