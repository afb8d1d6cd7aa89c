/**
 * The embedded store's append-only log (src/store/embedded/log-file.ts): replay of complete lines,
 * a torn tail cut back to the last good line, corruption in the middle refused, missing and empty
 * files accepted, and appends that replay exactly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog, replayLog } from '../../../src/store/embedded/log-file.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fhir-log-'));
  path = join(dir, 'resources.log');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Replays like the store does: each line must be JSON. */
function replayJson(file: string): { values: unknown[]; lines: number; truncatedBytes: number } {
  const values: unknown[] = [];
  const stats = replayLog(file, (line) => values.push(JSON.parse(line)));
  return { values, ...stats };
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

describe('replayLog', () => {
  it('when every line is complete, then each is replayed in order and the file is left as it was', () => {
    const content = [{ n: 1 }, { n: 2, name: 'Müller' }, [{ _id: 'Patient/3', v: 1 }]].map(line).join('');
    writeFileSync(path, content);
    const { values, lines, truncatedBytes } = replayJson(path);
    expect(values).toEqual([{ n: 1 }, { n: 2, name: 'Müller' }, [{ _id: 'Patient/3', v: 1 }]]);
    expect(lines).toBe(3);
    expect(truncatedBytes).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('when the last line is torn (no newline), then it is not replayed and the file shrinks to the last good line', () => {
    const good = line({ n: 1 }) + line({ n: 2 });
    const torn = '{"n":3,"name":"hal';
    writeFileSync(path, good + torn);
    const { values, lines, truncatedBytes } = replayJson(path);
    expect(values).toEqual([{ n: 1 }, { n: 2 }]);
    expect(lines).toBe(2);
    expect(truncatedBytes).toBe(Buffer.byteLength(torn));
    expect(statSync(path).size).toBe(Buffer.byteLength(good));
    expect(readFileSync(path, 'utf8')).toBe(good);
  });

  it('when the torn tail is itself valid JSON but lacks its newline, then it is still cut (the write was not finished)', () => {
    const good = line({ n: 1 });
    writeFileSync(path, `${good}{"n":2}`);
    const { values, truncatedBytes } = replayJson(path);
    expect(values).toEqual([{ n: 1 }]);
    expect(truncatedBytes).toBe(Buffer.byteLength('{"n":2}'));
    expect(readFileSync(path, 'utf8')).toBe(good);
  });

  it('when the last complete line does not parse, then it is treated as torn and cut', () => {
    const good = line({ n: 1 });
    writeFileSync(path, `${good}{"n":2,\n`);
    const { values, lines } = replayJson(path);
    expect(values).toEqual([{ n: 1 }]);
    expect(lines).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe(good);
  });

  it('when the only content is a torn line, then nothing is replayed and the file becomes empty', () => {
    writeFileSync(path, '[{"_id":"Patient/1"');
    const { values, truncatedBytes } = replayJson(path);
    expect(values).toEqual([]);
    expect(truncatedBytes).toBe(19);
    expect(statSync(path).size).toBe(0);
  });

  it('when a line in the middle is corrupt, then replay fails naming the byte offset and the file is not truncated', () => {
    const first = line({ n: 1 });
    const content = `${first}{"n":2 corrupt}\n${line({ n: 3 })}`;
    writeFileSync(path, content);
    expect(() => replayJson(path)).toThrow(new RegExp(`corrupt at byte ${Buffer.byteLength(first)}`));
    // Corruption is not "repaired" by cutting acknowledged data after it.
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('when an empty line is in the middle, then replay fails rather than skipping it', () => {
    writeFileSync(path, `${line({ n: 1 })}\n${line({ n: 2 })}`);
    expect(() => replayJson(path)).toThrow(/corrupt/);
  });

  it('when the file does not exist, then nothing is replayed and no file is created', () => {
    const { values, lines, truncatedBytes } = replayJson(path);
    expect(values).toEqual([]);
    expect(lines).toBe(0);
    expect(truncatedBytes).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('when the file is empty, then nothing is replayed and it stays empty', () => {
    writeFileSync(path, '');
    expect(replayJson(path)).toEqual({ values: [], lines: 0, truncatedBytes: 0 });
    expect(statSync(path).size).toBe(0);
  });

  it('when a line spans the 16 MiB read chunk with a multi-byte character on the boundary, then it is replayed intact', () => {
    const CHUNK = 16 * 1024 * 1024; // log-file.ts reads in chunks of this size
    // First line ends so that the 2-byte "é" of the second line starts one byte before the boundary.
    const prefix = '{"s":"';
    const firstText = `{"pad":"${'a'.repeat(CHUNK - 4096)}"}`;
    const secondHead = `${prefix}${'b'.repeat(CHUNK - 1 - Buffer.byteLength(firstText) - 1 - prefix.length)}`;
    const second = `${secondHead}é${'c'.repeat(1000)}"}`;
    const content = `${firstText}\n${second}\n${line({ n: 3 })}`;
    expect(Buffer.byteLength(`${firstText}\n${secondHead}`)).toBe(CHUNK - 1);
    writeFileSync(path, content);
    const { values, lines, truncatedBytes } = replayJson(path);
    expect(lines).toBe(3);
    expect(truncatedBytes).toBe(0);
    expect((values[1] as { s: string }).s).toBe(`${secondHead.slice(prefix.length)}é${'c'.repeat(1000)}`);
    expect(values[2]).toEqual({ n: 3 });
  });

  it('when a torn tail follows more than one chunk of good lines, then the file is cut exactly at the last newline', () => {
    const big = line({ pad: 'x'.repeat(9 * 1024 * 1024) });
    const good = big + big;
    writeFileSync(path, `${good}{"torn":`);
    const { lines } = replayJson(path);
    expect(lines).toBe(2);
    expect(statSync(path).size).toBe(Buffer.byteLength(good));
  });
});

describe('openLog', () => {
  it('when lines are appended, then each ends in a newline and replays in order', () => {
    const log = openLog(path, { fsync: false });
    log.append(JSON.stringify({ n: 1 }));
    log.append(JSON.stringify({ n: 2, name: 'Chloé' }));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe(line({ n: 1 }) + line({ n: 2, name: 'Chloé' }));
    expect(replayJson(path).values).toEqual([{ n: 1 }, { n: 2, name: 'Chloé' }]);
  });

  it('when the data folder does not exist yet, then it is created', () => {
    const nested = join(dir, 'a', 'b', 'resources.log');
    const log = openLog(nested, { fsync: true });
    log.append('{"n":1}');
    log.close();
    expect(readFileSync(nested, 'utf8')).toBe('{"n":1}\n');
  });

  it('when a torn tail was cut on replay, then later appends start on a clean line and the whole log replays', () => {
    writeFileSync(path, `${line({ n: 1 })}{"n":2,"torn`);
    replayJson(path);
    const log = openLog(path, { fsync: false });
    log.append(JSON.stringify({ n: 3 }));
    log.close();
    expect(replayJson(path)).toEqual({ values: [{ n: 1 }, { n: 3 }], lines: 2, truncatedBytes: 0 });
  });

  it('when the log is reopened, then appends go after the existing lines', () => {
    const first = openLog(path, { fsync: false });
    first.append('{"n":1}');
    first.close();
    const second = openLog(path, { fsync: false });
    second.append('{"n":2}');
    second.close();
    expect(replayJson(path).values).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('when the log is closed, then a further append throws and writes nothing', () => {
    const log = openLog(path, { fsync: false });
    log.append('{"n":1}');
    log.close();
    expect(() => log.append('{"n":2}')).toThrow(/closed/);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
    expect(() => log.close()).not.toThrow();
  });
});
