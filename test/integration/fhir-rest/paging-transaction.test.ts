import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Bundle } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, FHIR_JSON } from '../../helpers/fhir-json.js';

let srv: TestServer;
const api = () => authed(srv);

async function createPatients(n: number, family: string): Promise<string[]> {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: n }, (_, i) => ({
      resource: aPatient(family, `G${String(i).padStart(3, '0')}`, { birthDate: `19${50 + (i % 40)}-01-01` }),
      request: { method: 'POST', url: 'Patient' },
    })),
  };
  const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
  expect(res.status).toBe(200);
  return (res.body as Bundle).entry!.map((e) => e.resource!.id as string);
}

/** Follow next links from a first page; returns ids in order. */
async function walk(firstPath: string, between?: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let url: string | undefined = `${srv.baseUrl}/${firstPath}`;
  let page = 0;
  while (url) {
    const res = await api().get(url.replace(srv.url, ''));
    expect(res.status).toBe(200);
    const b = res.body as Bundle;
    seen.push(...(b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id as string));
    url = b.link?.find((l) => l.relation === 'next')?.url;
    if (between) await between(page);
    page++;
  }
  return seen;
}

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
});

describe('paging', () => {
  it('when following next links, then every match is seen exactly once, in sort order', async () => {
    const created = await createPatients(47, 'Pager');
    const seen = await walk('Patient?family=Pager&_count=10&_sort=birthdate');
    expect(seen.length).toBe(47);
    expect(new Set(seen).size).toBe(47);
    expect(new Set(seen)).toEqual(new Set(created));
  });

  it('when resources are created and deleted between pages, then no remaining record is skipped or repeated', async () => {
    const created = await createPatients(30, 'Churn');
    const deleted = new Set<string>();
    const seen = await walk('Patient?family=Churn&_count=7&_sort=-birthdate', async (page) => {
      // Insert new records (which may sort anywhere) and delete one not yet seen.
      await createPatients(3, 'Churn');
      if (page === 0) {
        const victim = created[created.length - 1];
        await api().delete(`/fhir/Patient/${victim}`);
        deleted.add(victim);
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of created) if (!deleted.has(id)) expect(seen).toContain(id);
  });

  it('when following previous links back from the last page, then the same pages come back in reverse', async () => {
    await createPatients(25, 'Backward');
    const forward: string[][] = [];
    let url: string | undefined = `${srv.baseUrl}/Patient?family=Backward&_count=10&_sort=given`;
    let last: Bundle | undefined;
    while (url) {
      last = (await api().get(url.replace(srv.url, ''))).body as Bundle;
      forward.push(last.entry!.map((e) => e.resource!.id as string));
      url = last.link?.find((l) => l.relation === 'next')?.url;
    }
    const backward: string[][] = [];
    let prev = last!.link?.find((l) => l.relation === 'previous')?.url;
    while (prev) {
      const b = (await api().get(prev.replace(srv.url, ''))).body as Bundle;
      backward.push(b.entry!.map((e) => e.resource!.id as string));
      prev = b.link?.find((l) => l.relation === 'previous')?.url;
    }
    expect(backward).toEqual(forward.slice(0, -1).reverse());
  });
});

describe('transaction', () => {
  it('when entries reference each other by urn:uuid, then the references are resolved to the new ids', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-1111-1111-1111-111111111111', resource: aPatient('Txn'), request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:22222222-2222-2222-2222-222222222222',
          resource: { resourceType: 'Coverage', status: 'active', beneficiary: { reference: 'urn:uuid:11111111-1111-1111-1111-111111111111' }, payor: [{ display: 'MassHealth' }] },
          request: { method: 'POST', url: 'Coverage' },
        },
      ],
    };
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const patientId = res.body.entry[0].resource.id;
    expect(res.body.entry[0].response.status).toBe('201');
    expect(res.body.entry[1].resource.beneficiary.reference).toBe(`Patient/${patientId}`);
    const cov = await api().get(`/fhir/Coverage?beneficiary=Patient/${patientId}`);
    expect(cov.body.total).toBe(1);
  });

  it('when one entry is invalid, then nothing in the transaction is stored', async () => {
    const before = (await api().get('/fhir/Patient?family=Atomic&_summary=count')).body.total;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: aPatient('Atomic'), request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'invalid-gender' }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await api().get('/fhir/Patient?family=Atomic&_summary=count')).body.total).toBe(before);
  });

  it('when a transaction mixes DELETE, PUT and GET, then they apply in the order the spec gives', async () => {
    const [a] = await createPatients(1, 'Mixed');
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient/${a}` } },
        { resource: { ...aPatient('MixedPut'), id: 'mixed-put' }, request: { method: 'PUT', url: 'Patient/mixed-put' } },
        { request: { method: 'DELETE', url: `Patient/${a}` } },
      ],
    };
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('410'); // the GET runs after the DELETE
    expect(res.body.entry[1].response.status).toBe('201');
    expect(res.body.entry[2].response.status).toBe('204');
  });

  it('when a batch has a failing entry, then the other entries still apply and the failure carries an outcome', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: aPatient('BatchOk'), request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'nope' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient?family=BatchOk' } },
      ],
    };
    const res = await api().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry[0].response.status).toBe('201');
    expect(res.body.entry[1].response.status).toBe('422');
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(res.body.entry[2].resource.total).toBe(1);
  });
});
