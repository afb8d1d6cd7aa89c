import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient, anObservation, FHIR_JSON } from '../../helpers/fhir-json.js';

let srv: TestServer;
const ids: Record<string, string> = {};
const api = () => authed(srv);

async function create(body: object): Promise<string> {
  const res = await api().post(`/fhir/${(body as { resourceType: string }).resourceType}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  if (res.status !== 201) throw new Error(`create failed ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function search(path: string, headers: Record<string, string> = {}): Promise<Bundle & { status: number }> {
  const req = api().get(`/fhir/${path}`);
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  const res = await req;
  return { ...(res.body as Bundle), status: res.status };
}

const matchIds = (b: Bundle): string[] => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);

beforeAll(async () => {
  srv = await startTestServer();
  ids.smith = await create(aPatient('Smith', 'Ann', { identifier: [{ system: 'urn:mrn', value: 'S1' }], birthDate: '1970-01-15' }));
  ids.smythe = await create(aPatient('Smythe', 'Bob', { gender: 'male', birthDate: '1985-06-30' }));
  ids.muller = await create(aPatient('Müller', 'Chloé', { birthDate: '2001-12-01', identifier: [{ system: 'urn:mrn', value: 'M1' }] }));
  ids.obs1 = await create(anObservation(ids.smith, '1234-5', '2020-03-01T10:00:00Z', 5));
  ids.obs2 = await create(anObservation(ids.smith, '9999-9', '2021-07-04', 100));
  ids.obs3 = await create(anObservation(ids.smythe, '1234-5', '2022-01-01', 42.5));
  ids.prov = await create({
    resourceType: 'Provenance',
    target: [{ reference: `Observation/${ids.obs1}` }],
    recorded: '2020-03-01T10:00:00Z',
    agent: [{ who: { reference: `Patient/${ids.smith}` } }],
  });
});
afterAll(async () => {
  await srv.stop();
});

describe('string', () => {
  it('when searching by family, then the match is a case- and accent-insensitive prefix', async () => {
    expect(matchIds(await search('Patient?family=smi')).sort()).toEqual([ids.smith].sort());
    expect(matchIds(await search('Patient?family=sm')).sort()).toEqual([ids.smith, ids.smythe].sort());
    expect(matchIds(await search('Patient?family=muller'))).toEqual([ids.muller]);
  });
  it('when :exact is used, then only the exact, case-sensitive value matches', async () => {
    expect(matchIds(await search('Patient?family:exact=Smith'))).toEqual([ids.smith]);
    expect(matchIds(await search('Patient?family:exact=smith'))).toEqual([]);
  });
  it('when :contains is used, then a substring anywhere matches', async () => {
    expect(matchIds(await search('Patient?family:contains=yth'))).toEqual([ids.smythe]);
  });
  it('when a regex metacharacter is searched, then it is matched literally', async () => {
    expect(matchIds(await search('Patient?family=.*'))).toEqual([]);
  });
});

describe('token', () => {
  it('when system|code, code, and system| are given, then each matches accordingly', async () => {
    expect(matchIds(await search('Patient?identifier=urn:mrn|S1'))).toEqual([ids.smith]);
    expect(matchIds(await search('Patient?identifier=S1'))).toEqual([ids.smith]);
    expect(matchIds(await search('Patient?identifier=urn:mrn|')).sort()).toEqual([ids.smith, ids.muller].sort());
    expect(matchIds(await search('Patient?identifier=urn:other|S1'))).toEqual([]);
  });
  it('when :not is used, then resources without that code match (including those with none)', async () => {
    const res = matchIds(await search('Patient?gender:not=female'));
    expect(res).toContain(ids.smythe);
    expect(res).not.toContain(ids.smith);
  });
  it('when comma-separated values are given, then they are ORed', async () => {
    expect(matchIds(await search('Observation?code=http://loinc.org|1234-5,http://loinc.org|9999-9')).sort()).toEqual([ids.obs1, ids.obs2, ids.obs3].sort());
  });
});

describe('reference', () => {
  it('when Type/id, a bare id, an absolute URL or a :Type modifier is used, then the same resources match', async () => {
    const expected = [ids.obs1, ids.obs2].sort();
    expect(matchIds(await search(`Observation?subject=Patient/${ids.smith}`)).sort()).toEqual(expected);
    expect(matchIds(await search(`Observation?patient=${ids.smith}`)).sort()).toEqual(expected);
    expect(matchIds(await search(`Observation?subject:Patient=${ids.smith}`)).sort()).toEqual(expected);
    expect(matchIds(await search(`Observation?subject=${encodeURIComponent(`${srv.baseUrl}/Patient/${ids.smith}`)}`)).sort()).toEqual(expected);
  });
});

describe('date', () => {
  it('when prefixes are used, then ranges implied by precision are compared', async () => {
    expect(matchIds(await search('Observation?date=2020'))).toEqual([ids.obs1]);
    expect(matchIds(await search('Observation?date=2020-03'))).toEqual([ids.obs1]);
    expect(matchIds(await search('Observation?date=ge2021-01-01')).sort()).toEqual([ids.obs2, ids.obs3].sort());
    expect(matchIds(await search('Observation?date=lt2021-07-04')).sort()).toEqual([ids.obs1].sort());
    expect(matchIds(await search('Observation?date=le2021-07-04')).sort()).toEqual([ids.obs1, ids.obs2].sort());
    expect(matchIds(await search('Observation?date=gt2021-07-04'))).toEqual([ids.obs3]);
    expect(matchIds(await search('Observation?date=ne2020')).sort()).toEqual([ids.obs2, ids.obs3].sort());
    expect(matchIds(await search('Observation?date=sa2021-12-31'))).toEqual([ids.obs3]);
    expect(matchIds(await search('Observation?date=eb2020-12-31'))).toEqual([ids.obs1]);
    expect(matchIds(await search('Patient?birthdate=1985-06-30'))).toEqual([ids.smythe]);
  });
  it('when repeated, then the conditions are ANDed (a range)', async () => {
    expect(matchIds(await search('Observation?date=ge2020-06-01&date=lt2022-01-01'))).toEqual([ids.obs2]);
  });
});

describe('number and quantity', () => {
  it('when a quantity is searched with prefixes and units, then values compare numerically', async () => {
    expect(matchIds(await search('Observation?value-quantity=100'))).toEqual([ids.obs2]);
    expect(matchIds(await search('Observation?value-quantity=gt40|http://unitsofmeasure.org|mg')).sort()).toEqual([ids.obs2, ids.obs3].sort());
    expect(matchIds(await search('Observation?value-quantity=lt10||mg'))).toEqual([ids.obs1]);
    expect(matchIds(await search('Observation?value-quantity=42.5'))).toEqual([ids.obs3]);
  });
});

describe('_id, _lastUpdated, _sort, _summary, _total, _elements', () => {
  it('when _id lists ids, then exactly those come back', async () => {
    expect(matchIds(await search(`Patient?_id=${ids.smith},${ids.muller}`)).sort()).toEqual([ids.smith, ids.muller].sort());
  });
  it('when _lastUpdated=gt(a past instant), then everything recent matches', async () => {
    expect((await search('Patient?_lastUpdated=gt2000-01-01T00:00:00Z')).total).toBe(3);
    expect((await search('Patient?_lastUpdated=lt2000-01-01T00:00:00Z')).total).toBe(0);
  });
  it('when _sort has several keys and -, then the order follows them', async () => {
    expect(matchIds(await search('Patient?_sort=birthdate'))).toEqual([ids.smith, ids.smythe, ids.muller]);
    expect(matchIds(await search('Patient?_sort=-birthdate'))).toEqual([ids.muller, ids.smythe, ids.smith]);
    expect(matchIds(await search('Observation?_sort=code,-date'))).toEqual([ids.obs3, ids.obs1, ids.obs2]);
  });
  it('when _summary=count, then only the total comes back', async () => {
    const b = await search('Observation?_summary=count');
    expect(b.total).toBe(3);
    expect(b.entry).toBeUndefined();
  });
  it('when _total=none, then no total is given', async () => {
    expect((await search('Observation?_total=none')).total).toBeUndefined();
  });
  it('when _elements is given, then only those elements (plus id, meta) come back, tagged SUBSETTED', async () => {
    const b = await search(`Patient?_id=${ids.smith}&_elements=birthDate`);
    const r = b.entry?.[0].resource as unknown as Record<string, unknown>;
    expect(Object.keys(r).sort()).toEqual(['birthDate', 'id', 'meta', 'resourceType']);
    expect(JSON.stringify(r.meta)).toContain('SUBSETTED');
  });
});

describe('_include and _revinclude', () => {
  it('when _include=Observation:subject, then the patients come as include entries once each', async () => {
    const b = await search(`Observation?code=1234-5&_include=Observation:subject`);
    const inc = (b.entry ?? []).filter((e: BundleEntry) => e.search?.mode === 'include').map((e) => e.resource?.id);
    expect(inc.sort()).toEqual([ids.smith, ids.smythe].sort());
  });
  it('when _revinclude=Provenance:target, then provenance of the matches is included', async () => {
    const b = await search(`Observation?_id=${ids.obs1}&_revinclude=Provenance:target`);
    expect((b.entry ?? []).find((e) => e.search?.mode === 'include')?.resource?.id).toBe(ids.prov);
  });
  it('when _include:iterate follows from included resources, then the second level is included', async () => {
    const b = await search(`Provenance?_id=${ids.prov}&_include=Provenance:target&_include:iterate=Observation:subject`);
    const inc = (b.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    expect(inc.sort()).toEqual([`Observation/${ids.obs1}`, `Patient/${ids.smith}`].sort());
  });
});

describe('strict and lenient handling', () => {
  it('when an unknown parameter is sent leniently, then it is ignored and left out of the self link', async () => {
    const b = await search('Patient?family=smith&nonsense=1');
    expect(b.status).toBe(200);
    expect(matchIds(b)).toEqual([ids.smith]);
    const self = b.link?.find((l) => l.relation === 'self')?.url ?? '';
    expect(self).toContain('family=smith');
    expect(self).not.toContain('nonsense');
    expect(b.entry?.some((e) => e.search?.mode === 'outcome')).toBe(true);
  });
  it('when an unknown parameter is sent with Prefer: handling=strict, then 400', async () => {
    const b = await search('Patient?nonsense=1', { Prefer: 'handling=strict' });
    expect(b.status).toBe(400);
    expect((b as unknown as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
  it.each([
    ['Observation?date=notadate'],
    ['Observation?date=2020-13-01'],
    ['Observation?value-quantity=abc'],
    ['Patient?_count=-1'],
    ['Patient?_sort=nonsense'],
    ['Observation?subject=Patient/bad id'],
    ['Patient?_include=Patient:nothing'],
    ['Patient?_cursor=notacursor!!'],
    ['Patient?gender:bogus=female&_x=1'],
  ])('when the value of a known parameter is malformed (%s), then 400 OperationOutcome', async (path) => {
    const res = await api().get(`/fhir/${path}`).set('Prefer', path.includes('bogus') ? 'handling=strict' : 'handling=lenient');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('POST _search', () => {
  it('when parameters are form-encoded, then the result equals GET', async () => {
    const res = await api().post('/fhir/Patient/_search').type('form').send('family=smi');
    expect(res.status).toBe(200);
    expect(matchIds(res.body)).toEqual([ids.smith]);
  });
});
