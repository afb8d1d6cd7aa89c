/**
 * BulkFiles under DATA_DIR/bulk/<jobId>/<name>. A file is written as `<name>.part` and renamed when
 * closed, so a reader (or a restart) never sees a half-written file under its final name.
 */
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { assertSafeName, type BulkFiles, type BulkFileWriter } from '../bulk-file-port.js';

export function openEmbeddedBulkFiles(opts: { dataDir: string }): BulkFiles {
  const root = join(opts.dataDir, 'bulk');
  const dirOf = (jobId: string): string => {
    assertSafeName('job id', jobId);
    return join(root, jobId);
  };
  return {
    async create(jobId, name) {
      assertSafeName('file name', name);
      const dir = dirOf(jobId);
      await mkdir(dir, { recursive: true });
      const final = join(dir, name);
      const part = `${final}.part`;
      await rm(final, { force: true });
      const out: WriteStream = createWriteStream(part);
      await once(out, 'open');
      let failed: Error | undefined;
      out.on('error', (err) => (failed = err));
      const writer: BulkFileWriter = {
        async write(chunk) {
          if (failed) throw failed;
          if (!out.write(chunk)) await once(out, 'drain');
        },
        async close() {
          if (failed) throw failed;
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
          await rename(part, final);
          return (await stat(final)).size;
        },
        async abort() {
          out.destroy();
          await rm(part, { force: true });
        },
      };
      return writer;
    },
    async open(jobId, name) {
      assertSafeName('file name', name);
      const path = join(dirOf(jobId), name);
      if (!existsSync(path)) return undefined;
      const { size } = await stat(path);
      return { size, stream: createReadStream(path) };
    },
    async removeJob(jobId) {
      await rm(dirOf(jobId), { recursive: true, force: true });
    },
    async jobs() {
      if (!existsSync(root)) return [];
      return (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    },
  };
}
