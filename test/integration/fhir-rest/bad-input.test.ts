/**
 * Hostile and malformed input against the real server: every bad request gets a 4xx OperationOutcome
 * (never a 500), the server keeps serving, and nothing stored changes — proved by reading a known
 * resource, the live count and the newest history entry before and after each request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Bundle, BundleEntry, OperationOutcome } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, FHIR_JSON } from '../../helpers/fhir-json.js';

const JSON_PATCH = 'application/json-patch+json';

let srv: TestServer;
let knownId: string;
const api = () => authed(srv);

interface StoredState {
  known: unknown;
  knownEtag: string | undefined;
  live: number;
  newest: string;
}

/**
 * What a client can observe of the stored data: one known resource, the live count, the newest write.
 * AuditEvents are left out: every read of member data (this check's own included) adds one.
 */
async function storedState(): Promise<StoredState> {
  const known = await api().get(`/fhir/Patient/${knownId}`);
  expect(known.status).toBe(200);
  const health = await api().get('/healthz');
  expect(health.status).toBe(200);
  const audits = await api().get('/fhir/AuditEvent?_summary=count');
  expect(audits.status).toBe(200);
  const newest = await api().get('/fhir/_history?_count=1000');
  expect(newest.status).toBe(200);
  const entry = (newest.body as Bundle).entry?.find((e) => !e.fullUrl?.includes('/AuditEvent/'));
  return {
    known: known.body,
    knownEtag: known.headers.etag,
    live: (health.body as { resources: number }).resources - ((audits.body as Bundle).total ?? 0),
    newest: `${entry?.fullUrl} ${entry?.response?.etag}`,
  };
}

function expectOutcome(res: request.Response, status: number | number[]): void {
  const allowed = Array.isArray(status) ? status : [status];
  expect(allowed, `status ${res.status}: ${JSON.stringify(res.body)}`).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const body = res.body as OperationOutcome;
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue?.[0]?.severity).toBe('error');
}

/** Send a bad request; it must be refused with `status` and leave the stored data as it was. */
async function expectRefusedAndUnchanged(send: () => PromiseLike<request.Response>, status: number | number[]): Promise<request.Response> {
  const before = await storedState();
  const res = await send();
  expectOutcome(res, status);
  expect(await storedState()).toEqual(before);
  return res;
}

const post = (path: string, body: string, type: string = FHIR_JSON) => api().post(path).set('Content-Type', type).send(body);
const put = (path: string, body: string, type: string = FHIR_JSON) => api().put(path).set('Content-Type', type).send(body);
const patch = (path: string, body: string, type: string = JSON_PATCH) => api().patch(path).set('Content-Type', type).send(body);
const knownPath = () => `/fhir/Patient/${knownId}`;
const knownUpdate = (extra: object = {}) => JSON.stringify({ ...aPatient('Changed'), id: knownId, ...extra });

const matchIds = (b: Bundle): string[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string).sort();

async function searchIds(query: string, headers: Record<string, string> = {}): Promise<{ ids: string[]; bundle: Bundle }> {
  const req = api().get(`/fhir/Patient?${query}&_count=100`);
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  const res = await req;
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ids: matchIds(res.body as Bundle), bundle: res.body as Bundle };
}

beforeAll(async () => {
  srv = await startTestServer();
  const created = await post('/fhir/Patient', JSON.stringify(aPatient('Known', 'Kim', { identifier: [{ system: 'urn:test', value: 'known' }] })));
  expect(created.status).toBe(201);
  knownId = created.body.id as string;
  for (const [family, given] of [['Alpha', 'One'], ['Alpha', 'Two'], ['Beta', 'Three']]) {
    expect((await post('/fhir/Patient', JSON.stringify(aPatient(family, given)))).status).toBe(201);
  }
});
afterAll(async () => {
  await srv?.stop();
});

describe('malformed or missing bodies', () => {
  const cases: Array<{ when: string; status: number; send: () => PromiseLike<request.Response> }> = [
    { when: 'a POST body is malformed JSON', status: 400, send: () => post('/fhir/Patient', '{"resourceType": "Patient", "name": [') },
    { when: 'a PUT body is malformed JSON', status: 400, send: () => put(knownPath(), `{"resourceType":"Patient","id":"${knownId}",}`) },
    { when: 'a transaction body is malformed JSON', status: 400, send: () => post('/fhir', '{"resourceType":"Bundle","type":"transaction","entry":[{]}') },
    { when: 'a POST has the right Content-Type but no body', status: 400, send: () => api().post('/fhir/Patient').set('Content-Type', FHIR_JSON) },
    { when: 'a PUT has the right Content-Type but no body', status: 400, send: () => api().put(knownPath()).set('Content-Type', FHIR_JSON) },
    { when: 'a POST body is a JSON array', status: 400, send: () => post('/fhir/Patient', JSON.stringify([aPatient('InArray')])) },
    { when: 'a POST body is a JSON string', status: 400, send: () => post('/fhir/Patient', JSON.stringify('{"resourceType":"Patient"}')) },
    { when: 'a POST body is JSON null', status: 400, send: () => post('/fhir/Patient', 'null') },
    { when: 'a POST body is a number', status: 400, send: () => post('/fhir/Patient', '42') },
    { when: 'a PUT body is a JSON array', status: 400, send: () => put(knownPath(), JSON.stringify([{ resourceType: 'Patient', id: knownId }])) },
    { when: 'the body to the base is an array instead of a Bundle', status: 400, send: () => post('/fhir', '[]') },
    { when: 'a resource has no resourceType', status: 400, send: () => post('/fhir/Patient', JSON.stringify({ name: [{ family: 'NoType' }] })) },
  ];
  for (const { when, send, status } of cases) {
    it(`when ${when}, then ${status} with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, status);
    });
  }
});

describe('content types', () => {
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'a POST says text/plain', send: () => post('/fhir/Patient', JSON.stringify(aPatient('Plain')), 'text/plain') },
    { when: 'a POST says application/xml', send: () => post('/fhir/Patient', '<Patient xmlns="http://hl7.org/fhir"/>', 'application/xml') },
    { when: 'a POST says application/fhir+xml', send: () => post('/fhir/Patient', '<Patient xmlns="http://hl7.org/fhir"/>', 'application/fhir+xml') },
    { when: 'a POST has no Content-Type at all', send: () => api().post('/fhir/Patient') },
    { when: 'a PUT says text/plain', send: () => put(knownPath(), knownUpdate(), 'text/plain') },
    { when: 'a PUT says application/xml', send: () => put(knownPath(), '<Patient xmlns="http://hl7.org/fhir"/>', 'application/xml') },
    { when: 'a transaction says text/plain', send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [] }), 'text/plain') },
    { when: 'a PATCH says application/fhir+json', send: () => patch(knownPath(), JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]), FHIR_JSON) },
    { when: 'a PATCH says application/json', send: () => patch(knownPath(), JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]), 'application/json') },
    { when: 'a POST _search sends JSON instead of a form', send: () => post('/fhir/Patient/_search', '{"family":"Alpha"}', 'application/json') },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 415 with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, 415);
    });
  }
});

describe('URL and body disagreements', () => {
  const cases: Array<{ when: string; status: number; send: () => PromiseLike<request.Response> }> = [
    { when: 'a POST to Patient carries an Observation', status: 400, send: () => post('/fhir/Patient', JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' } })) },
    { when: 'a PUT to Patient/<id> carries an Observation', status: 400, send: () => put(knownPath(), JSON.stringify({ resourceType: 'Observation', id: knownId, status: 'final', code: { text: 'x' } })) },
    { when: 'a PUT body names a different id than the URL', status: 400, send: () => put(knownPath(), knownUpdate({ id: 'some-other-id' })) },
    { when: 'a PUT body has no id', status: 400, send: () => put(knownPath(), JSON.stringify(aPatient('NoId'))) },
    { when: 'a POST names an unknown resource type', status: 404, send: () => post('/fhir/Spaceship', JSON.stringify({ resourceType: 'Spaceship' })) },
    { when: 'a PUT names an unknown resource type', status: 404, send: () => put('/fhir/Spaceship/1', JSON.stringify({ resourceType: 'Spaceship', id: '1' })) },
    { when: 'a search names an unknown resource type', status: 404, send: () => api().get('/fhir/Spaceship?name=x') },
    { when: 'a resource type is spelled in lower case', status: 404, send: () => api().get(`/fhir/patient/${knownId}`) },
  ];
  for (const { when, send, status } of cases) {
    it(`when ${when}, then ${status} with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, status);
    });
  }
});

describe('invalid ids in the URL', () => {
  const long = 'a'.repeat(65);
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'a read names a 65-character id', send: () => api().get(`/fhir/Patient/${long}`) },
    { when: 'a read names an id with $', send: () => api().get('/fhir/Patient/a$b') },
    { when: 'a read names an id that decodes to ../', send: () => api().get('/fhir/Patient/..%2F..%2Fetc') },
    { when: 'a PUT names a 65-character id', send: () => put(`/fhir/Patient/${long}`, JSON.stringify({ ...aPatient('Long'), id: long })) },
    { when: 'a PUT names an id with $', send: () => put('/fhir/Patient/a$b', JSON.stringify({ ...aPatient('Dollar'), id: 'a$b' })) },
    { when: 'a DELETE names an id with $', send: () => api().delete('/fhir/Patient/a$b') },
    { when: 'a PATCH names a 65-character id', send: () => patch(`/fhir/Patient/${long}`, JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }])) },
    { when: 'a history names an id with $', send: () => api().get('/fhir/Patient/a$b/_history') },
    { when: 'a vread names an id with $', send: () => api().get('/fhir/Patient/a$b/_history/1') },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 400 with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, 400);
    });
  }

  it('when the URL path has malformed percent-encoding, then 400 (not 500) and nothing stored changes', async () => {
    await expectRefusedAndUnchanged(() => api().get('/fhir/Patient/%E0%A4%A'), 400);
    await expectRefusedAndUnchanged(() => api().get('/fhir/%E0%A4%A'), 400);
    await expectRefusedAndUnchanged(() => api().delete('/fhir/Patient/%ZZ'), 400);
  });
});

describe('batch and transaction shapes', () => {
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'a Bundle of type collection is POSTed to the base', send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: aPatient('Collected') }] })) },
    { when: 'a Bundle of type searchset is POSTed to the base', send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [] })) },
    { when: 'a Bundle has no type', send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', entry: [] })) },
    { when: 'a transaction has an entry object instead of an array', send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: { resource: aPatient('NotArray') } })) },
    { when: 'a Patient is POSTed to the base', send: () => post('/fhir', JSON.stringify(aPatient('AtBase'))) },
    {
      when: 'a transaction entry has no request',
      send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: aPatient('NoRequest') }] })),
    },
    {
      when: 'a transaction entry uses an unsupported method',
      send: () => post('/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: aPatient('Head'), request: { method: 'HEAD', url: 'Patient' } }] })),
    },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 400 with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, 400);
    });
  }
});

describe('bad search values', () => {
  const cases: Array<{ when: string; path: string }> = [
    { when: 'a date is not a date', path: 'Patient?birthdate=notadate' },
    { when: 'a date has an unknown prefix-like text', path: 'Patient?birthdate=xx1980' },
    { when: '_count is negative', path: 'Patient?_count=-1' },
    { when: '_count is not a number', path: 'Patient?_count=ten' },
    { when: 'a token is empty', path: 'Patient?identifier=' },
    { when: 'a token has two pipes', path: 'Patient?identifier=a|b|c' },
    { when: 'a string is empty', path: 'Patient?family=' },
    { when: 'a value is longer than 1024 characters', path: `Patient?family=${'a'.repeat(1100)}` },
    { when: 'a reference has an invalid id', path: 'Observation?subject=Patient/a$b' },
    { when: 'a quantity is not a number', path: 'Observation?value-quantity=lots' },
    { when: ':missing is not true or false', path: 'Patient?family:missing=maybe' },
    { when: '_summary has an unknown value', path: 'Patient?_summary=everything' },
    { when: '_total has an unknown value', path: 'Patient?_total=maybe' },
    { when: '_sort names no sortable parameter', path: 'Patient?_sort=$natural' },
    { when: '_elements names a $ key', path: 'Patient?_elements=$where' },
    { when: '_include names a $ parameter', path: 'Patient?_include=Patient:$where' },
    { when: '_cursor is not one the server made', path: 'Patient?_cursor=garbage' },
    { when: 'history _since is not an instant', path: 'Patient/_history?_since=yesterday' },
    { when: 'history _count is not a number', path: '_history?_count=all' },
  ];
  for (const { when, path } of cases) {
    it(`when ${when}, then 400 with an OperationOutcome (strict or not) and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(() => api().get(`/fhir/${path}`), 400);
      await expectRefusedAndUnchanged(() => api().get(`/fhir/${path}`).set('Prefer', 'handling=strict'), 400);
    });
  }
});

describe('MongoDB operator injection in query strings', () => {
  // Each is an unknown parameter (or modifier) name; none may reach the store as an operator.
  const injected = ['name[$ne]=x', 'family[$regex]=.*', '_id[$gt]=', '$where=1', '_sort[$natural]=1', 'family:$regex=.*', 'name[$exists]=true', '_id[$in][]=x'];

  it.each(injected)('when %s is sent with Prefer: handling=strict, then 400 names it and nothing stored changes', async (param) => {
    const res = await expectRefusedAndUnchanged(() => api().get(`/fhir/Patient?${param}`).set('Prefer', 'handling=strict'), 400);
    const name = decodeURIComponent(param.split('=')[0]);
    expect((res.body as OperationOutcome).issue?.[0]?.expression).toEqual([name]);
  });

  it.each(injected)('when %s is sent leniently, then it is ignored: the matches are exactly those of the valid parameters', async (param) => {
    const all = await searchIds('');
    const expected = await searchIds('family=Alpha');
    expect(expected.ids.length).toBe(2);
    expect(all.ids.length).toBeGreaterThan(expected.ids.length);

    const before = await storedState();
    const withInjection = await searchIds(`family=Alpha&${param}`);
    expect(withInjection.ids).toEqual(expected.ids);
    expect(withInjection.bundle.total).toBe(2);
    // The client is told what was not applied, and the self link leaves it out.
    const name = decodeURIComponent(param.split('=')[0]);
    const warning = withInjection.bundle.entry?.find((e: BundleEntry) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
    expect(warning?.issue?.map((i) => i.expression?.[0])).toContain(name);
    const self = withInjection.bundle.link?.find((l) => l.relation === 'self')?.url ?? '';
    expect(decodeURIComponent(self)).not.toContain('$');
    expect(await storedState()).toEqual(before);
  });

  it('when name[$ne]=Known is the only parameter, then it is ignored rather than applied as a negation: Known is still found', async () => {
    const all = await searchIds('');
    const res = await searchIds('name[$ne]=Known');
    expect(res.ids).toContain(knownId);
    expect(res.ids).toEqual(all.ids);
  });

  it('when operator JSON is sent as a parameter value, then it is matched as literal text and finds nothing', async () => {
    for (const value of ['{"$ne":null}', '{"$gt":""}', '{"$regex":".*"}']) {
      expect((await searchIds(`family=${encodeURIComponent(value)}`)).ids).toEqual([]);
      expect((await searchIds(`_id=${encodeURIComponent(value)}`)).ids).toEqual([]);
      expect((await searchIds(`identifier=${encodeURIComponent(value)}`)).ids).toEqual([]);
    }
  });

  it('when If-None-Exist carries an operator, then 400 and nothing is created', async () => {
    await expectRefusedAndUnchanged(
      () => api().post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'name[$ne]=x').send(JSON.stringify(aPatient('Conditional'))),
      400,
    );
  });
});

describe('MongoDB operators and prototype keys in bodies', () => {
  const refused = [400, 422];
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'a created resource has a top-level $where key', send: () => post('/fhir/Patient', '{"resourceType":"Patient","$where":"1"}') },
    { when: 'a created resource has {"$ne": null} as a family name', send: () => post('/fhir/Patient', '{"resourceType":"Patient","name":[{"family":{"$ne":null}}]}') },
    { when: 'a created resource has a $set inside meta', send: () => post('/fhir/Patient', '{"resourceType":"Patient","meta":{"$set":{"versionId":"99"}}}') },
    { when: 'an update has a $where key', send: () => put(knownPath(), knownUpdate({ $where: 'sleep(1000)' })) },
    { when: 'an update has {"$gt": ""} as a birth date', send: () => put(knownPath(), knownUpdate({ birthDate: { $gt: '' } })) },
    { when: 'a patch adds a $where key', send: () => patch(knownPath(), JSON.stringify([{ op: 'add', path: '/$where', value: '1' }])) },
    {
      when: 'a transaction entry has a $ key',
      send: () =>
        post(
          '/fhir',
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              { resource: aPatient('TxOk'), request: { method: 'POST', url: 'Patient' } },
              { resource: { resourceType: 'Patient', name: [{ family: { $ne: null } }] }, request: { method: 'POST', url: 'Patient' } },
            ],
          }),
        ),
    },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 4xx with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, refused);
    });
  }

  it.each([
    ['__proto__', '{"resourceType":"Patient","__proto__":{"polluted":true}}'],
    ['constructor', '{"resourceType":"Patient","constructor":{"prototype":{"polluted":true}}}'],
    ['nested __proto__', '{"resourceType":"Patient","name":[{"family":"Proto","__proto__":{"polluted":true}}]}'],
  ])('when a body has a %s key (not an R4 element), then 4xx, nothing stored changes and no prototype is polluted', async (_label, body) => {
    await expectRefusedAndUnchanged(() => post('/fhir/Patient', body), refused);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('conditional headers and patch bodies', () => {
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'If-Match on an update is garbage', send: () => put(knownPath(), knownUpdate()).set('If-Match', 'garbage') },
    { when: 'If-Match on an update has a non-numeric version', send: () => put(knownPath(), knownUpdate()).set('If-Match', 'W/"one"') },
    { when: 'If-Match on a patch is garbage', send: () => patch(knownPath(), JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }])).set('If-Match', '*;drop') },
    { when: 'a PATCH body is an object instead of an array', send: () => patch(knownPath(), JSON.stringify({ op: 'replace', path: '/gender', value: 'male' })) },
    { when: 'a PATCH body is an array of numbers', send: () => patch(knownPath(), '[1,2,3]') },
    { when: 'a PATCH operation has no path', send: () => patch(knownPath(), JSON.stringify([{ op: 'replace', value: 'male' }])) },
    { when: 'a PATCH body is malformed JSON', send: () => patch(knownPath(), '[{"op":"replace",') },
    { when: 'a PATCH body is a string', send: () => patch(knownPath(), '"replace"') },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 400 with an OperationOutcome and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, 400);
    });
  }

  it('when a PATCH has an unknown op, then 4xx and nothing stored changes', async () => {
    await expectRefusedAndUnchanged(() => patch(knownPath(), JSON.stringify([{ op: 'explode', path: '/gender' }])), [400, 422]);
  });
});

describe('deeply nested JSON', () => {
  const depth = 10_000;
  const nestedArrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const nestedObjects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const cases: Array<{ when: string; send: () => PromiseLike<request.Response> }> = [
    { when: 'a created resource nests arrays 10,000 deep', send: () => post('/fhir/Patient', `{"resourceType":"Patient","extension":${nestedArrays}}`) },
    { when: 'a created resource nests objects 10,000 deep', send: () => post('/fhir/Patient', `{"resourceType":"Patient","name":[${nestedObjects}]}`) },
    { when: 'an update nests objects 10,000 deep', send: () => put(knownPath(), `{"resourceType":"Patient","id":"${knownId}","name":[${nestedObjects}]}`) },
    { when: 'a patch value nests arrays 10,000 deep', send: () => patch(knownPath(), `[{"op":"add","path":"/extension","value":${nestedArrays}}]`) },
    {
      when: 'a transaction entry nests arrays 10,000 deep',
      send: () =>
        post('/fhir', `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","extension":${nestedArrays}}}]}`),
    },
    {
      when: 'a transaction PATCH entry carries a Binary JSON Patch nested 10,000 deep',
      send: () =>
        post(
          '/fhir',
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                request: { method: 'PATCH', url: `Patient/${knownId}` },
                resource: {
                  resourceType: 'Binary',
                  contentType: JSON_PATCH,
                  data: Buffer.from(`[{"op":"add","path":"/extension","value":${nestedArrays}}]`).toString('base64'),
                },
              },
            ],
          }),
        ),
    },
    {
      when: 'a batch entry nests objects 10,000 deep',
      send: () => post('/fhir', `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[${nestedObjects}]}}]}`),
    },
  ];
  for (const { when, send } of cases) {
    it(`when ${when}, then 4xx (not a crash or 500) and nothing stored changes`, async () => {
      await expectRefusedAndUnchanged(send, [400, 413, 422]);
    });
  }
});

describe('body size limit', () => {
  let small: TestServer;
  const smallApi = () => authed(small);
  const padded = (bytes: number) => JSON.stringify(aPatient('Big', 'B', { text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(bytes)}</div>` } }));

  beforeAll(async () => {
    small = await startTestServer({ MAX_BODY_BYTES: '2048' });
  });
  afterAll(async () => {
    await small?.stop();
  });

  async function smallCount(): Promise<number> {
    const res = await smallApi().get('/healthz');
    expect(res.status).toBe(200);
    return (res.body as { resources: number }).resources;
  }

  it('when a body is under MAX_BODY_BYTES, then it is accepted', async () => {
    const res = await smallApi().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(padded(1000));
    expect(res.status).toBe(201);
  });

  it.each([
    ['POST', () => smallApi().post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(padded(5000))],
    ['PUT', () => smallApi().put('/fhir/Patient/big-1').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...JSON.parse(padded(5000)), id: 'big-1' }))],
    ['PATCH', () => smallApi().patch('/fhir/Patient/big-1').set('Content-Type', JSON_PATCH).send(JSON.stringify([{ op: 'add', path: '/gender', value: 'x'.repeat(5000) }]))],
    ['transaction', () => smallApi().post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: JSON.parse(padded(5000)), request: { method: 'POST', url: 'Patient' } }] }))],
  ] as const)('when a %s body is over MAX_BODY_BYTES, then 413 with an OperationOutcome and nothing is stored', async (_label, send) => {
    const before = await smallCount();
    expectOutcome(await send(), 413);
    expect(await smallCount()).toBe(before);
  });

  it('when a chunked body without Content-Length grows over the limit, then 413 and nothing is stored', async () => {
    const before = await smallCount();
    const { port } = new URL(small.url);
    const { request: httpRequest } = await import('node:http');
    const res = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/fhir/Patient', headers: { 'Content-Type': FHIR_JSON, 'Transfer-Encoding': 'chunked' } }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode, body }));
      });
      req.on('error', reject);
      req.write('{"resourceType":"Patient","name":[{"family":"');
      for (let i = 0; i < 8; i++) req.write('x'.repeat(1000));
      req.end('"}]}');
    });
    expect(res.status).toBe(413);
    expect((JSON.parse(res.body) as OperationOutcome).resourceType).toBe('OperationOutcome');
    expect(await smallCount()).toBe(before);
  });
});
