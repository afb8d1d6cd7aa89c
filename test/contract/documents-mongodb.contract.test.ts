/**
 * Runs the document store contract against MongoDB. Needs a server: set MONGODB_URI (a standalone
 * server is enough: every single-use operation is one atomic single-document command). Each test gets
 * a fresh database with a unique name, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe } from 'vitest';
import { openMongoDocuments } from '../../src/store/mongodb/mongo-documents.js';
import { describeDocumentContract } from './documents-contract.js';

const uri = process.env.MONGODB_URI;

describe.skipIf(uri === undefined || uri === '')('MongoDB document adapter (MONGODB_URI)', () => {
  describeDocumentContract('mongodb', async (clock) => {
    const connectionString = uri ?? '';
    // Database names must be shorter than 64 characters and no '.', '/', '$' or spaces.
    const dbName = `docs_${randomUUID().replaceAll('-', '')}`;
    const docs = await openMongoDocuments({ uri: connectionString, dbName, clock });
    return {
      docs,
      async cleanup() {
        const client = new MongoClient(connectionString);
        try {
          await client.connect();
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  });
});
