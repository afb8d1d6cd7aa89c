/** The bulk files contract against GridFS; needs MONGODB_URI (a fresh database per test, dropped afterwards). */
import { describe } from 'vitest';
import { openGridFsBulkFiles } from '../../src/store/mongodb/gridfs-bulk-files.js';
import { describeBulkFilesContract } from './bulk-files-contract.js';
import { dropDatabase, freshDbName } from './mongo-fresh-db.js';

const uri = process.env.MONGODB_URI;

describe.skipIf(uri === undefined || uri === '')('GridFS bulk files (MONGODB_URI)', () => {
  describeBulkFilesContract('gridfs', async () => {
    const connectionString = uri ?? '';
    const dbName = freshDbName('bulk');
    const files = await openGridFsBulkFiles({ uri: connectionString, dbName });
    return {
      files,
      async cleanup() {
        await files.close();
        await dropDatabase(connectionString, dbName);
      },
    };
  });
});
