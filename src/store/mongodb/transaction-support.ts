/**
 * Whether the deployment supports multi-document transactions: replica set members report a
 * `setName` and mongos reports `msg: "isdbgrid"` in the `hello` reply; a standalone mongod reports
 * neither and rejects `startTransaction` (MongoDB manual, "hello" command and "Transactions").
 */
import { MongoServerError, type Db, type Document } from 'mongodb';

/** Server code for an unknown command (servers before 4.4.2 do not know `hello`). */
const COMMAND_NOT_FOUND = 59;

export async function supportsTransactions(db: Db): Promise<boolean> {
  const reply = await helloReply(db);
  return typeof reply.setName === 'string' || reply.msg === 'isdbgrid';
}

async function helloReply(db: Db): Promise<Document> {
  try {
    return await db.admin().command({ hello: 1 });
  } catch (error) {
    if (error instanceof MongoServerError && error.code === COMMAND_NOT_FOUND) {
      return db.admin().command({ isMaster: 1 });
    }
    throw error;
  }
}
