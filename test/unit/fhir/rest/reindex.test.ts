/**
 * Stored search indexes follow the search parameter definitions (src/fhir/rest/reindex.ts): a store
 * whose fingerprint is missing or stale is reindexed in place; a current one is left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExplanationOfBenefit, Observation, Patient, Provenance, Resource } from '@medplum/fhirtypes';
import { ensureCurrentIndex, indexFingerprint, recordIndexFingerprint } from '../../../../src/fhir/rest/reindex.js';
import { buildRecord } from '../../../../src/fhir/rest/stored-record.js';
import { loadSearchRegistry, type SearchParamDef, type SearchRegistry } from '../../../../src/fhir/search/registry.js';
import { openEmbeddedDocuments } from '../../../../src/store/embedded/embedded-documents.js';
import { openEmbeddedStore } from '../../../../src/store/embedded/embedded-store.js';
import type { DocumentStore } from '../../../../src/store/document-port.js';
import type { ResourceStore, StoredRecord } from '../../../../src/store/port.js';

const BASE = 'http://localhost/fhir';
const NOW = new Date('2024-06-01T00:00:00Z');
let registry: SearchRegistry;
beforeAll(() => {
  registry = loadSearchRegistry();
});

const dirs: string[] = [];
const opened: Array<ResourceStore | DocumentStore> = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openFolder(dir?: string): Promise<{ dir: string; store: ResourceStore; docs: DocumentStore }> {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'reindex-'));
  if (!dir) dirs.push(dataDir);
  const store = await openEmbeddedStore({ dataDir });
  const docs = await openEmbeddedDocuments({ dataDir });
  opened.push(store, docs);
  return { dir: dataDir, store, docs };
}

/** A record as an older release would have indexed it: without the given parameters and compartments. */
function indexedBefore(resource: Resource, drop: string[], keepCmp = true): StoredRecord {
  const r = buildRecord(resource, 1, NOW, registry, BASE);
  const sp = { ...r.sp };
  const so = { ...r.so };
  for (const code of drop) {
    delete sp[code];
    delete so[code];
  }
  return { ...r, sp, so, cmp: keepCmp ? r.cmp : [] };
}

const patient: Patient = { resourceType: 'Patient', id: 'm1' };
const eob2015: ExplanationOfBenefit = {
  resourceType: 'ExplanationOfBenefit',
  id: 'e2015',
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim',
  patient: { reference: 'Patient/m1' },
  created: '2015-04-01',
  billablePeriod: { start: '2015-03-01', end: '2015-03-02' },
  insurer: { reference: 'Organization/o1' },
  provider: { reference: 'Organization/o1' },
  outcome: 'complete',
  insurance: [{ focal: true, coverage: { reference: 'Coverage/c1' } }],
};

const preCareDate = { 'sp.care-date': { $elemMatch: { hi: { $lt: Date.UTC(2016, 0, 1) } } } };

describe('reindexing the store when the search definitions change', () => {
  it('when a store indexed before a parameter existed starts without a fingerprint, then every record gets it, in place', async () => {
    const { store, docs } = await openFolder();
    await store.write([{ kind: 'put', record: indexedBefore(patient, []) }, { kind: 'put', record: indexedBefore(eob2015, ['care-date', 'use']) }]);
    expect((await store.find({ filter: preCareDate, sort: [], limit: 10 })).records).toHaveLength(0);

    const check = await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE });
    expect(check).toEqual({ reindexed: 1, reason: 'no fingerprint' });
    const found = (await store.find({ filter: preCareDate, sort: [], limit: 10 })).records;
    expect(found.map((r) => r._id)).toEqual(['ExplanationOfBenefit/e2015']);
    expect(found[0].v).toBe(1);
    expect(found[0].lu).toBe(NOW.getTime());
    expect(await store.count({ 'sp.use': { $elemMatch: { c: 'claim' } } })).toBe(1);
    expect(await store.history({ type: 'ExplanationOfBenefit', id: 'e2015', limit: 5 })).toHaveLength(1);

    // The fingerprint is now current: a second start changes nothing.
    expect(await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE })).toEqual({ reindexed: 0 });
  });

  it('when the reindexed folder is opened again, then the new index was durable', async () => {
    const first = await openFolder();
    await first.store.write([{ kind: 'put', record: indexedBefore(eob2015, ['care-date']) }]);
    await ensureCurrentIndex({ store: first.store, docs: first.docs, registry, baseUrl: BASE });
    await first.store.close();
    await first.docs.close();
    const again = await openFolder(first.dir);
    expect(await again.store.count(preCareDate)).toBe(1);
    expect(await ensureCurrentIndex({ store: again.store, docs: again.docs, registry, baseUrl: BASE })).toEqual({ reindexed: 0 });
  });

  it('when the store is empty, then only the fingerprint is recorded', async () => {
    const { store, docs } = await openFolder();
    expect(await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE })).toEqual({ reindexed: 0 });
    await store.write([{ kind: 'put', record: indexedBefore(eob2015, ['care-date']) }]);
    // Same definitions: the (deliberately stale) record is not looked at again.
    expect(await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE })).toEqual({ reindexed: 0 });
    expect(await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE }, { force: true })).toEqual({ reindexed: 1, reason: 'forced' });
  });

  it('when a stored fingerprint differs from the definitions, then the store is reindexed', async () => {
    const { store, docs } = await openFolder();
    await store.write([{ kind: 'put', record: indexedBefore(eob2015, ['care-date']) }]);
    // Recorded by a registry that lacked `care-date` for ExplanationOfBenefit.
    await recordIndexFingerprint({ docs, registry: without(registry, 'ExplanationOfBenefit', 'care-date') });
    expect(await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE })).toEqual({ reindexed: 1, reason: 'definitions changed' });
  });

  it('when a compartment is added to a target, then a second pass gives its Provenance that compartment too', async () => {
    const { store, docs } = await openFolder();
    const obs: Observation = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/m1' } };
    const prov: Provenance = { resourceType: 'Provenance', id: 'pv1', target: [{ reference: 'Observation/o1' }], recorded: '2024-01-01T00:00:00Z', agent: [{ who: { reference: 'Organization/o1' } }] };
    // Stored before: the Observation lost its compartment, so its Provenance never inherited it.
    // Provenance sorts after Observation by key but a store may visit in any order: both passes are needed.
    await store.write([{ kind: 'put', record: indexedBefore(prov, [], false) }, { kind: 'put', record: indexedBefore(obs, [], false) }]);
    expect(await store.count({ cmp: 'Patient/m1' })).toBe(0);
    await ensureCurrentIndex({ store, docs, registry, baseUrl: BASE });
    const inCompartment = (await store.find({ filter: { cmp: 'Patient/m1' }, sort: [['_id', 1]], limit: 10 })).records.map((r) => r._id);
    expect(inCompartment).toEqual(['Observation/o1', 'Provenance/pv1']);
  });
});

describe('the index fingerprint', () => {
  it('when a parameter, its expression or a compartment parameter changes, then the fingerprint changes; otherwise it is stable', () => {
    const base = indexFingerprint(registry);
    expect(indexFingerprint(loadSearchRegistry())).toBe(base);
    expect(indexFingerprint(without(registry, 'ExplanationOfBenefit', 'care-date'))).not.toBe(base);
    expect(indexFingerprint(withExpression(registry, 'Observation', 'code', 'Observation.code.coding'))).not.toBe(base);
    expect(indexFingerprint({ ...delegate(registry), patientCompartmentParams: (t) => (t === 'Observation' ? [] : registry.patientCompartmentParams(t)) })).not.toBe(base);
  });
});

function delegate(r: SearchRegistry): SearchRegistry {
  return {
    resourceTypes: r.resourceTypes,
    forType: (t) => r.forType(t),
    get: (t, c) => r.get(t, c),
    patientCompartmentParams: (t) => r.patientCompartmentParams(t),
  };
}

function mapType(r: SearchRegistry, type: string, change: (defs: Map<string, SearchParamDef>) => void): SearchRegistry {
  return {
    ...delegate(r),
    forType: (t) => {
      if (t !== type) return r.forType(t);
      const defs = new Map(r.forType(t));
      change(defs);
      return defs;
    },
  };
}

const without = (r: SearchRegistry, type: string, code: string): SearchRegistry => mapType(r, type, (defs) => defs.delete(code));
const withExpression = (r: SearchRegistry, type: string, code: string, expression: string): SearchRegistry =>
  mapType(r, type, (defs) => {
    const d = defs.get(code) as SearchParamDef;
    defs.set(code, { ...d, expression });
  });
