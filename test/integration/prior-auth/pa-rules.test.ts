/**
 * The prior-authorization rules as data: the first start saves version 1 (with the demo services when the
 * demo data is there), staff change one service or program rule at a time or the whole set, every change
 * is a new version kept with who and why, a stale or invalid change is refused, and the published list
 * (no login) is the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Questionnaire } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { PA_SERVICES } from '../../../src/synthetic/tables/claim-codes.js';

let srv: TestServer;
let empty: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '3' });
  empty = await startTestServer({ SEED_MEMBERS: '0' });
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  await empty?.stop();
});

interface Version {
  version: number;
  by: string;
  comment: string;
  rules: { services: Array<{ id: string; code: string; questionnaire?: string }>; referral: { from: string }; screening: { leadDays: number } };
}

describe('prior-authorization rules', () => {
  it('when a server starts with demo data, then version 1 lists every demo PA service, each with a DTR Questionnaire stored on the server', async () => {
    const res = await authed(srv).get('/admin/pa-rules');
    expect(res.status).toBe(200);
    const v = res.body as Version;
    expect(v.version).toBe(1);
    expect(v.by).toBe('system');
    expect(v.rules.services.map((s) => s.code).sort()).toEqual(PA_SERVICES.map((s) => s.code).sort());
    expect(v.rules.referral.from).toBe('2025-08-01');
    for (const s of v.rules.services) {
      const [url, version] = (s.questionnaire as string).split('|');
      const found = await authed(srv).get(`/fhir/Questionnaire?url=${encodeURIComponent(url)}&version=${version}`);
      expect(found.status).toBe(200);
      expect((found.body.entry as Array<{ resource: Questionnaire }>).map((e) => e.resource.url), s.id).toEqual([url]);
    }
  });

  it('when a server starts without demo data, then version 1 has the program rules and no services', async () => {
    const v = (await authed(empty).get('/admin/pa-rules')).body as Version;
    expect(v.version).toBe(1);
    expect(v.rules.services).toEqual([]);
    expect(v.rules.screening.leadDays).toBe(7);
  });

  it('when staff add a service, then it is version 2, with who and why, and the published list shows it without a login', async () => {
    const service = { system: 'hcpcs', code: 'E0470-E0472', display: 'Respiratory assist device, bi-level pressure', category: 'Durable medical equipment', planTypes: ['FFS', 'PCC'], from: '2026-01-01' };
    const res = await authed(srv).put('/admin/pa-rules/services/bipap').send({ service, comment: 'BiPAP added by the DME policy of 2026', version: 1 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ version: 2, comment: 'BiPAP added by the DME policy of 2026' });
    expect(res.body.by).toBeTruthy();
    const published = await request(srv.url).get('/prior-auth/services.json');
    expect(published.status).toBe(200);
    expect(published.body.version).toBe(2);
    const bipap = (published.body.services as Array<Record<string, unknown>>).find((s) => s.id === 'bipap');
    expect(bipap).toMatchObject({ codeSystem: 'HCPCS', code: 'E0470-E0472', planTypes: ['FFS', 'PCC'], effectiveFrom: '2026-01-01' });
    expect(published.body.services.length).toBe(PA_SERVICES.length + 1);
  });

  it('when staff save on top of a version that is no longer current, then 409 and nothing changes', async () => {
    const res = await authed(srv).put('/admin/pa-rules/screening').send({ rule: { planTypes: ['FFS'], from: '2016-01-01', leadDays: 5 }, version: 1 });
    expect(res.status).toBe(409);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(((await authed(srv).get('/admin/pa-rules')).body as Version).version).toBe(2);
  });

  it('when a change would leave the rules invalid, then 422 names every problem and nothing changes', async () => {
    const res = await authed(srv).put('/admin/pa-rules/services/bad').send({ service: { system: 'loinc', code: 'Z9-A1', display: '', category: 'x', planTypes: ['NOPE'], from: '2026-13-01' } });
    expect(res.status).toBe(422);
    const text = JSON.stringify(res.body.issue);
    for (const field of ['system', 'code', 'display', 'planTypes', 'from']) expect(text).toContain(field);
    const whole = await authed(srv).put('/admin/pa-rules').send({ rules: { services: 'all' } });
    expect(whole.status).toBe(422);
    expect(((await authed(srv).get('/admin/pa-rules')).body as Version).version).toBe(2);
  });

  it('when staff change a program rule and remove a service, then each is a version, and every earlier version reads back as it was', async () => {
    const screening = await authed(srv).put('/admin/pa-rules/screening').send({ rule: { planTypes: ['FFS', 'PCC', 'PCACO', 'MCO'], from: '2016-01-01', leadDays: 10 }, comment: 'lead time 10 days' });
    expect(screening.body.version).toBe(3);
    const removed = await authed(srv).delete('/admin/pa-rules/services/bipap?comment=withdrawn');
    expect(removed.status).toBe(200);
    expect(removed.body.version).toBe(4);
    expect(removed.body.rules.services.some((s: { id: string }) => s.id === 'bipap')).toBe(false);
    expect((await authed(srv).delete('/admin/pa-rules/services/bipap')).status).toBe(404);
    const history = (await authed(srv).get('/admin/pa-rules/versions')).body as Array<{ version: number; comment: string; services: number }>;
    expect(history.map((h) => h.version)).toEqual([4, 3, 2, 1]);
    expect(history.map((h) => h.comment)).toEqual(['withdrawn', 'lead time 10 days', 'BiPAP added by the DME policy of 2026', 'initial rules']);
    const v2 = (await authed(srv).get('/admin/pa-rules/versions/2')).body as Version;
    expect(v2.rules.services.some((s) => s.id === 'bipap')).toBe(true);
    expect(v2.rules.screening.leadDays).toBe(7);
    expect((await authed(srv).get('/admin/pa-rules/versions/99')).status).toBe(404);
    expect((await authed(srv).get('/admin/pa-rules/versions/abc')).status).toBe(400);
  });

  it('when someone without a staff token calls the admin endpoints, then 401; the published list needs none', async () => {
    expect((await request(srv.url).get('/admin/pa-rules')).status).toBe(401);
    expect((await request(srv.url).put('/admin/pa-rules/services/x').send({ service: {} })).status).toBe(401);
    expect((await request(srv.url).get('/prior-auth/services.json')).status).toBe(200);
  });

  it('when the body is not JSON or has operators for keys, then 400 or 422, never a 500', async () => {
    const bad = await authed(srv).put('/admin/pa-rules/services/x').set('Content-Type', 'application/json').send('{"service": ');
    expect(bad.status).toBe(400);
    const op = await authed(srv).put('/admin/pa-rules/services/x').send({ service: { $where: '1', id: 'x' } });
    expect(op.status).toBe(422);
  });
});
