/**
 * Runs the store contract against MongoDB. Needs a server: set MONGODB_URI (a replica set, e.g.
 * `mongodb://localhost:27017/?replicaSet=rs0`, to exercise transactions; a standalone server runs the
 * documented fallback, which checks every expectation before writing but is not atomic under races).
 * Each test gets a fresh database with a unique name, dropped afterwards.
 */
import { dropDatabase, freshDbName } from './mongo-fresh-db.js';
import { describe } from 'vitest';
import { openMongoStore } from '../../src/store/mongodb/mongo-store.js';
import { describeStoreContract } from './store-contract.js';

const uri = process.env.MONGODB_URI;

describe.skipIf(uri === undefined || uri === '')('MongoDB adapter (MONGODB_URI)', () => {
  describeStoreContract('mongodb', async () => {
    const connectionString = uri ?? '';
    const dbName = freshDbName('contract');
    let store = await openMongoStore({ uri: connectionString, dbName });
    return {
      store,
      async reopen() {
        await store.close();
        store = await openMongoStore({ uri: connectionString, dbName });
        return store;
      },
      async cleanup() {
        await store.close();
        await dropDatabase(connectionString, dbName);
      },
    };
  });
});
