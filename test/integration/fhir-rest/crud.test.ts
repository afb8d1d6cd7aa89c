import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, FHIR_JSON } from '../../helpers/fhir-json.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
});

const api = () => authed(srv);

describe('create, read, vread', () => {
  it('when a Patient is created, then it gets a server id, version 1, Location, ETag and Last-Modified', async () => {
    const res = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient('Create'), id: 'client-id' }));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.body.id).toBeTruthy();
    expect(res.body.id).not.toBe('client-id');
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers.location).toBe(`${srv.baseUrl}/Patient/${res.body.id}/_history/1`);
    expect(new Date(res.headers['last-modified']).getTime()).toBeGreaterThan(0);

    const read = await api().get(`/fhir/Patient/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.etag).toBe('W/"1"');
  });

  it('when an unknown id is read, then 404 with an OperationOutcome', async () => {
    const res = await api().get('/fhir/Patient/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('not-found');
  });

  it('when an unknown resource type is used, then 404 OperationOutcome', async () => {
    const res = await api().get('/fhir/Spaceship/1');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('when an old version is requested, then vread returns it and an unknown version is 404', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Versions')));
    const id = created.body.id as string;
    await api().put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient('Versions2'), id }));
    const v1 = await api().get(`/fhir/Patient/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.name[0].family).toBe('Versions');
    const v2 = await api().get(`/fhir/Patient/${id}/_history/2`);
    expect(v2.body.name[0].family).toBe('Versions2');
    expect((await api().get(`/fhir/Patient/${id}/_history/9`)).status).toBe(404);
  });
});

describe('conditional create', () => {
  it('when If-None-Exist matches one resource, then it is returned with 200 and nothing is created', async () => {
    const body = JSON.stringify(aPatient('Conditional', 'Once', { identifier: [{ system: 'urn:test', value: 'cc-1' }] }));
    const first = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'identifier=urn:test|cc-1').send(body);
    expect(first.status).toBe(201);
    const second = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'identifier=urn:test|cc-1').send(body);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const search = await api().get('/fhir/Patient?identifier=urn:test|cc-1');
    expect(search.body.total).toBe(1);
  });

  it('when If-None-Exist matches several, then 412', async () => {
    for (let i = 0; i < 2; i++) {
      await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Twin', 'T', { identifier: [{ system: 'urn:test', value: 'twin' }] })));
    }
    const res = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'identifier=urn:test|twin').send(JSON.stringify(aPatient('Twin')));
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('update with If-Match', () => {
  it('when If-Match names the current version, then the update succeeds and the version increases', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Match')));
    const id = created.body.id as string;
    const res = await api().put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send(JSON.stringify({ ...aPatient('Match2'), id }));
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
  });

  it('when If-Match names an old version, then 412 and the stored resource is unchanged', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Stale')));
    const id = created.body.id as string;
    await api().put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient('Fresh'), id }));
    const res = await api().put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send(JSON.stringify({ ...aPatient('Lost'), id }));
    expect(res.status).toBe(412);
    const read = await api().get(`/fhir/Patient/${id}`);
    expect(read.body.name[0].family).toBe('Fresh');
    expect(read.body.meta.versionId).toBe('2');
  });

  it('when the body id differs from the URL id, then 400', async () => {
    const res = await api().put('/fhir/Patient/abc').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient('Mismatch'), id: 'xyz' }));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('when PUT names a new id, then the resource is created with that id (201)', async () => {
    const res = await api().put('/fhir/Patient/put-create-1').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient('PutCreate'), id: 'put-create-1' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('put-create-1');
  });
});

describe('concurrent updates', () => {
  it('when many updates of one resource race, then each is applied or answered 409, and none is lost', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Race')));
    const id = created.body.id as string;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api().put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...aPatient(`Race${i}`), id }))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.resourceType).toBe('OperationOutcome');
    const applied = results.filter((r) => r.status === 200);
    const read = await api().get(`/fhir/Patient/${id}`);
    // Every acknowledged update made exactly one version; the last one acknowledged is what is stored.
    expect(Number(read.body.meta.versionId)).toBe(1 + applied.length);
    const newest = applied.reduce((a, b) => (Number(a.body.meta.versionId) > Number(b.body.meta.versionId) ? a : b));
    expect(read.body.name[0].family).toBe(newest.body.name[0].family);
    const versions = new Set(applied.map((r) => r.body.meta.versionId));
    expect(versions.size).toBe(applied.length);
  });
});

describe('JSON Patch', () => {
  it('when a valid patch is sent, then the resource changes and a new version is made', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Patchy')));
    const id = created.body.id as string;
    const res = await api()
      .patch(`/fhir/Patient/${id}`)
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]));
    expect(res.status).toBe(200);
    expect(res.body.gender).toBe('male');
    expect(res.body.meta.versionId).toBe('2');
  });

  it('when a patch makes the resource invalid, then 422 and nothing changes', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('PatchBad')));
    const id = created.body.id as string;
    const res = await api()
      .patch(`/fhir/Patient/${id}`)
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'not-a-gender' }]));
    expect(res.status).toBe(422);
    const read = await api().get(`/fhir/Patient/${id}`);
    expect(read.body.gender).toBe('female');
    expect(read.body.meta.versionId).toBe('1');
  });

  it('when a patch would change the id, then 422', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('PatchId')));
    const res = await api()
      .patch(`/fhir/Patient/${created.body.id}`)
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/id', value: 'other' }]));
    expect(res.status).toBe(422);
  });
});

describe('delete', () => {
  it('when a resource is deleted, then read is 410, history keeps both versions, and it leaves search', async () => {
    const created = await api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(aPatient('Deleteme', 'Zed')));
    const id = created.body.id as string;
    expect((await api().delete(`/fhir/Patient/${id}`)).status).toBe(204);
    const read = await api().get(`/fhir/Patient/${id}`);
    expect(read.status).toBe(410);
    expect(read.body.resourceType).toBe('OperationOutcome');
    const hist = await api().get(`/fhir/Patient/${id}/_history`);
    expect(hist.status).toBe(200);
    expect(hist.body.type).toBe('history');
    expect(hist.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['204', '201']);
    const search = await api().get('/fhir/Patient?family=Deleteme');
    expect(search.body.total).toBe(0);
    expect((await api().delete(`/fhir/Patient/${id}`)).status).toBe(204);
  });
});

describe('history', () => {
  it('when a type has changes, then type history lists them newest first and _since filters', async () => {
    const before = new Date().toISOString();
    const created = await api().post('/fhir/Basic').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Basic', code: { text: 'h1' } }));
    const hist = await api().get(`/fhir/Basic/_history?_since=${encodeURIComponent(before)}`);
    expect(hist.status).toBe(200);
    expect(hist.body.entry[0].resource.id).toBe(created.body.id);
    const all = await api().get('/fhir/_history?_count=2');
    expect(all.body.entry.length).toBe(2);
    expect(all.body.link.some((l: { relation: string }) => l.relation === 'next')).toBe(true);
  });
});

describe('history paging', () => {
  it('when type history is paged with next links, then every version is seen exactly once, newest first', async () => {
    const created: string[] = [];
    for (let i = 0; i < 13; i++) {
      const r = await api().post('/fhir/Device').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Device', lotNumber: `lot-${i}` }));
      created.push(r.body.id);
    }
    await api().put(`/fhir/Device/${created[0]}`).set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Device', id: created[0], lotNumber: 'lot-0b' }));
    const seen: string[] = [];
    let url: string | undefined = '/fhir/Device/_history?_count=4';
    while (url) {
      const page = await api().get(url.replace(srv.url, ''));
      expect(page.status).toBe(200);
      seen.push(...page.body.entry.map((e: { resource: { id: string; meta: { versionId: string } } }) => `${e.resource.id}/${e.resource.meta.versionId}`));
      url = page.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
    }
    expect(seen.length).toBe(14);
    expect(new Set(seen).size).toBe(14);
    expect(seen[0]).toBe(`${created[0]}/2`);
  });
});

describe('validation', () => {
  it('when a resource breaks the R4 structure, then 422 lists the issues and nothing is stored', async () => {
    const before = (await api().get('/fhir/Observation?_summary=count')).body.total;
    const res = await api().post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Observation', status: 'final' }));
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body.issue)).toMatch(/code/);
    expect((await api().get('/fhir/Observation?_summary=count')).body.total).toBe(before);
  });
});

describe('HTTP edges', () => {
  it('when _format=json is given, then JSON is returned; when xml is asked, then 406', async () => {
    expect((await api().get('/fhir/metadata?_format=json')).status).toBe(200);
    const xml = await api().get('/fhir/metadata?_format=xml');
    expect(xml.status).toBe(406);
    expect(xml.body.resourceType).toBe('OperationOutcome');
  });

  it('when a method is not allowed on a path, then 405 with Allow', async () => {
    const res = await api().delete('/fhir/Patient');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('when GET /metadata, then a CapabilityStatement lists resources, interactions and search parameters', async () => {
    const res = await api().get('/fhir/metadata');
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const eob = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'ExplanationOfBenefit');
    expect(eob.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'search-type', 'create', 'update', 'patch', 'delete', 'history-instance']));
    expect(eob.searchParam.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['patient', '_lastUpdated', 'identifier']));
  });
});
