/**
 * A fresh MongoDB database per contract test, dropped afterwards: both MongoDB contract runs (resources
 * and documents) use it. Database names must be shorter than 64 characters, without '.', '/', '$' or spaces.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';

export const freshDbName = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;

export async function dropDatabase(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.connect();
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}
