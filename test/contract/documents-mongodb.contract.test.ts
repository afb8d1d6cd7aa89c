/**
 * Runs the document store contract against MongoDB. Needs a server: set MONGODB_URI (a standalone
 * server is enough: every single-use operation is one atomic single-document command). Each test gets
 * a fresh database with a unique name, dropped afterwards.
 */
import { dropDatabase, freshDbName } from './mongo-fresh-db.js';
import { describe } from 'vitest';
import { openMongoDocuments } from '../../src/store/mongodb/mongo-documents.js';
import { describeDocumentContract } from './documents-contract.js';

const uri = process.env.MONGODB_URI;

describe.skipIf(uri === undefined || uri === '')('MongoDB document adapter (MONGODB_URI)', () => {
  describeDocumentContract('mongodb', async (clock) => {
    const connectionString = uri ?? '';
    const dbName = freshDbName('docs');
    const docs = await openMongoDocuments({ uri: connectionString, dbName, clock });
    return {
      docs,
      cleanup: () => dropDatabase(connectionString, dbName),
    };
  });
});
