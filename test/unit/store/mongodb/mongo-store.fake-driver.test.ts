/**
 * The store contract against openMongoStore with the driver replaced by an in-memory fake
 * (fake-driver.ts): checks the adapter's logic on the standalone path. The real driver and the
 * transaction path run in test/contract/mongodb.contract.test.ts when MONGODB_URI is set.
 */
import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import { openMongoStore } from '../../../../src/store/mongodb/mongo-store.js';
import { describeStoreContract } from '../../../contract/store-contract.js';

vi.mock('mongodb', async (importOriginal) => {
  const real = await importOriginal<typeof import('mongodb')>();
  const { fakeMongoClientClass } = await import('./fake-driver.js');
  return { ...real, MongoClient: fakeMongoClientClass(real.MongoServerError) };
});

describeStoreContract('mongodb adapter over a fake driver', async () => {
  const warnings: string[] = [];
  const dbName = `db_${randomUUID()}`;
  const open = () => openMongoStore({ uri: 'mongodb://fake', dbName, logger: { info: () => {}, warn: (_o, msg) => warnings.push(msg ?? '') } });
  let store = await open();
  if (warnings.length !== 1) throw new Error('expected one standalone warning');
  return {
    store,
    async reopen() {
      await store.close();
      // The fake keeps each database's documents for the life of the test file, as a server would.
      store = await open();
      return store;
    },
    cleanup: async () => {},
  };
});
