import { generateDemoData } from './src/synthetic/generate.ts';
import { denialEditsIn } from './src/domain/denial-edits.ts';
const members = Number(process.argv[2] ?? 1000);
const t0 = Date.now();
let n = 0; const eob = new Map<string, number>(); const den = new Map<string, number>(); const pa = new Map<string, number>();
for (const r of generateDemoData({ members, seed: 42, now: new Date('2026-06-30T12:00:00Z') })) {
  n++;
  if (r.resourceType === 'ExplanationOfBenefit') {
    const k = (r.type?.coding?.[0]?.code ?? '') + '/' + (r.subType?.coding?.[0]?.code ?? '');
    eob.set(k, (eob.get(k) ?? 0) + 1);
    for (const a of [...(r.adjudication ?? []), ...(r.item ?? []).flatMap((i) => i.adjudication ?? [])]) for (const c of denialEditsIn(a.reason)) den.set(c, (den.get(c) ?? 0) + 1);
  }
  if (r.resourceType === 'ClaimResponse') { const d = r.extension?.find(e => e.url.endsWith('pa-decision'))?.valueCode ?? '?'; pa.set(d, (pa.get(d) ?? 0) + 1); }
}
console.log('members', members, 'resources', n, 'per member', (n/members).toFixed(1), 'ms', Date.now() - t0);
console.log(Object.fromEntries(eob), Object.fromEntries(den), Object.fromEntries(pa));
