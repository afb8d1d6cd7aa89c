import { describe, expect, it } from 'vitest';
import { judgeScenario, formatReport, type BenchReport } from '../../../scripts/bench/report.js';
import type { LoadResult } from '../../../scripts/bench/run-load.js';
import { buildScenarios, spread, TARGETS } from '../../../scripts/bench/scenarios.js';
import { summarizeProfile, type CpuProfile } from '../../../scripts/bench/cpu-profile.js';

const load = (requestsPerSec: number, p99Ms = 10, extra: Partial<LoadResult> = {}): LoadResult => ({
  requestsPerSec,
  p50Ms: 2,
  p99Ms,
  meanMs: 3,
  maxMs: 40,
  requests: requestsPerSec * 10,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  bytesPerSec: 1,
  ...extra,
});

const read = { scenario: 'read-patient', kind: 'read' as const, description: 'GET /fhir/Patient/<id>', responseBytes: 100 };
const search = { scenario: 'search-eob-by-patient', kind: 'search' as const, description: 'GET …', responseBytes: 100 };

describe('judging a scenario against its targets', () => {
  it('when a read reaches half the express ceiling with a low p99, then it passes', () => {
    const o = judgeScenario(read, load(500), load(1000), load(2000));
    expect(o.ratioToExpress).toBe(0.5);
    expect(o.ratioToNode).toBe(0.25);
    expect(o.verdict).toBe('PASS');
  });

  it('when a read stays below half the express ceiling, then it misses on the ratio', () => {
    const o = judgeScenario(read, load(499), load(1000), load(2000));
    expect(o.throughputOk).toBe(false);
    expect(o.verdict).toBe('MISS');
  });

  it('when a search reaches 0.3 of express, then the search target is met', () => {
    expect(judgeScenario(search, load(300), load(1000), load(2000)).verdict).toBe('PASS');
    expect(judgeScenario(search, load(299), load(1000), load(2000)).verdict).toBe('MISS');
  });

  it(`when p99 reaches ${TARGETS.p99Ms} ms, then the scenario misses however fast it is`, () => {
    const o = judgeScenario(read, load(1000, TARGETS.p99Ms), load(1000), load(2000));
    expect(o.p99Ok).toBe(false);
    expect(o.verdict).toBe('MISS');
  });

  it('when the server answered any non-2xx, then the scenario misses', () => {
    const o = judgeScenario(read, load(1000, 5, { non2xx: 3 }), load(1000), load(2000));
    expect(o.clean).toBe(false);
    expect(o.verdict).toBe('MISS');
  });

  it('when the report is formatted, then each scenario is a table row with its ratio and verdict', () => {
    const report: BenchReport = {
      startedAt: '2026-01-01T00:00:00Z',
      machine: { cpus: 2, cpuModel: 'x', node: '20', platform: 'linux', loadAvg: [1, 1, 1] },
      options: { members: 10, seed: 1, connections: 16, durationSec: 10, warmupSec: 2, rounds: 1, nodeFlags: [], dataDir: '/tmp/x' },
      seed: { cached: false, ms: 1000, resources: 300, byType: { Patient: 10 } },
      reload: { ms: 500, resources: 300, heapUsedMb: 10, rssMb: 20, targetMs: TARGETS.reloadMs, verdict: 'PASS' },
      server: { startMs: 900 },
      scenarios: [judgeScenario(read, load(600), load(1000), load(2000)), judgeScenario(search, load(100), load(1000), load(2000))],
    };
    const text = formatReport(report);
    expect(text).toMatch(/\| read-patient +\| +600 \|.*\| +0\.60 \| +0\.30 \|.*\| PASS +\|/);
    expect(text).toMatch(/\| search-eob-by-patient .*\| MISS \(ratio\) \|/);
    expect(text).toContain('reload: 0.5 s for 300 resources (target < 15.0 s): PASS');
  });
});

describe('choosing the ids a scenario rotates over', () => {
  it('when there are more ids than wanted, then they are picked evenly from the whole range', () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
  });

  it('when there are fewer ids than wanted, then all are used', () => {
    expect(spread(['a', 'b'], 5)).toEqual(['a', 'b']);
  });

  it('when scenarios are built, then every path is URL-encoded and the subset filter applies', () => {
    const all = buildScenarios({ patients: ['p 1'], eobs: ['e1'], eobPatients: ['p2'], longHistoryPatients: ['p/3'] });
    expect(all.map((s) => s.name)).toEqual(['read-patient', 'read-eob', 'search-eob-by-patient', 'revinclude-coverage', 'revinclude-eob', 'eob-include-all', 'everything']);
    expect(all[5].paths).toEqual(['/fhir/ExplanationOfBenefit?patient=p2&_include=ExplanationOfBenefit:*']);
    expect(all[6].paths).toEqual(['/fhir/Patient/p%2F3/$everything?_count=200']);
    expect(all[0].paths).toEqual(['/fhir/Patient/p%201']);
    expect(all[2].paths).toEqual(['/fhir/ExplanationOfBenefit?patient=p2']);
    expect(all[4].paths).toEqual(['/fhir/Patient?_id=p2&_revinclude=ExplanationOfBenefit:patient']);
    expect(buildScenarios({ patients: [], eobs: [], eobPatients: [], longHistoryPatients: [] }, ['read-eob']).map((s) => s.name)).toEqual(['read-eob']);
  });
});

describe('summarising a CPU profile', () => {
  it('when samples land in functions, then self time is attributed per function and per package, idle excluded from shares', () => {
    const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('compile', 'file:///app/node_modules/mingo/dist/query.js', 9) },
        { id: 4, callFrame: frame('matching', 'file:///app/src/store/embedded/embedded-store.ts') },
      ],
      samples: [2, 3, 3, 4, 3],
      timeDeltas: [4000, 1000, 1000, 1000, 1000],
      startTime: 0,
      endTime: 8000,
    };
    const s = summarizeProfile(profile);
    expect(s.totalMs).toBe(8);
    expect(s.idleShare).toBe(0.5);
    expect(s.functions[0]).toMatchObject({ name: 'compile', where: 'node_modules/mingo/dist/query.js:10', selfMs: 3, share: 0.75 });
    expect(s.files.map((f) => f.name)).toEqual(['node_modules/mingo', 'src/store/embedded/embedded-store.ts']);
  });
});
