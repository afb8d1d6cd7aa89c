// Every IG SearchParameter shipped in src/fhir/search/definitions must compile with fhirpath.js
// (R4 model), since the search indexer evaluates these expressions at write time.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

const DIR = join(import.meta.dirname, '../../../src/fhir/search/definitions');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const parameters = files.flatMap((file) => {
  const bundle = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Bundle<SearchParameter>;
  return (bundle.entry ?? []).map((entry) => ({ file, parameter: entry.resource as SearchParameter, bundle }));
});

describe('IG SearchParameter definitions', () => {
  it('when the definitions folder is read, then each file is a collection Bundle tagged with its IG package version (the program\'s own with its package)', () => {
    expect(files).toEqual(expect.arrayContaining(['carin-bb.json', 'davinci-pdex.json', 'program.json']));
    for (const { bundle, file } of parameters) {
      expect(bundle.type).toBe('collection');
      const pattern = file === 'program.json' ? /^masshealth\.program#\d+\.\d+\.\d+$/ : /^hl7\.fhir\.us\.[a-z-]+#\d+\.\d+\.\d+$/;
      expect(bundle.meta?.tag?.[0]?.code).toMatch(pattern);
    }
  });

  it('when care-date is evaluated, then it yields the dates of service of each type and nothing else', () => {
    const parameter = parameters.find((p) => p.parameter.code === 'care-date')?.parameter as SearchParameter;
    const eob = { resourceType: 'ExplanationOfBenefit', created: '2024-09-01', billablePeriod: { start: '2024-03-01', end: '2024-03-02' }, item: [{ sequence: 1, servicedDate: '2024-03-01' }] };
    expect(fhirpath.evaluate(eob, parameter.expression as string, {}, r4)).toEqual([{ start: '2024-03-01', end: '2024-03-02' }, '2024-03-01']);
    const condition = { resourceType: 'Condition', onsetDateTime: '2012-05-01', recordedDate: '2020-01-02', subject: { reference: 'Patient/1' } };
    expect(fhirpath.evaluate(condition, parameter.expression as string, {}, r4)).toEqual(['2012-05-01', '2020-01-02']);
    expect(fhirpath.evaluate({ resourceType: 'Patient', birthDate: '1990-01-01' }, parameter.expression as string, {}, r4)).toEqual([]);
  });

  it('when C4BB parameters are loaded, then the ones the C4BB server CapabilityStatement needs are present', () => {
    const codes = parameters.filter((p) => p.file === 'carin-bb.json').map((p) => p.parameter.code);
    expect(codes).toEqual(expect.arrayContaining(['service-date', 'service-start-date', 'billable-period-start', 'type', 'identifier', 'patient', 'insurer', 'provider', 'care-team', 'coverage', 'payor']));
  });

  it.each(parameters.map((p) => [p.parameter.url, p.parameter] as const))('when %s is compiled with the R4 model, then it compiles and evaluates', (_url, parameter) => {
    expect(parameter.resourceType).toBe('SearchParameter');
    expect(parameter.url && parameter.code && parameter.type && parameter.expression && parameter.base?.length).toBeTruthy();
    const evaluate = fhirpath.compile(parameter.expression as string, r4);
    const base = parameter.base?.[0] as string;
    expect(Array.isArray(evaluate({ resourceType: base }, {}))).toBe(true);
  });

  it('when service-start-date is evaluated on a professional EOB, then it yields the line service date', () => {
    const parameter = parameters.find((p) => p.parameter.code === 'service-start-date')?.parameter as SearchParameter;
    const eob = { resourceType: 'ExplanationOfBenefit', item: [{ sequence: 1, servicedPeriod: { start: '2024-03-01', end: '2024-03-02' } }] };
    expect(fhirpath.evaluate(eob, parameter.expression as string, {}, r4)).toEqual(['2024-03-01']);
  });
});
