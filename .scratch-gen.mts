import { generateDemoData } from './src/synthetic/generate.ts';
const t0 = Date.now();
let n = 0; const byType = new Map<string, number>();
for (const r of generateDemoData({ members: 1000, seed: 42, now: new Date('2026-06-30T12:00:00Z') })) { n++; byType.set(r.resourceType, (byType.get(r.resourceType) ?? 0) + 1); }
console.log('resources', n, 'ms', Date.now() - t0);
console.log(Object.fromEntries([...byType.entries()].sort((a,b)=>b[1]-a[1])));
