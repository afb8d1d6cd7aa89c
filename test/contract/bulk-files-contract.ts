/**
 * What every BulkFiles adapter (src/store/bulk-file-port.ts) must do: a file is readable only once
 * closed, with exactly the bytes written; an aborted file leaves nothing; a job's files go together;
 * names that could escape their place are refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import type { BulkFiles } from '../../src/store/bulk-file-port.js';

export interface OpenedBulkFiles {
  files: BulkFiles;
  cleanup(): Promise<void>;
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return out;
}

export function describeBulkFilesContract(name: string, open: () => Promise<OpenedBulkFiles>): void {
  describe(`${name} bulk files contract`, () => {
    let files: BulkFiles;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ files, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('when a file is written in chunks and closed, then it reads back byte for byte with its size', async () => {
      const w = await files.create('job-1', 'Patient.ndjson');
      const lines = Array.from({ length: 2000 }, (_, i) => `{"resourceType":"Patient","id":"p${i}","name":"Zoë ${i}"}\n`);
      for (let i = 0; i < lines.length; i += 100) await w.write(lines.slice(i, i + 100).join(''));
      expect(await files.open('job-1', 'Patient.ndjson')).toBeUndefined(); // not before it is closed
      const size = await w.close();
      const expected = lines.join('');
      expect(size).toBe(Buffer.byteLength(expected));
      const opened = await files.open('job-1', 'Patient.ndjson');
      expect(opened?.size).toBe(size);
      expect(await text(opened?.stream as Readable)).toBe(expected);
      expect(await files.jobs()).toEqual(['job-1']);
    });

    it('when a file is aborted, then nothing of it remains; creating it again replaces an earlier one', async () => {
      const w = await files.create('job-2', 'Observation.ndjson');
      await w.write('partial');
      await w.abort();
      expect(await files.open('job-2', 'Observation.ndjson')).toBeUndefined();
      const first = await files.create('job-2', 'Observation.ndjson');
      await first.write('one\n');
      await first.close();
      const second = await files.create('job-2', 'Observation.ndjson');
      await second.write('two\n');
      await second.close();
      expect(await text((await files.open('job-2', 'Observation.ndjson'))?.stream as Readable)).toBe('two\n');
    });

    it('when a job is removed, then all its files go and other jobs keep theirs', async () => {
      for (const job of ['job-a', 'job-b']) {
        const w = await files.create(job, 'Coverage.ndjson');
        await w.write(`${job}\n`);
        await w.close();
      }
      await files.removeJob('job-a');
      await files.removeJob('job-a'); // idempotent
      expect(await files.open('job-a', 'Coverage.ndjson')).toBeUndefined();
      expect(await text((await files.open('job-b', 'Coverage.ndjson'))?.stream as Readable)).toBe('job-b\n');
      expect(await files.jobs()).toEqual(['job-b']);
    });

    it('when a job id or file name could escape its place, then it is refused', async () => {
      for (const [job, file] of [['..', 'x.ndjson'], ['job', '../x'], ['a/b', 'x'], ['job', ''], ['job', '.hidden']]) {
        await expect(files.create(job, file)).rejects.toThrow(/unsafe bulk/);
      }
      await expect(files.open('job', '../../etc/passwd')).rejects.toThrow(/unsafe bulk/);
    });
  });
}
