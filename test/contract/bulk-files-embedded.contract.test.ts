import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedBulkFiles } from '../../src/store/embedded/embedded-bulk-files.js';
import { describeBulkFilesContract } from './bulk-files-contract.js';

describeBulkFilesContract('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulk-files-'));
  return { files: openEmbeddedBulkFiles({ dataDir }), cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
