import { createValidator } from './src/fhir/validation/create-validator.ts';
import { generateDemoData } from './src/synthetic/generate.ts';
const v = createValidator('profiles');
const errs = new Map<string, { n: number; ex: string }>(); let n = 0;
for (const r of generateDemoData({ members: Number(process.argv[2] ?? 50), seed: 7, now: new Date('2026-06-30T12:00:00Z') })) {
  n++;
  for (const i of v.validate(r)) { if (i.severity !== 'error' && process.argv[3] !== 'all') continue; const k = `${i.severity} ${r.resourceType} ${(i.expression?.[0] ?? '').replace(/\[\d+\]/g, '[]')} ${i.diagnostics}`; const e = errs.get(k); if (e) e.n++; else errs.set(k, { n: 1, ex: r.id ?? '' }); }
}
console.log('validated', n); for (const [k, v2] of errs) console.log(v2.n, k, v2.ex);
