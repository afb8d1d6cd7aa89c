/**
 * CPU profiling for the bench: a child records a V8 CPU profile around exactly the part being measured
 * (one scenario's load, or the store reload) through node:inspector, and the bench summarises where
 * the time went by function (self time) and by file/package. The .cpuprofile files open in Chrome
 * DevTools (Performance tab) or speedscope for the full picture.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Recorder {
  stop(file: string): Promise<void>;
}

export async function startRecording(): Promise<Recorder> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 200 µs: fine enough for request handlers of a few hundred microseconds.
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
    },
  };
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleShare: number;
  functions: HotSpot[];
  files: HotSpot[];
}

/** node_modules/<pkg> for dependencies, the path under the project for our own code, node: for core. */
function placeOf(url: string): string {
  if (url === '') return '(native/vm)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `node_modules/${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.search(/\/(src|scripts)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}

/** The path of a dependency's file from its package folder on: node_modules/router/lib/layer.js. */
function fileIn(url: string): string {
  return url.slice(url.lastIndexOf('/node_modules/') + 1);
}

/**
 * Nodes recorded under the recorder itself: starting the profiler walks the heap for existing code
 * (seconds on a multi-GB heap), which is no part of the work measured.
 */
function recorderNodes(nodes: ProfileNode[]): Set<number> {
  const out = new Set<number>();
  const mark = (n: ProfileNode | undefined, byId: Map<number, ProfileNode>): void => {
    if (!n || out.has(n.id)) return;
    out.add(n.id);
    for (const c of n.children ?? []) mark(byId.get(c), byId);
  };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) if (n.callFrame.functionName === 'startRecording') mark(n, byId);
  return out;
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const excluded = recorderNodes(profile.nodes);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let totalUs = 0;
  let idleUs = 0;
  const fn = new Map<string, HotSpot>();
  const files = new Map<string, HotSpot>();
  const add = (map: Map<string, HotSpot>, key: string, name: string, where: string, us: number): void => {
    const h = map.get(key) ?? { name, where, selfMs: 0, share: 0 };
    h.selfMs += us / 1000;
    map.set(key, h);
  };
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || excluded.has(id)) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idleUs += us;
      continue;
    }
    const place = placeOf(url);
    const name = functionName || '(anonymous)';
    // Under tsx our own files are transformed onto few lines, so a line number there says nothing.
    const where = !url ? place : place.startsWith('node_modules/') ? `${fileIn(url)}:${lineNumber + 1}` : place;
    add(fn, `${name}@${where}`, name, where, us);
    add(files, place, place, place, us);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const rank = (m: Map<string, HotSpot>): HotSpot[] =>
    [...m.values()]
      .map((h) => ({ ...h, share: busyMs > 0 ? h.selfMs / busyMs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { totalMs: totalUs / 1000, idleShare: totalUs > 0 ? idleUs / totalUs : 0, functions: rank(fn), files: rank(files) };
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const row = (h: HotSpot): string => `    ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(7)} ms  ${h.name}${h.name === h.where ? '' : `  ${h.where}`}`;
  return [
    `  ${title}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(s.idleShare * 100).toFixed(0)}% idle; self time of the busy part:`,
    '   by file/package:',
    ...s.files.slice(0, 8).map(row),
    '   by function:',
    ...s.functions.map(row),
  ].join('\n');
}
