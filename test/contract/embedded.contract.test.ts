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
  let store = await openEmbeddedStore({ dataDir });
  return {
    store,
    async reopen() {
      await store.close();
      store = await openEmbeddedStore({ dataDir });
      return store;
    },
    async cleanup() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
