/**
 * Runs the store contract against the embedded adapter, each test in its own temporary data
 * folder, removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'store-contract-'));
  const store = await openEmbeddedStore({ dataDir });
  return {
    store,
    async cleanup() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
