/**
 * PAS `Claim/$submit` and `Claim/$inquire` as a provider system calls them (a registered provider backend
 * with a SMART Backend Services token), with request Bundles shaped like the official PAS examples. The
 * expectations are the program's rules as stated here: a CPAP with a qualifying sleep study is approved at
 * once; physical therapy above the service limit is denied with its specific reason; an MRI without its
 * documentation pends asking for it; drugs are refused; updates keep the tracking number; a denial can be
 * appealed, not updated; and the member's PDex view follows every change at once.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Bundle, Claim, ClaimItem, ClaimResponse, Coverage, ExplanationOfBenefit, Organization, Parameters, Patient, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { FHIR_JSON } from '../../helpers/fhir-json.js';
import { backendClientToken, cookieOf, hiddenField, registerBackendClient, submitLogin } from '../../helpers/smart-login.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../../../src/domain/systems.js';

const PAS_CLAIM = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claim';
const DAY = 86_400_000;
const inDays = (n: number): string => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

let srv: TestServer;
let token: string;
let otherToken: string;
let ownOrg: string;
let orgNpi: string;
let member: { id: string; memberId: string };

async function backendToken(organization: string, name: string, scope = 'system/Claim.rs system/ClaimResponse.rs'): Promise<string> {
  return backendClientToken(srv, await registerBackendClient(srv, { role: 'provider', organization, name: `EHR ${name}` }), scope);
}

interface RequestOptions {
  identifier?: string;
  system?: string;
  code?: string;
  quantity?: number;
  priority?: 'stat' | 'normal';
  answers?: QuestionnaireResponse['item'];
  questionnaire?: string;
  related?: { identifier: string; relationship: 'replaces' | 'prior' };
  cancel?: boolean;
  memberId?: string;
}

/** A PAS request Bundle like the official examples: Claim first, then Patient, Coverage, insurer, requester, DTR answers. */
function pasRequest(o: RequestOptions): Bundle {
  const identifier = o.identifier ?? `EHR-${randomUUID().slice(0, 8)}`;
  const qr: QuestionnaireResponse | undefined = o.answers
    ? { resourceType: 'QuestionnaireResponse', id: 'qr', questionnaire: o.questionnaire as string, status: 'completed', subject: { reference: 'Patient/pat' }, authored: new Date().toISOString(), item: o.answers }
    : undefined;
  const claim: Claim = {
    resourceType: 'Claim',
    id: 'claim',
    meta: { profile: [PAS_CLAIM] },
    identifier: [{ system: 'http://ehr.example.org/pa-request', value: identifier }],
    status: 'active',
    type: { coding: [{ system: CODE_SYSTEM.claimType, code: 'professional' }] },
    use: 'preauthorization',
    patient: { reference: 'Patient/pat' },
    created: new Date().toISOString(),
    insurer: { reference: 'Organization/ins' },
    provider: { reference: 'Organization/req' },
    priority: { coding: [{ system: CODE_SYSTEM.processPriority, code: o.priority ?? 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/cov' } }],
    ...(o.cancel ? { extension: [{ url: 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-certificationType', valueCodeableConcept: { coding: [{ system: 'https://codesystem.x12.org/005010/1322', code: '3', display: 'Cancel' }] } }] } : {}),
    ...(o.related ? { related: [{ claim: { identifier: { system: 'http://ehr.example.org/pa-request', value: o.related.identifier } }, relationship: { coding: [{ system: CODE_SYSTEM.relatedClaimRelationship, code: o.related.relationship }] } }] } : {}),
    ...(qr ? { supportingInfo: [{ sequence: 1, category: { coding: [{ system: CODE_SYSTEM.pasSupportingInfoType, code: 'additionalInformation' }] }, valueReference: { reference: 'QuestionnaireResponse/qr' } }] } : {}),
    item: [
      {
        sequence: 1,
        category: { coding: [{ system: CODE_SYSTEM.x12ServiceType, code: '12' }] },
        productOrService: { coding: [{ system: o.system ?? CODE_SYSTEM.hcpcs, code: o.code ?? 'E0601' }] },
        servicedPeriod: { start: inDays(7), end: inDays(90) },
        quantity: { value: o.quantity ?? 1, unit: 'units' },
      },
    ],
  };
  const resources: Resource[] = [
    claim,
    { resourceType: 'Patient', id: 'pat', identifier: [{ type: { coding: [{ system: CODE_SYSTEM.identifierType, code: 'MB' }] }, system: 'http://ehr.example.org/masshealth-id', value: o.memberId ?? member.memberId }], name: [{ family: 'Member' }], gender: 'unknown', birthDate: '1980-01-01' } as Patient,
    { resourceType: 'Coverage', id: 'cov', status: 'active', subscriberId: o.memberId ?? member.memberId, beneficiary: { reference: 'Patient/pat' }, payor: [{ reference: 'Organization/ins' }] } as Coverage,
    { resourceType: 'Organization', id: 'ins', name: 'MassHealth' } as Organization,
    { resourceType: 'Organization', id: 'req', name: 'Clinic', identifier: [{ system: IDENTIFIER_SYSTEM.npi, value: orgNpi }] } as Organization,
    ...(qr ? [qr] : []),
  ];
  return { resourceType: 'Bundle', identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` }, type: 'collection', timestamp: new Date().toISOString(), entry: resources.map((resource) => ({ fullUrl: `http://ehr.example.org/fhir/${resource.resourceType}/${resource.id}`, resource })) };
}

async function submit(bundle: Bundle, as = token): Promise<{ status: number; response: ClaimResponse; body: Bundle & { issue?: Array<{ diagnostics: string; code: string }> } }> {
  const res = await authed(srv, as).post('/fhir/Claim/$submit').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
  return { status: res.status, response: (res.body as Bundle).entry?.[0]?.resource as ClaimResponse, body: res.body };
}

const reviewAction = (r: ClaimResponse, n = 0): string | undefined =>
  r.item?.[n]?.adjudication?.[0]?.extension?.[0]?.extension?.find((e) => e.url.endsWith('extension-reviewActionCode'))?.valueCodeableConcept?.coding?.[0]?.code;
const decision = (r: ClaimResponse): string | undefined => r.extension?.find((e) => e.url.endsWith('/pa-decision'))?.valueCode;
const tracking = (r: ClaimResponse): string => r.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.paTrackingNumber)?.value as string;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '12', OUTBOUND_LOOPBACK: 'true' });
  const orgs = ((await authed(srv).get('/fhir/Organization?_count=200')).body as Bundle).entry?.map((e) => e.resource as Organization) ?? [];
  const withNpi = orgs.filter((o) => o.id !== 'org-masshealth' && o.identifier?.some((i) => i.system === IDENTIFIER_SYSTEM.npi));
  orgNpi = withNpi[0].identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value as string;
  ownOrg = `Organization/${withNpi[0].id}`;
  token = await backendToken(ownOrg, 'ehr-a');
  otherToken = await backendToken(`Organization/${withNpi[1].id}`, 'ehr-b');
  // A member enrolled today and for the next months (FFS: no referral rules in the way).
  const coverages = ((await authed(srv).get('/fhir/Coverage?status=active&_count=500')).body as Bundle).entry?.map((e) => e.resource as Coverage) ?? [];
  const cov = coverages.find((c) => c.payor?.[0]?.reference === 'Organization/org-masshealth' && !c.period?.end && c.class?.some((k) => k.value === 'FFS')) as Coverage;
  const patient = (await authed(srv).get(`/fhir/${cov.beneficiary.reference}`)).body as Patient;
  member = { id: patient.id as string, memberId: patient.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.memberId)?.value as string };
}, 120_000);

afterAll(async () => {
  await srv?.stop();
});

const CPAP_Q = 'https://masshealth.example.org/fhir/Questionnaire/pa-cpap';
const sleepStudy = (ahi: number): QuestionnaireResponse['item'] => [
  { linkId: 'sleep-study', answer: [{ valueBoolean: true }] },
  { linkId: 'ahi', answer: [{ valueDecimal: ahi }] },
];

describe('PAS Claim/$submit', () => {
  it('when a CPAP is requested with a qualifying sleep study, then it is approved at once with a PA number and period, and the member sees it', async () => {
    const { status, response, body } = await submit(pasRequest({ answers: sleepStudy(22), questionnaire: `${CPAP_Q}|1.0.0` }));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.type).toBe('collection');
    expect(response.resourceType).toBe('ClaimResponse');
    expect(decision(response)).toBe('approved');
    expect(reviewAction(response)).toBe('A1');
    expect(response.outcome).toBe('complete');
    expect(response.preAuthRef).toMatch(/^PA\d{8}/);
    expect(response.preAuthPeriod?.start).toBe(inDays(7));
    expect(response.patient.reference).toBe('http://ehr.example.org/fhir/Patient/pat');
    const view = await authed(srv).get(`/fhir/ExplanationOfBenefit?patient=${member.id}&use=preauthorization&_count=500`);
    const views = ((view.body as Bundle).entry ?? []).map((e) => e.resource as ExplanationOfBenefit);
    expect(views.some((v) => v.identifier?.some((i) => i.value === tracking(response)))).toBe(true);
  });

  it('when the sleep study does not qualify, then the request pends for clinical review (the rules never deny on clinical grounds)', async () => {
    const { response } = await submit(pasRequest({ answers: sleepStudy(5), questionnaire: CPAP_Q }));
    expect(decision(response)).toBe('pended');
    expect(reviewAction(response)).toBe('A4');
    expect(response.outcome).toBe('queued');
    expect(response.preAuthRef).toBeUndefined();
  });

  it('when documentation is missing, then the request pends and says which Questionnaire to complete', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    expect(decision(response)).toBe('pended');
    expect(response.processNote?.[0]?.text).toMatch(/Questionnaire .*pa-mri-brain/);
  });

  it('when more physical therapy is asked than the program allows, then it is denied at once with the specific reason code and text', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '97110', quantity: 100 }));
    expect(decision(response)).toBe('denied');
    expect(reviewAction(response)).toBe('A3');
    const reason = response.item?.[0]?.adjudication?.[0]?.reason;
    expect(reason?.coding?.[0]).toMatchObject({ system: PROGRAM_CODE_SYSTEM.paDenialReason, code: 'quantity-exceeds-limit' });
    expect(reason?.text).toMatch(/exceeds the program service limit/);
    expect(response.processNote?.[0]?.text).toMatch(/limit .* is 60/);
  });

  it('when a drug is requested, then 422: drugs are outside this service', async () => {
    const { status, body } = await submit(pasRequest({ system: CODE_SYSTEM.ndc, code: '00002-8215-01' }));
    expect(status).toBe(422);
    expect(body.issue?.[0]?.diagnostics).toMatch(/Drugs are outside/);
  });

  it('when the member ID is unknown, then the ClaimResponse carries the X12 error 75 and nothing is stored', async () => {
    const before = (await authed(srv).get('/fhir/ClaimResponse?_summary=count')).body.total as number;
    const { status, response } = await submit(pasRequest({ memberId: '000000000000' }));
    expect(status).toBe(200);
    expect(response.outcome).toBe('error');
    expect(response.error?.[0]?.code.coding?.[0]?.code).toBe('75');
    expect((await authed(srv).get('/fhir/ClaimResponse?_summary=count')).body.total).toBe(before);
  });

  it('when the Bundle is not a PAS request (not a collection, Claim not first, invalid Claim), then 400 or 422 with an OperationOutcome', async () => {
    const good = pasRequest({});
    expect((await submit({ ...good, type: 'batch' })).status).toBe(400);
    expect((await submit({ ...good, entry: [...(good.entry ?? [])].reverse() })).status).toBe(400);
    const bad = structuredClone(good);
    delete (bad.entry?.[0]?.resource as Partial<Claim>).insurance;
    const invalid = await submit(bad);
    expect(invalid.status).toBe(422);
    expect(invalid.body.resourceType).toBe('OperationOutcome');
    expect((await authed(srv, token).post('/fhir/Claim/$submit').set('Content-Type', FHIR_JSON).send('{"resourceType":')).status).toBe(400);
  });

  it('when the body is malformed in other ways (an array, null entries, a Claim without items or codes, a cancellation of nothing), then 4xx with an OperationOutcome, never a 500', async () => {
    const post = (body: string) => authed(srv, token).post('/fhir/Claim/$submit').set('Content-Type', FHIR_JSON).send(body);
    const good = pasRequest({});
    const noItems = structuredClone(good);
    (noItems.entry?.[0]?.resource as Claim).item = [];
    const noCode = structuredClone(good);
    delete ((noCode.entry?.[0]?.resource as Claim).item?.[0] as Partial<ClaimItem>).productOrService;
    const orphanCancel = pasRequest({ identifier: 'NOPE-2', related: { identifier: 'NEVER-SUBMITTED', relationship: 'replaces' }, cancel: true });
    for (const body of ['[]', '{"resourceType":"Bundle","type":"collection","entry":[null]}', '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Claim"}}]}', JSON.stringify(noItems), JSON.stringify(noCode), JSON.stringify(orphanCancel), '"text"']) {
      const res = await post(body);
      expect(res.status, body.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(res.status, body.slice(0, 80)).toBeLessThan(500);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('when the official PAS request examples are submitted, then each is validated and answered with a response Bundle whose first entry is a ClaimResponse', async () => {
    const dir = join(process.cwd(), 'test/fixtures/ig-examples/davinci-pas');
    const files = readdirSync(dir).filter((f) => /^Bundle-.*AuthorizationBundleExample\.json$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const res = await authed(srv).post('/fhir/Claim/$submit').set('Content-Type', FHIR_JSON).send(readFileSync(join(dir, f), 'utf8'));
      expect(res.status, `${f}: ${JSON.stringify(res.body).slice(0, 500)}`).toBe(200);
      expect((res.body as Bundle).entry?.[0]?.resource?.resourceType, f).toBe('ClaimResponse');
    }
  });
});

describe('PAS Claim/$inquire, updates, cancellation and appeals', () => {
  const inquiry = (identifier: Array<{ system?: string; value: string }>): Bundle => {
    const b = pasRequest({});
    (b.entry?.[0]?.resource as Claim).identifier = identifier;
    return b;
  };

  it('when the submitter inquires by its own identifier, the tracking number or the PA number, then it gets the current ClaimResponse; another organization does not', async () => {
    const { response } = await submit(pasRequest({ identifier: 'INQ-1', answers: sleepStudy(30), questionnaire: CPAP_Q }));
    for (const id of [{ system: 'http://ehr.example.org/pa-request', value: 'INQ-1' }, { value: tracking(response) }, { value: response.preAuthRef as string }]) {
      const res = await authed(srv, token).post('/fhir/Claim/$inquire').set('Content-Type', FHIR_JSON).send(JSON.stringify(inquiry([id])));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(tracking((res.body as Bundle).entry?.[0]?.resource as ClaimResponse)).toBe(tracking(response));
    }
    const other = await authed(srv, otherToken).post('/fhir/Claim/$inquire').set('Content-Type', FHIR_JSON).send(JSON.stringify(inquiry([{ value: tracking(response) }])));
    expect(other.status).toBe(404);
  });

  it('when the official PAS inquiry example is sent, then it is parsed and answered with an OperationOutcome: its member is not one of ours', async () => {
    const body = readFileSync(join(process.cwd(), 'test/fixtures/ig-examples/davinci-pas/Bundle-PASClaimInquiryBundleExample.json'), 'utf8');
    const res = await authed(srv).post('/fhir/Claim/$inquire').set('Content-Type', FHIR_JSON).send(body);
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body.issue)).toMatch(/member ID/);
  });

  it('when a pended request is updated (related replaces) with its documentation, then it is decided under the same tracking number', async () => {
    const first = await submit(pasRequest({ identifier: 'UPD-1' }));
    expect(decision(first.response)).toBe('pended');
    const second = await submit(pasRequest({ identifier: 'UPD-2', related: { identifier: 'UPD-1', relationship: 'replaces' }, answers: sleepStudy(18), questionnaire: CPAP_Q }));
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(tracking(second.response)).toBe(tracking(first.response));
    expect(decision(second.response)).toBe('approved');
  });

  it('when the requester cancels a pended request (certificationType 3), then it is withdrawn', async () => {
    await submit(pasRequest({ identifier: 'CAN-1' }));
    const cancelled = await submit(pasRequest({ identifier: 'CAN-2', related: { identifier: 'CAN-1', relationship: 'replaces' }, cancel: true }));
    expect(decision(cancelled.response)).toBe('withdrawn');
    expect(reviewAction(cancelled.response)).toBe('C');
  });

  it('when a denied request is updated, then 422 (a denial cannot be updated); when it is appealed (related prior), then the appeal pends and the original shows the appeal', async () => {
    const denied = await submit(pasRequest({ identifier: 'DEN-1', system: CODE_SYSTEM.cpt, code: '97110', quantity: 100 }));
    expect(decision(denied.response)).toBe('denied');
    const update = await submit(pasRequest({ identifier: 'DEN-2', related: { identifier: 'DEN-1', relationship: 'replaces' }, system: CODE_SYSTEM.cpt, code: '97110', quantity: 20 }));
    expect(update.status).toBe(422);
    const appeal = await submit(pasRequest({ identifier: 'DEN-3', related: { identifier: 'DEN-1', relationship: 'prior' }, system: CODE_SYSTEM.cpt, code: '97110', quantity: 100 }));
    expect(appeal.status, JSON.stringify(appeal.body)).toBe(200);
    expect(decision(appeal.response)).toBe('pended');
    expect(tracking(appeal.response)).not.toBe(tracking(denied.response));
    const originalId = (await authed(srv).get(`/fhir/ClaimResponse?identifier=${tracking(denied.response)}`)).body.entry[0].resource as ClaimResponse;
    const appealExt = originalId.extension?.find((e) => e.url.endsWith('/pa-appeal'));
    expect(appealExt?.extension?.find((e) => e.url === 'status')?.valueCode).toBe('pending');
  });
});

describe('searching PA requests, as the portal does', () => {
  it('when a provider system searches ClaimResponses (tracking number, member ID, status, date range), then it finds its own requests and never another organization\'s', async () => {
    const { response } = await submit(pasRequest({ identifier: 'SRCH-1', system: CODE_SYSTEM.cpt, code: '70551' }));
    const mine = async (q: string, as = token): Promise<ClaimResponse[]> => {
      const res = await authed(srv, as).get(`/fhir/ClaimResponse?${q}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => e.resource as ClaimResponse);
    };
    expect((await mine(`identifier=${tracking(response)}`)).map(tracking)).toEqual([tracking(response)]);
    const today = new Date().toISOString().slice(0, 10);
    const pended = await mine(`member-id=${member.memberId}&pa-decision=pended&pa-submitted=ge${today}&_count=200`);
    expect(pended.map(tracking)).toContain(tracking(response));
    expect(pended.every((r) => decision(r) === 'pended')).toBe(true);
    const all = await mine('_count=1000');
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((r) => r.requestor?.reference)).size).toBe(1);
    // The other organization's system sees none of these, by search or by id.
    expect(await mine(`identifier=${tracking(response)}`, otherToken)).toEqual([]);
    const id = (await mine(`identifier=${tracking(response)}`))[0].id as string;
    expect((await authed(srv, otherToken).get(`/fhir/ClaimResponse/${id}`)).status).toBe(404);
    expect((await authed(srv, token).get(`/fhir/ClaimResponse/${id}`)).status).toBe(200);
  });

  it('when a provider system names the member with patient=, then it gets its own requests for that member (the PA API answers it, not a Provider Access treatment check)', async () => {
    const { response } = await submit(pasRequest({ identifier: 'SRCH-2', system: CODE_SYSTEM.cpt, code: '70551' }));
    const res = await authed(srv, token).get(`/fhir/ClaimResponse?patient=Patient/${member.id}&_count=500`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const found = ((res.body as Bundle).entry ?? []).map((e) => e.resource as ClaimResponse);
    expect(found.map(tracking)).toContain(tracking(response));
    expect(found.every((r) => r.requestor?.reference === ownOrg && r.patient?.reference === `Patient/${member.id}`)).toBe(true);
    // The other organization's system, naming the same member, sees none of them.
    const other = await authed(srv, otherToken).get(`/fhir/ClaimResponse?patient=Patient/${member.id}`);
    expect(other.status).toBe(200);
    expect((other.body as Bundle).entry ?? []).toEqual([]);
  });

  it('when a provider system\'s token carries no ClaimResponse scope, then it reads none of its requests', async () => {
    const claimOnly = await backendToken(ownOrg, 'ehr-claim-only', 'system/Claim.rs');
    const res = await authed(srv, claimOnly).get('/fhir/ClaimResponse?_count=5');
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('review queue, decisions, extensions and deadlines', () => {
  const queue = async () => (await authed(srv).get('/admin/pa-queue')).body as Array<{ id: string; trackingNumber: string; priority: string; dueAt: string; overdue: boolean; extended: boolean }>;
  const current = async (id: string): Promise<ClaimResponse> => (await authed(srv).get(`/fhir/ClaimResponse/${id}`)).body as ClaimResponse;

  it('when requests pend, then the queue lists them soonest deadline first (an expedited one before an earlier standard one)', async () => {
    const standard = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const expedited = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551', priority: 'stat' }));
    const q = await queue();
    const at = (r: ClaimResponse) => q.findIndex((e) => e.trackingNumber === tracking(r));
    expect(at(expedited.response)).toBeGreaterThanOrEqual(0);
    expect(at(expedited.response)).toBeLessThan(at(standard.response));
    const dues = q.map((e) => e.dueAt);
    expect(dues).toEqual([...dues].sort());
    expect(q[at(expedited.response)].priority).toBe('expedited');
  });

  it('when a reviewer approves, then the request is approved with a PA number, a Provenance names the reviewer, the member sees it, and it leaves the queue; deciding again is 409', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const id = (await queue()).find((e) => e.trackingNumber === tracking(response))?.id as string;
    const res = await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'approved', note: 'Red flags documented by phone.' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = await current(id);
    expect(decision(after)).toBe('approved');
    expect(after.preAuthRef).toMatch(/^PA/);
    expect((await queue()).some((e) => e.id === id)).toBe(false);
    const prov = (await authed(srv).get(`/fhir/Provenance?target=ClaimResponse/${id}`)).body as Bundle;
    expect(prov.entry?.length).toBeGreaterThan(0);
    const views = ((await authed(srv).get(`/fhir/ExplanationOfBenefit?patient=${member.id}&use=preauthorization&_count=500`)).body as Bundle).entry?.map((e) => e.resource as ExplanationOfBenefit) ?? [];
    const view = views.find((v) => v.identifier?.some((i) => i.value === tracking(response)));
    expect(view?.extension?.find((e) => e.url.endsWith('/pa-decision'))?.valueCode).toBe('approved');
    expect((await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'denied', reason: 'not-covered' })).status).toBe(409);
  });

  it('when a reviewer denies without a specific reason, then 422; with one, the denial carries its code and text', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const id = (await queue()).find((e) => e.trackingNumber === tracking(response))?.id as string;
    expect((await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'denied' })).status).toBe(422);
    expect((await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'denied', reason: 'made-up' })).status).toBe(400);
    const res = await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'denied', reason: 'not-medically-necessary' });
    expect(res.status).toBe(200);
    const reason = (await current(id)).item?.[0]?.adjudication?.[0]?.reason;
    expect(reason?.coding?.[0]?.code).toBe('not-medically-necessary');
    expect(reason?.text).toMatch(/medically necessary/);
  });

  it('when a standard request is extended, then its deadline moves 14 days and the extension is recorded; a second extension or an expedited one is refused', async () => {
    const standard = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const q = await queue();
    const entry = q.find((e) => e.trackingNumber === tracking(standard.response)) as { id: string; dueAt: string };
    const res = await authed(srv).post(`/admin/pa-requests/${entry.id}/extension`).send({ reason: 'Waiting for the specialist report' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = (await queue()).find((e) => e.id === entry.id);
    expect(Date.parse(after?.dueAt as string) - Date.parse(entry.dueAt)).toBe(14 * DAY);
    expect(after?.extended).toBe(true);
    expect((await authed(srv).post(`/admin/pa-requests/${entry.id}/extension`).send({ reason: 'again' })).status).toBe(422);
    const expedited = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551', priority: 'stat' }));
    const eid = (await queue()).find((e) => e.trackingNumber === tracking(expedited.response))?.id as string;
    expect((await authed(srv).post(`/admin/pa-requests/${eid}/extension`).send({ reason: 'x' })).status).toBe(422);
  });

  it('when a reviewer approves an appeal, then the original denial records the appeal as overturned', async () => {
    const denied = await submit(pasRequest({ identifier: 'APL-1', system: CODE_SYSTEM.cpt, code: '97110', quantity: 100 }));
    const appeal = await submit(pasRequest({ identifier: 'APL-2', related: { identifier: 'APL-1', relationship: 'prior' }, system: CODE_SYSTEM.cpt, code: '97110', quantity: 100 }));
    const id = (await queue()).find((e) => e.trackingNumber === tracking(appeal.response))?.id as string;
    expect((await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'approved', note: 'Exception granted on appeal' })).status).toBe(200);
    const original = ((await authed(srv).get(`/fhir/ClaimResponse?identifier=${tracking(denied.response)}`)).body as Bundle).entry?.[0]?.resource as ClaimResponse;
    const appealExt = original.extension?.find((e) => e.url.endsWith('/pa-appeal'));
    expect(appealExt?.extension?.find((e) => e.url === 'status')?.valueCode).toBe('overturned');
    expect(decision(original)).toBe('denied');
  });

  it('when pended requests near or pass their deadline, then the scheduler raises one alert each, once, however often it runs', async () => {
    // A pended request whose deadline has passed, as a payer's own system would have loaded it.
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551', priority: 'stat' }));
    const id = (await queue()).find((e) => e.trackingNumber === tracking(response))?.id as string;
    const stored = await current(id);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    stored.extension = stored.extension?.map((e) => (e.url.endsWith('/pa-due-at') ? { ...e, valueDateTime: past } : e));
    expect((await authed(srv).put(`/fhir/ClaimResponse/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(stored))).status).toBe(200);
    const first = (await authed(srv).post('/admin/pa-deadlines/run')).body as { leased: boolean; raised: Array<{ request: string; kind: string }> };
    expect(first.leased).toBe(true);
    expect(first.raised.find((a) => a.request === id)?.kind).toBe('overdue');
    // Expedited requests are due within 72 hours, inside the default 24-hour window only near the end: none of the fresh ones is due-soon.
    const second = (await authed(srv).post('/admin/pa-deadlines/run')).body as { raised: unknown[] };
    expect(second.raised).toEqual([]);
    const alerts = (await authed(srv).get('/admin/pa-alerts')).body as Array<{ request: string; kind: string }>;
    expect(alerts.filter((a) => a.request === id)).toEqual([expect.objectContaining({ kind: 'overdue' })]);
    expect((await queue()).find((e) => e.id === id)?.overdue).toBe(true);
  });

  it('when a signed-in reviewer uses the queue page, then the requests are listed and a denial with its reason is recorded; a forged form changes nothing', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const id = (await queue()).find((e) => e.trackingNumber === tracking(response))?.id as string;
    expect((await authed(srv).post('/admin/users').set('Content-Type', 'application/json').send({ kind: 'staff', login: 'reviewer-1', password: 'a-long-reviewer-password' })).status).toBe(201);
    const login = await submitLogin(srv, undefined, { user: { login: 'reviewer-1', password: 'a-long-reviewer-password' } });
    const cookie = cookieOf(login);
    const page = await fetch(`${srv.url}/review/prior-auth`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(tracking(response));
    const csrf = hiddenField(text, 'csrf') as string;
    const post = (form: Record<string, string>) => fetch(`${srv.url}/review/prior-auth/${id}/decision`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    expect((await post({ csrf: 'forged', decision: 'denied', reason: 'not-covered' })).status).toBe(403);
    expect(decision(await current(id))).toBe('pended');
    const done = await post({ csrf, decision: 'denied', reason: 'not-covered' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Recorded');
    expect(decision(await current(id))).toBe('denied');
    expect((await fetch(`${srv.url}/review/prior-auth`, { redirect: 'manual' })).status).toBe(303);
  });
});

describe('PAS Subscriptions (R4 backport, rest-hook)', () => {
  let receiver: Server;
  let endpoint: string;
  let answer = 200;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: Bundle }> = [];
  const PAS_TOPIC = 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic';
  const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(data) as Bundle });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const subscription = (filter: string, content = 'id-only', url = endpoint) => ({
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'PAS decisions for our organization',
    criteria: PAS_TOPIC,
    _criteria: { extension: [{ url: `${BP}/backport-filter-criteria`, valueString: filter }] },
    channel: { type: 'rest-hook', endpoint: url, header: ['Authorization: Bearer ehr-secret'], payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: content }] } },
  });
  const create = (body: unknown, as = token) => authed(srv, as).post('/fhir/Subscription').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const waitFor = async (pred: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const statusOf = (b: Bundle) => (b.entry?.[0]?.resource as Parameters).parameter ?? [];

  it('when a provider system subscribes to the PAS topic for its own organization, then a handshake reaches its endpoint (with its header) and the Subscription is active', async () => {
    const res = await create(subscription(`orgIdentifier=${IDENTIFIER_SYSTEM.npi}|${orgNpi}`, 'full-resource'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('active');
    const handshake = received.find((r) => statusOf(r.body).some((p) => p.name === 'type' && p.valueCode === 'handshake'));
    expect(handshake?.headers.authorization).toBe('Bearer ehr-secret');
    expect(handshake?.body.type).toBe('history');
  });

  it('when a pended request of that organization is decided, then an event notification with the ClaimResponse arrives without polling', async () => {
    const { response } = await submit(pasRequest({ system: CODE_SYSTEM.cpt, code: '70551' }));
    const id = ((await authed(srv).get('/admin/pa-queue')).body as Array<{ id: string; trackingNumber: string }>).find((e) => e.trackingNumber === tracking(response))?.id as string;
    const before = received.length;
    expect((await authed(srv).post(`/admin/pa-requests/${id}/decision`).send({ decision: 'approved' })).status).toBe(200);
    await waitFor(() => received.length > before);
    const event = received.slice(before).find((r) => statusOf(r.body).some((p) => p.name === 'type' && p.valueCode === 'event-notification'));
    expect(event).toBeDefined();
    const focus = statusOf(event?.body as Bundle).find((p) => p.name === 'notification-event')?.part?.find((p) => p.name === 'focus')?.valueReference?.reference;
    expect(focus).toBe(`${srv.baseUrl}/ClaimResponse/${id}`);
    const carried = event?.body.entry?.[1]?.resource as ClaimResponse;
    expect(decision(carried)).toBe('approved');
  });

  it('when the filter names another organization, or the endpoint or topic is not acceptable, then the Subscription is refused', async () => {
    expect((await create(subscription('orgIdentifier=9999999999'))).status).toBe(403);
    expect((await create({ ...subscription(`orgIdentifier=${orgNpi}`), criteria: 'ClaimResponse?status=active' })).status).toBe(422);
    expect((await create(subscription(`orgIdentifier=${orgNpi}`, 'id-only', 'ftp://example.org/x'))).status).toBe(422);
  });

  it('when the endpoint refuses the handshake, then the Subscription is in error; another organization cannot read it, its owner can, and $status reports it', async () => {
    answer = 500;
    const res = await create(subscription(`orgIdentifier=${orgNpi}`));
    answer = 200;
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('error');
    const id = String(res.body.id);
    expect((await authed(srv, otherToken).get(`/fhir/Subscription/${id}`)).status).toBe(404);
    expect((await authed(srv, token).get(`/fhir/Subscription/${id}`)).status).toBe(200);
    const status = await authed(srv, token).get(`/fhir/Subscription/${id}/$status`);
    expect(status.status).toBe(200);
    expect(((status.body as Bundle).entry?.[0]?.resource as Parameters).parameter?.find((p) => p.name === 'status')?.valueCode).toBe('error');
    expect((await authed(srv, token).delete(`/fhir/Subscription/${id}`)).status).toBe(204);
  });
});
