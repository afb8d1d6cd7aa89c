import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Bundle } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, anObservation, FHIR_JSON } from '../../helpers/fhir-json.js';

let srv: TestServer;
const api = () => authed(srv);

async function create(body: object): Promise<string> {
  const res = await api().post(`/fhir/${(body as { resourceType: string }).resourceType}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  if (res.status !== 201) throw new Error(`create failed ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
async function search(path: string): Promise<Bundle & { status: number }> {
  const res = await api().get(`/fhir/${path}`);
  return { ...(res.body as Bundle), status: res.status };
}
const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
});

describe('embedded store: _lastUpdated combined with an indexed condition', () => {
  it('when _lastUpdated narrows a search, then the type and reference conditions still apply', async () => {
    const pA = await create(aPatient('Alpha'));
    const pB = await create(aPatient('Beta'));
    // many patients so the type set is larger than the lastUpdated slice
    for (let i = 0; i < 5; i++) await create(aPatient(`Filler${i}`));
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await create(anObservation(pA, '1234-5', '2020-01-01'));
    // Patient search restricted to recent updates: only Observations were written since, so none.
    const patients = await search(`Patient?_lastUpdated=gt${encodeURIComponent(since)}`);
    expect(patients.status).toBe(200);
    expect(matches(patients)).toEqual([]);
    // Observation of patient B updated since: none (obsA belongs to A).
    const obsOfB = await search(`Observation?subject=Patient/${pB}&_lastUpdated=gt${encodeURIComponent(since)}`);
    expect(matches(obsOfB)).toEqual([]);
  });
});

describe('_id:not', () => {
  it('when _id:not=x is searched, then every resource except x matches', async () => {
    const a = await create(aPatient('NotA'));
    const b = await create(aPatient('NotB'));
    const res = await search(`Patient?_id:not=${a}&family=Not`);
    expect(res.status).toBe(200);
    expect(matches(res)).toEqual([`Patient/${b}`]);
  });
});

describe('bad bundle entries', () => {
  for (const type of ['batch', 'transaction']) {
    it(`when a ${type} entry is null, then the answer is 400 not 500`, async () => {
      const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type, entry: [null] }));
      // A batch answers per entry (R4 http.html#transaction); a transaction fails as a whole.
      const status = type === 'batch' ? Number((res.body as Bundle).entry?.[0]?.response?.status?.slice(0, 3)) : res.status;
      expect(res.status).not.toBe(500);
      expect(status).toBe(400);
    });
    it(`when a ${type} entry has a non-string request.url, then the answer is 400 not 500`, async () => {
      const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type, entry: [{ request: { method: 'GET', url: 42 } }] }));
      // A batch answers per entry (R4 http.html#transaction); a transaction fails as a whole.
      const status = type === 'batch' ? Number((res.body as Bundle).entry?.[0]?.response?.status?.slice(0, 3)) : res.status;
      expect(res.status).not.toBe(500);
      expect(status).toBe(400);
    });
    it(`when a ${type} entry has a non-string If-Match, then the answer is 400 not 500`, async () => {
      const id = await create(aPatient('IfMatch'));
      const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type, entry: [{ resource: { ...aPatient('IfMatch'), id }, request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 1 } }] }));
      const status = type === 'batch' ? Number((res.body as Bundle).entry?.[0]?.response?.status?.slice(0, 3)) : res.status;
      expect(res.status).not.toBe(500);
      expect(status).toBe(400);
    });
  }
});

describe('transaction: conditional create and references to its fullUrl', () => {
  it('when an earlier POST references the fullUrl of a conditional create that matches, then the reference points at the existing resource', async () => {
    const existing = await create(aPatient('Cond', 'X', { identifier: [{ system: 'urn:test', value: 'cond-1' }] }));
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:obs', resource: anObservation('placeholder', '1234-5', '2020-01-01'), request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:pat', resource: aPatient('Cond', 'X', { identifier: [{ system: 'urn:test', value: 'cond-1' }] }), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test|cond-1' } },
      ],
    };
    (bundle.entry[0].resource as { subject: { reference: string } }).subject.reference = 'urn:uuid:pat';
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    const obs = (res.body as Bundle).entry?.[0]?.resource as { subject: { reference: string } };
    expect(obs.subject.reference).toBe(`Patient/${existing}`);
  });
});

describe('number/quantity ap prefix', () => {
  it('when ap is used with a negative value, then values near it match', async () => {
    const p = await create(aPatient('Neg'));
    const o = await create({ ...anObservation(p, '7777-7', '2020-01-01', -10) });
    const res = await search(`Observation?subject=Patient/${p}&value-quantity=ap-10`);
    expect(matches(res)).toEqual([`Observation/${o}`]);
  });
});

describe('embedded store: repeated _id values', () => {
  it('when the same id is listed twice in _id, then the resource is returned once', async () => {
    const a = await create(aPatient('Twice'));
    for (let i = 0; i < 3; i++) await create(aPatient(`TwiceFiller${i}`));
    const res = await search(`Patient?_id=${a},${a}`);
    expect(matches(res)).toEqual([`Patient/${a}`]);
    expect(res.total).toBe(1);
  });
});

describe('transaction: references to the fullUrl of a PUT entry', () => {
  it('when a POST references the urn:uuid fullUrl of a PUT entry, then the reference is resolved to Type/id', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:5b1c7e52-0000-4000-8000-000000000001', resource: { ...aPatient('PutRef'), id: 'put-ref-1' }, request: { method: 'PUT', url: 'Patient/put-ref-1' } },
        { fullUrl: 'urn:uuid:5b1c7e52-0000-4000-8000-000000000002', resource: { ...anObservation('x', '1234-5', '2020-01-01'), subject: { reference: 'urn:uuid:5b1c7e52-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    const obs = (res.body as Bundle).entry?.[1]?.resource as { subject: { reference: string } };
    expect(obs.subject.reference).toBe('Patient/put-ref-1');
  });
});

describe('_format with an unencoded plus', () => {
  it('when _format=application/fhir+json is sent unencoded (the + arrives as a space), then JSON is served, not 406', async () => {
    const res = await api().get('/fhir/Patient?_format=application/fhir+json');
    expect(res.status).toBe(200);
  });
});
