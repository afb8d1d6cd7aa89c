/**
 * Prior authorizations in the Patient Access API (issue 4): the member's app sees each PA as a PDex
 * Prior Authorization (ExplanationOfBenefit, use = preauthorization) derived from the PAS Claim and
 * ClaimResponse the PA process stores. A status change of the ClaimResponse shows in the view in the
 * same write; a denial carries its specific reason; the view can never be written by hand, and it goes
 * when its source goes. Seeded PAs have views equal to what the server derives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Claim, ClaimResponse, ExplanationOfBenefit, ExplanationOfBenefitItemAdjudication } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { demoMemberToken } from '../../helpers/smart-login.js';
import { paClaim, paClaimResponse, type PaRequestInput } from '../../../src/synthetic/prior-auth/pa-resources.js';
import { PA_SERVICES } from '../../../src/synthetic/tables/claim-codes.js';
import type { PaTimeline } from '../../../src/synthetic/prior-auth/pa-timeline.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

const FHIR_JSON = 'application/fhir+json';
const PDEX_PA = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization';
const DISCRIMINATOR = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PDexAdjudicationDiscriminator';
const DAY = 86_400_000;

let srv: TestServer;
let demo: DemoLogins;
let member: DemoLogins['members'][number];
let memberToken: string;
let other: DemoLogins['members'][number];
let coverageId: string;
let payerId: string;
let requesterId: string;

const adjudication = (eob: ExplanationOfBenefit, code: string): ExplanationOfBenefitItemAdjudication | undefined =>
  eob.item?.[0]?.adjudication?.find((a) => a.category.coding?.some((c) => c.system === DISCRIMINATOR && c.code === code));
const reviewCode = (eob: ExplanationOfBenefit): string | undefined =>
  eob.item?.[0]?.adjudication
    ?.flatMap((a) => a.extension ?? [])
    .find((e) => e.url.endsWith('/extension-reviewAction'))
    ?.extension?.find((e) => e.url.endsWith('/extension-reviewActionCode'))?.valueCodeableConcept?.coding?.[0]?.code;

function pair(id: string, timeline: Partial<PaTimeline> & Pick<PaTimeline, 'decision'>, patient = member.patient): { claim: Claim; response: ClaimResponse } {
  const submittedMs = Date.parse('2026-10-01T14:00:00Z');
  const t: PaTimeline = { priority: 'standard', submittedMs, dueMs: submittedMs + 7 * DAY, requestedQuantity: 12, requestedStart: '2026-10-10', requestedEnd: '2027-01-07', ...timeline };
  const input: PaRequestInput = { id, trackingNumber: `T-${id}`, patientId: patient, payerId, requesterOrgId: requesterId, coverageId, service: PA_SERVICES.find((s) => s.label === 'physical-therapy')!, timeline: t };
  return { claim: paClaim(input), response: paClaimResponse({ ...input, responseId: `${id}-r`, paNumber: `PA${id}` }) };
}

async function submit(claim: Claim | undefined, response: ClaimResponse): Promise<number> {
  const entry = [claim, response].filter((r): r is Claim | ClaimResponse => r !== undefined).map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
  const res = await authed(srv).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
  return res.status;
}

const memberGet = (path: string) => authed(srv, memberToken).get(`/fhir/${path}`);

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '4' });
  demo = srv.demo as DemoLogins;
  [member, other] = demo.members;
  const coverage = await authed(srv).get(`/fhir/Coverage?beneficiary=Patient/${member.patient}&_count=1`);
  const cov = (coverage.body as Bundle).entry?.[0]?.resource as { id: string; payor: Array<{ reference: string }> };
  coverageId = cov.id;
  payerId = cov.payor[0].reference.split('/')[1];
  const orgs = await authed(srv).get('/fhir/Organization?_count=50');
  requesterId = ((orgs.body as Bundle).entry ?? []).map((e) => e.resource?.id as string).find((id) => id !== payerId) as string;
  memberToken = await demoMemberToken(srv, demo, member);
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('prior authorizations as PDex views', () => {
  it('when a PA request is pended, then the member sees it at once as a PDex Prior Authorization with outcome queued', async () => {
    const { claim, response } = pair('t-pend', { decision: 'pended' });
    expect(await submit(claim, response)).toBe(200);
    const res = await memberGet('ExplanationOfBenefit/pa-t-pend-r');
    expect(res.status).toBe(200);
    const eob = res.body as ExplanationOfBenefit;
    expect(eob.use).toBe('preauthorization');
    expect(eob.meta?.profile).toContain(PDEX_PA);
    expect(eob.outcome).toBe('queued');
    expect(eob.patient.reference).toBe(`Patient/${member.patient}`);
    expect(eob.claim?.reference).toBe('Claim/t-pend');
    expect(eob.item?.[0]?.quantity?.value).toBe(12);
    // Found by the member's searches too.
    const search = await memberGet(`ExplanationOfBenefit?patient=${member.patient}&_profile=${encodeURIComponent(PDEX_PA)}&_count=100`);
    expect(((search.body as Bundle).entry ?? []).map((e) => e.resource?.id)).toContain('pa-t-pend-r');
  });

  it('when the pended request is then approved, then the same view shows the decision, the approved and used quantities and the period, in one write', async () => {
    const decidedMs = Date.parse('2026-10-03T10:00:00Z');
    const { response } = pair('t-pend', { decision: 'approved', decidedMs, approvedQuantity: 10, approvedStart: '2026-10-10', approvedEnd: '2027-01-07', usedQuantity: 3 });
    expect(await submit(undefined, response)).toBe(200);
    const eob = (await memberGet('ExplanationOfBenefit/pa-t-pend-r')).body as ExplanationOfBenefit;
    expect(eob.outcome).toBe('complete');
    expect(eob.meta?.versionId).toBe('2');
    expect(reviewCode(eob)).toBe('A1');
    expect(adjudication(eob, 'allowedunits')?.value).toBe(10);
    expect(adjudication(eob, 'consumedunits')?.value).toBe(3);
    expect(eob.preAuthRef).toEqual(['PAt-pend']);
    expect(eob.preAuthRefPeriod).toEqual([{ start: '2026-10-10', end: '2027-01-07' }]);
    // The view and its source are of the same moment: the ClaimResponse's lastUpdated equals the view's.
    const source = (await authed(srv).get('/fhir/ClaimResponse/t-pend-r')).body as ClaimResponse;
    expect(eob.meta?.lastUpdated).toBe(source.meta?.lastUpdated);
  });

  it('when a request is denied, then the view carries the specific reason: an X12 CARC, the program reason and its text', async () => {
    const { claim, response } = pair('t-deny', { decision: 'denied', decidedMs: Date.parse('2026-10-02T10:00:00Z'), denialReason: 'insufficient-documentation' });
    expect(await submit(claim, response)).toBe(200);
    const eob = (await memberGet('ExplanationOfBenefit/pa-t-deny-r')).body as ExplanationOfBenefit;
    expect(reviewCode(eob)).toBe('A3');
    const reason = adjudication(eob, 'denialreason')?.reason;
    expect(reason?.coding?.find((c) => c.system === 'https://x12.org/codes/claim-adjustment-reason-codes')?.code).toBe('252');
    expect(reason?.coding?.find((c) => c.code === 'insufficient-documentation')).toBeDefined();
    expect(reason?.text).toMatch(/documentation/);
    expect(eob.disposition).toMatch(/^Denied/);
  });

  it('when someone writes a prior-authorization ExplanationOfBenefit directly (POST or PUT on a pa- id), then 422 and nothing changes', async () => {
    const view = (await authed(srv).get('/fhir/ExplanationOfBenefit/pa-t-deny-r')).body as ExplanationOfBenefit;
    const forged = { ...view, outcome: 'complete', disposition: 'Approved' } as ExplanationOfBenefit;
    const put = await authed(srv).put('/fhir/ExplanationOfBenefit/pa-t-deny-r').set('Content-Type', FHIR_JSON).send(JSON.stringify(forged));
    expect(put.status).toBe(422);
    expect(put.body.resourceType).toBe('OperationOutcome');
    const { id: _id, ...withoutId } = forged;
    const post = await authed(srv).post('/fhir/ExplanationOfBenefit').set('Content-Type', FHIR_JSON).send(JSON.stringify(withoutId));
    expect(post.status).toBe(422);
    const del = await authed(srv).delete('/fhir/ExplanationOfBenefit/pa-t-deny-r');
    expect(del.status).toBe(422);
    const after = (await authed(srv).get('/fhir/ExplanationOfBenefit/pa-t-deny-r')).body as ExplanationOfBenefit;
    expect(after.meta?.versionId).toBe(view.meta?.versionId);
    expect(after.disposition).toBe(view.disposition);
  });

  it('when the ClaimResponse is deleted, then the view is gone with it', async () => {
    const { claim, response } = pair('t-gone', { decision: 'pended' });
    expect(await submit(claim, response)).toBe(200);
    expect((await memberGet('ExplanationOfBenefit/pa-t-gone-r')).status).toBe(200);
    expect((await authed(srv).delete('/fhir/ClaimResponse/t-gone-r')).status).toBe(204);
    expect((await authed(srv).get('/fhir/ExplanationOfBenefit/pa-t-gone-r')).status).toBe(410);
  });

  it('when another member has a PA, then this member neither reads nor finds its view', async () => {
    const { claim, response } = pair('t-other', { decision: 'pended' }, other.patient);
    expect(await submit(claim, response)).toBe(200);
    expect((await memberGet('ExplanationOfBenefit/pa-t-other-r')).status).toBe(404);
    const search = await memberGet('ExplanationOfBenefit?_id=pa-t-other-r');
    expect((search.body as Bundle).total).toBe(0);
  });

  it('when the demo data is seeded, then every preauthorization ClaimResponse has its view and the view is exactly what the server derives', async () => {
    const responses = await authed(srv).get('/fhir/ClaimResponse?use=preauthorization&_count=500');
    const seeded = ((responses.body as Bundle).entry ?? []).map((e) => e.resource as ClaimResponse).filter((r) => !r.id?.startsWith('t-'));
    expect(seeded.length).toBeGreaterThan(0);
    for (const response of seeded) {
      const view = await authed(srv).get(`/fhir/ExplanationOfBenefit/pa-${response.id}`);
      expect(view.status).toBe(200);
      // Re-writing the source unchanged makes the server derive the view again: it must not change.
      const claim = (await authed(srv).get(`/fhir/${response.request?.reference}`)).body as Claim;
      expect(await submit(claim, response)).toBe(200);
      const again = await authed(srv).get(`/fhir/ExplanationOfBenefit/pa-${response.id}`);
      expect(again.body.meta.versionId).toBe(view.body.meta.versionId);
    }
  });
});
