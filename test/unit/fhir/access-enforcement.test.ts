/**
 * The engine enforces an Access on every path: a member's token (patient reach) gets none of another
 * member's data through read, vread, search, includes, history, batch/transaction or writes, and every
 * response names the compartments it disclosed. Handlers over a temp embedded store, no HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, policyDeps } from '../../../src/auth/access-policy.js';
import { parseScope, type ResourceScope } from '../../../src/auth/scopes.js';
import { fullAccess, type Access } from '../../../src/fhir/access.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { dispatch } from '../../../src/fhir/rest/dispatch.js';
import type { FhirContext, FhirRequest, FhirResponse } from '../../../src/fhir/rest/types.js';
import { loadSearchRegistry, type SearchRegistry } from '../../../src/fhir/search/registry.js';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import type { ResourceStore } from '../../../src/store/port.js';

const BASE = 'http://localhost/fhir';
const A = 'member-a';
const B = 'member-b';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

let dir: string;
let store: ResourceStore;
let registry: SearchRegistry;
let seq = 0;
let tick = Date.parse('2025-01-01T00:00:00Z');

const context = (access: Access): FhirContext => ({
  store,
  registry,
  validate: () => [],
  baseUrl: BASE,
  clock: () => new Date((tick += 1000)),
  newId: () => `new-${++seq}`,
  limits: { defaultCount: 50, maxCount: 500, maxBundleEntries: 100 },
  access,
});

const scopes = (...texts: string[]): ResourceScope[] => texts.map((t) => parseScope(t)!);
const memberAccess = (id: string, ...texts: string[]): Access =>
  accessFor({ principal: `client:app/${id}`, scopes: scopes(...(texts.length > 0 ? texts : ['patient/*.cruds'])), members: { kind: 'patient', id } }, policyDeps(registry, () => new Date(tick)));

const admin = (): FhirContext => context(fullAccess('test-admin'));
const asA = (...texts: string[]): FhirContext => context(memberAccess(A, ...texts));

const req = (method: FhirRequest['method'], url: string, body?: unknown, headers: FhirRequest['headers'] = {}): FhirRequest => {
  const [path, query] = url.split('?', 2);
  return { method, path: path.split('/').filter(Boolean), query: [...new URLSearchParams(query ?? '')], body, headers };
};
const get = (ctx: FhirContext, url: string): Promise<FhirResponse> => dispatch(ctx, req('GET', url));

async function status(p: Promise<FhirResponse>): Promise<number> {
  try {
    return (await p).status;
  } catch (err) {
    if (err instanceof FhirError) return err.status;
    throw err;
  }
}

const bundleOf = (res: FhirResponse): Bundle => JSON.parse(res.json ?? JSON.stringify(res.body)) as Bundle;
/** `Type/id` of every resource a Bundle carries, including resources nested in batch/transaction entries. */
function keysIn(bundle: Bundle): string[] {
  const out: string[] = [];
  for (const e of bundle.entry ?? []) {
    const r = e.resource as Resource | undefined;
    if (!r) continue;
    if (r.resourceType === 'Bundle') out.push(...keysIn(r as Bundle));
    else if (r.resourceType !== 'OperationOutcome') out.push(`${r.resourceType}/${r.id}`);
  }
  return out;
}

/** Every resource of member B (the one that must never leak to member A). */
const B_KEYS = [`Patient/${B}`, 'Observation/obs-b', 'Observation/obs-b-gone', 'Coverage/cov-b', 'ExplanationOfBenefit/eob-b'];
const expectNoB = (keys: string[]): void => {
  for (const k of keys) expect(B_KEYS, `${k} leaked`).not.toContain(k);
};

const observation = (id: string, patient: string, extra: Record<string, unknown> = {}): Resource =>
  ({
    resourceType: 'Observation',
    id,
    status: 'final',
    identifier: [{ system: 'urn:test', value: id }],
    category: [{ coding: [{ system: CATEGORY, code: 'laboratory' }] }],
    code: { text: 'glucose' },
    subject: { reference: `Patient/${patient}` },
    ...extra,
  }) as Resource;

async function seed(): Promise<void> {
  const ctx = admin();
  const put = async (r: Resource): Promise<void> => {
    await dispatch(ctx, req('PUT', `${r.resourceType}/${r.id}`, r));
  };
  await put({ resourceType: 'Organization', id: 'payer', name: 'State Medicaid' });
  await put({ resourceType: 'Patient', id: A, name: [{ family: 'Alpha' }] });
  // B links to A: B's record is in A's compartment by definition, so Patient must be matched by id.
  await put({ resourceType: 'Patient', id: B, name: [{ family: 'Beta' }], link: [{ other: { reference: `Patient/${A}` }, type: 'seealso' }] });
  for (const [m, x] of [
    [A, 'a'],
    [B, 'b'],
  ] as const) {
    await put({ resourceType: 'Coverage', id: `cov-${x}`, status: 'active', beneficiary: { reference: `Patient/${m}` }, payor: [{ reference: 'Organization/payer' }] } as Resource);
    await put({
      resourceType: 'ExplanationOfBenefit',
      id: `eob-${x}`,
      status: 'active',
      type: { text: 'pharmacy' },
      use: 'claim',
      patient: { reference: `Patient/${m}` },
      created: '2024-05-01',
      insurer: { reference: 'Organization/payer' },
      provider: { reference: 'Organization/payer' },
      outcome: 'complete',
      // A's EOB points at B's Coverage, so an _include of it would leak without the read filter.
      insurance: [{ focal: true, coverage: { reference: 'Coverage/cov-b' } }],
    } as Resource);
  }
  // focus is not a compartment parameter: A's Observation names B, and B's names A.
  await put(observation('obs-a', A, { focus: [{ reference: `Patient/${B}` }] }));
  await put(observation('obs-b', B, { focus: [{ reference: `Patient/${A}` }] }));
  await put(observation('obs-b-gone', B));
  await dispatch(ctx, req('DELETE', 'Observation/obs-b-gone'));
}

beforeAll(async () => {
  registry = loadSearchRegistry();
  dir = await mkdtemp(join(tmpdir(), 'access-'));
  store = await openEmbeddedStore({ dataDir: dir });
  await seed();
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('read and vread', () => {
  it('when member A reads their own resources, then they get them and the response names their compartment', async () => {
    for (const url of [`Patient/${A}`, 'Observation/obs-a', 'Coverage/cov-a', 'ExplanationOfBenefit/eob-a', 'Observation/obs-a/_history/1']) {
      const res = await get(asA(), url);
      expect(res.status, url).toBe(200);
      expect(res.compartments, url).toContain(`Patient/${A}`);
      expect(res.compartments, url).not.toContain(`Patient/${B}`);
    }
  });

  it('when member A reads or vreads any of B resources, then the answer is 404, exactly as for an unknown id', async () => {
    for (const key of B_KEYS) {
      expect(await status(get(asA(), key)), key).toBe(404);
      expect(await status(get(asA(), `${key}/_history/1`)), key).toBe(404);
    }
    expect(await status(get(asA(), 'Observation/never-existed'))).toBe(404);
    // the same deleted resource is 410 for someone who may see it
    expect(await status(get(admin(), 'Observation/obs-b-gone'))).toBe(410);
  });

  it('when member A reads a shared directory resource, then it is served and names no member compartment', async () => {
    const res = await get(asA(), 'Organization/payer');
    expect(res.status).toBe(200);
    expect(res.compartments).toEqual([]);
  });
});

describe('search', () => {
  it.each([
    'Observation',
    `Observation?patient=${B}`,
    `Observation?subject=Patient/${B}`,
    'Observation?_id=obs-b',
    'Observation?_id=obs-a,obs-b',
    'Observation?identifier=urn:test|obs-b',
    `Observation?focus=Patient/${A}`,
    'Coverage',
    `Coverage?beneficiary=Patient/${B}`,
    'Coverage?payor=Organization/payer',
    'ExplanationOfBenefit',
    `ExplanationOfBenefit?patient=${B}`,
    'Patient',
    `Patient?_id=${B}`,
    `Patient?link=Patient/${A}`,
    'Patient?family=Beta',
  ])('when member A searches %s, then no resource of B is returned', async (url) => {
    const res = await get(asA(), url);
    expect(res.status).toBe(200);
    const keys = keysIn(bundleOf(res));
    expectNoB(keys);
    expect(res.compartments).not.toContain(`Patient/${B}`);
  });

  it('when member A searches everything of a type, then they get exactly their own', async () => {
    expect(keysIn(bundleOf(await get(asA(), 'Observation')))).toEqual(['Observation/obs-a']);
    expect(keysIn(bundleOf(await get(asA(), 'Patient')))).toEqual([`Patient/${A}`]);
    const all = await get(admin(), 'Observation');
    expect(keysIn(bundleOf(all)).sort()).toEqual(['Observation/obs-a', 'Observation/obs-b']);
    expect(all.compartments?.sort()).toEqual([`Patient/${A}`, `Patient/${B}`]);
  });

  it('when member A counts B resources, then the total is 0 and nothing is disclosed', async () => {
    const res = await get(asA(), `Observation?patient=${B}&_summary=count`);
    expect(bundleOf(res).total).toBe(0);
    expect(res.compartments).toEqual([]);
  });

  it.each([
    ['Observation?_include=Observation:focus', []],
    ['Observation?_include=*', [`Patient/${A}`]],
    ['ExplanationOfBenefit?_include=ExplanationOfBenefit:coverage', []],
    ['ExplanationOfBenefit?_include=ExplanationOfBenefit:coverage&_include:iterate=Coverage:beneficiary', []],
    ['ExplanationOfBenefit?_include=ExplanationOfBenefit:patient&_include=ExplanationOfBenefit:insurer', [`Patient/${A}`, 'Organization/payer']],
    [`Patient?_revinclude=Observation:focus`, []],
    [`Patient?_revinclude=Observation:subject`, ['Observation/obs-a']],
    [`Patient?_revinclude=*`, []],
    [`Patient?_revinclude=Patient:link`, []],
    ['Coverage?_include=Coverage:payor&_revinclude:iterate=Coverage:payor', ['Organization/payer']],
    ['Observation?_include=Observation:subject&_revinclude:iterate=Coverage:beneficiary&_revinclude:iterate=ExplanationOfBenefit:patient', [`Patient/${A}`, 'Coverage/cov-a', 'ExplanationOfBenefit/eob-a']],
    ['Organization?_revinclude=Coverage:payor&_revinclude=ExplanationOfBenefit:insurer', ['Coverage/cov-a', 'ExplanationOfBenefit/eob-a']],
  ])('when member A searches %s, then the included resources are exactly %j', async (url, includes) => {
    const res = await get(asA(), url);
    const bundle = bundleOf(res);
    const included = (bundle.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
    expect(included.sort()).toEqual([...includes].sort());
    expectNoB(keysIn(bundle));
    expect(res.compartments).not.toContain(`Patient/${B}`);
  });

  it('when the admin searches with the same includes, then the other member resources are there (the filter is what hides them)', async () => {
    const res = await get(admin(), 'ExplanationOfBenefit?_id=eob-a&_include=ExplanationOfBenefit:coverage&_include:iterate=Coverage:beneficiary');
    expect(keysIn(bundleOf(res)).sort()).toEqual(['Coverage/cov-b', 'ExplanationOfBenefit/eob-a', `Patient/${B}`]);
    expect(res.compartments?.sort()).toEqual([`Patient/${A}`, `Patient/${B}`]);
  });

  it('when the caller may search a type but not read the targets, then _include skips them', async () => {
    const res = await get(asA('patient/Observation.rs'), 'Observation?_include=Observation:subject');
    expect(keysIn(bundleOf(res))).toEqual(['Observation/obs-a']);
  });
});

describe('history', () => {
  it('when member A asks for the history of B resources, then the answer is 404', async () => {
    for (const key of B_KEYS) expect(await status(get(asA(), `${key}/_history`)), key).toBe(404);
  });

  it.each(['Observation/_history', 'Patient/_history', 'Coverage/_history', 'ExplanationOfBenefit/_history', '_history'])(
    'when member A reads %s, then only their own rows appear (no row of B, no tombstone of B)',
    async (url) => {
      const res = await get(asA(), url);
      const keys = keysIn(bundleOf(res));
      expectNoB(keys);
      expect(res.compartments).not.toContain(`Patient/${B}`);
      expect(bundleOf(res).entry?.length ?? 0).toBe(keys.length); // no resource-less (tombstone) rows
    },
  );

  it('when member A reads the system history, then every row they may see is theirs or a shared resource', async () => {
    const keys = keysIn(bundleOf(await get(asA(), '_history')));
    expect(new Set(keys)).toEqual(new Set([`Patient/${A}`, 'Organization/payer', 'Coverage/cov-a', 'ExplanationOfBenefit/eob-a', 'Observation/obs-a']));
  });

  it('when the admin reads the type history, then the tombstone of B is a row and its compartment is disclosed', async () => {
    const res = await get(admin(), 'Observation/_history');
    const bundle = bundleOf(res);
    expect(bundle.entry?.some((e) => e.request?.method === 'DELETE' && e.fullUrl?.endsWith('Observation/obs-b-gone'))).toBe(true);
    expect(res.compartments).toContain(`Patient/${B}`);
  });

  it('when the caller holds only r on a type, then instance history is allowed and type history is not', async () => {
    const ctx = asA('patient/Observation.r');
    expect(await status(get(ctx, 'Observation/obs-a/_history'))).toBe(200);
    expect(await status(get(ctx, 'Observation/_history'))).toBe(403);
    expect(keysIn(bundleOf(await get(ctx, '_history')))).toEqual([]);
  });
});

describe('writes', () => {
  it('when member A creates a resource in their compartment, then it is stored and the response names it', async () => {
    const res = await dispatch(asA(), req('POST', 'Observation', observation('ignored', A)));
    expect(res.status).toBe(201);
    expect(res.compartments).toEqual([`Patient/${A}`]);
  });

  it('when member A creates a resource for B, then it is refused with 403 and nothing is stored', async () => {
    const before = await store.size();
    expect(await status(dispatch(asA(), req('POST', 'Observation', observation('x', B))))).toBe(403);
    expect(await status(dispatch(asA(), req('POST', 'Coverage', { resourceType: 'Coverage', status: 'active', beneficiary: { reference: `Patient/${B}` } })))).toBe(403);
    expect(await store.size()).toBe(before);
  });

  it('when member A updates their own resource into B compartment, then it is refused with 403 and unchanged', async () => {
    expect(await status(dispatch(asA(), req('PUT', 'Observation/obs-a', observation('obs-a', B))))).toBe(403);
    const patch = [{ op: 'replace', path: '/subject/reference', value: `Patient/${B}` }];
    expect(await status(dispatch(asA(), req('PATCH', 'Observation/obs-a', patch)))).toBe(403);
    expect((await store.current('Observation', 'obs-a'))?.cmp).toEqual([`Patient/${A}`]);
  });

  it('when member A PUTs onto B resource id, then it is refused with 403 and never overwritten, even as their own', async () => {
    const v = (await store.current('Observation', 'obs-b'))?.v;
    expect(await status(dispatch(asA(), req('PUT', 'Observation/obs-b', observation('obs-b', A))))).toBe(403);
    expect(await status(dispatch(asA(), req('PUT', 'Observation/obs-b', observation('obs-b', B))))).toBe(403);
    const after = await store.current('Observation', 'obs-b');
    expect(after?.v).toBe(v);
    expect(after?.cmp).toEqual([`Patient/${B}`]);
  });

  it('when member A patches or deletes B resource, then the answer is 404 and it is unchanged', async () => {
    const v = (await store.current('Coverage', 'cov-b'))?.v;
    expect(await status(dispatch(asA(), req('PATCH', 'Coverage/cov-b', [{ op: 'replace', path: '/status', value: 'cancelled' }])))).toBe(404);
    expect(await status(dispatch(asA(), req('DELETE', 'Coverage/cov-b')))).toBe(404);
    expect((await store.current('Coverage', 'cov-b'))?.v).toBe(v);
    expect((await store.current('Coverage', 'cov-b'))?.del).toBe(false);
  });

  it('when member A tries a conditional update or delete against B, then it is not supported and nothing changes', async () => {
    const v = (await store.current('Observation', 'obs-b'))?.v;
    expect(await status(dispatch(asA(), req('PUT', `Observation?patient=${B}`, observation('obs-b', A))))).toBe(405);
    expect(await status(dispatch(asA(), req('DELETE', `Observation?patient=${B}`)))).toBe(405);
    expect((await store.current('Observation', 'obs-b'))?.v).toBe(v);
  });

  it('when member A conditionally creates with a condition only B resource matches, then B resource is not returned and a new one is created', async () => {
    const res = await dispatch(asA(), req('POST', 'Observation', observation('x', A), { ifNoneExist: 'identifier=urn:test|obs-b' }));
    expect(res.status).toBe(201);
    expect((res.body as Resource).id).not.toBe('obs-b');
    expect(res.compartments).toEqual([`Patient/${A}`]);
  });

  it('when the caller holds read/search only, then every write is refused with 403', async () => {
    const ctx = asA('patient/*.rs');
    expect(await status(dispatch(ctx, req('POST', 'Observation', observation('x', A))))).toBe(403);
    expect(await status(dispatch(ctx, req('PUT', 'Observation/obs-a', observation('obs-a', A))))).toBe(403);
    expect(await status(dispatch(ctx, req('DELETE', 'Observation/obs-a')))).toBe(403);
  });

  it('when member A deletes their own resource, then it is gone and the response names their compartment', async () => {
    await dispatch(admin(), req('PUT', 'Observation/obs-a-temp', observation('obs-a-temp', A)));
    const res = await dispatch(asA(), req('DELETE', 'Observation/obs-a-temp'));
    expect(res.status).toBe(204);
    expect(res.compartments).toEqual([`Patient/${A}`]);
    expect(await status(get(asA(), 'Observation/obs-a-temp'))).toBe(410);
  });
});

describe('batch and transaction', () => {
  const entry = (method: string, url: string, resource?: unknown) => ({ request: { method, url }, ...(resource ? { resource } : {}) });

  it('when member A sends a batch reaching for B data, then each such entry fails on its own and nothing of B is returned', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        entry('GET', 'Observation/obs-a'),
        entry('GET', 'Observation/obs-b'),
        entry('GET', `Observation?patient=${B}`),
        entry('GET', `Patient?_revinclude=*`),
        entry('GET', 'Coverage/cov-b/_history'),
        entry('GET', '_history'),
        entry('POST', 'Observation', observation('x', B)),
        entry('PUT', 'Observation/obs-b', observation('obs-b', A)),
        entry('DELETE', 'ExplanationOfBenefit/eob-b'),
      ],
    };
    const res = await dispatch(asA(), req('POST', '', bundle));
    const out = bundleOf(res);
    expect(out.entry?.map((e) => e.response?.status)).toEqual(['200', '404', '200', '200', '404', '200', '403', '403', '404']);
    expectNoB(keysIn(out));
    expect(res.compartments).toEqual([`Patient/${A}`]);
    expect((await store.current('ExplanationOfBenefit', 'eob-b'))?.del).toBe(false);
  });

  it('when member A sends a transaction with one entry outside their access, then all of it is refused and nothing is written', async () => {
    const before = await store.size();
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry('POST', 'Observation', observation('x', A)), entry('PUT', 'Coverage/cov-b', { resourceType: 'Coverage', id: 'cov-b', status: 'cancelled', beneficiary: { reference: `Patient/${A}` } })],
    };
    expect(await status(dispatch(asA(), req('POST', '', bundle)))).toBe(403);
    expect(await store.size()).toBe(before);
    expect((await store.current('Coverage', 'cov-b'))?.res).toMatchObject({ status: 'active' });
  });

  it('when member A sends a transaction of their own writes and reads, then it applies and names only their compartment', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry('POST', 'Observation', observation('x', A)), entry('GET', 'Observation/obs-b'), entry('GET', `ExplanationOfBenefit?patient=${B}`), entry('GET', 'Coverage/cov-a')],
    };
    const res = await dispatch(asA(), req('POST', '', bundle));
    const out = bundleOf(res);
    expect(out.entry?.map((e) => e.response?.status)).toEqual(['201', '404', '200', '200']);
    expectNoB(keysIn(out));
    expect(res.compartments).toEqual([`Patient/${A}`]);
  });

  it('when the admin runs a batch over both members, then the compartments are the union of the entries', async () => {
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [entry('GET', 'Observation/obs-a'), entry('GET', 'Coverage/cov-b'), entry('GET', 'Organization/payer')] };
    const res = await dispatch(admin(), req('POST', '', bundle));
    expect(res.compartments?.sort()).toEqual([`Patient/${A}`, `Patient/${B}`]);
  });
});

describe('an Access that denies a type without a filter for it', () => {
  // The engine must ask `allows` itself and not rely on the policy's filter for denied types.
  const onlyObservations: Access = {
    principal: 'test',
    allows: (type) => type === 'Observation',
    filterFor: () => undefined,
  };

  it('when includes or the system history reach a denied type, then they skip it', async () => {
    const ctx = context(onlyObservations);
    const inc = keysIn(bundleOf(await get(ctx, 'Observation?_id=obs-a&_include=Observation:subject&_revinclude:iterate=Coverage:beneficiary')));
    expect(inc).toEqual(['Observation/obs-a']);
    const hist = keysIn(bundleOf(await get(ctx, '_history?_count=500')));
    expect(hist.length).toBeGreaterThan(0);
    expect(hist.every((k) => k.startsWith('Observation/'))).toBe(true);
    expect(await status(get(ctx, `Patient/${A}`))).toBe(403);
  });
});

describe('query-restricted scopes', () => {
  it('when the scope allows only vital signs, then the member own laboratory Observation is as unknown as another member one', async () => {
    const ctx = asA('patient/Observation.rs?category=vital-signs');
    expect(await status(get(ctx, 'Observation/obs-a'))).toBe(404);
    expect(keysIn(bundleOf(await get(ctx, 'Observation')))).toEqual([]);
    const lab = asA(`patient/Observation.rs?category=${CATEGORY}|laboratory`);
    expect(await status(get(lab, 'Observation/obs-a'))).toBe(200);
    expect(keysIn(bundleOf(await get(lab, 'Observation')))).toEqual(expect.arrayContaining(['Observation/obs-a']));
    expectNoB(keysIn(bundleOf(await get(lab, 'Observation'))));
  });
});
