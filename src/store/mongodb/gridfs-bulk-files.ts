/**
 * BulkFiles in GridFS (bucket `bulk`), so every instance can serve every export file. A file is
 * uploaded under `<jobId>/<name>.part` and renamed when closed (readers and restarts never see a half
 * file under its final name); metadata.jobId groups a job's files.
 */
import { GridFSBucket, MongoClient, ObjectId, type GridFSBucketWriteStream } from 'mongodb';
import { once } from 'node:events';
import { assertSafeName, type BulkFiles, type BulkFileWriter } from '../bulk-file-port.js';

export async function openGridFsBulkFiles(opts: { uri: string; dbName?: string }): Promise<BulkFiles & { close(): Promise<void> }> {
  const client = new MongoClient(opts.uri);
  await client.connect();
  const db = client.db(opts.dbName);
  const bucket = new GridFSBucket(db, { bucketName: 'bulk' });
  const files = db.collection<{ _id: ObjectId; filename: string; length: number; metadata?: { jobId?: string } }>('bulk.files');
  await files.createIndex({ 'metadata.jobId': 1 });
  const key = (jobId: string, name: string): string => {
    assertSafeName('job id', jobId);
    assertSafeName('file name', name);
    return `${jobId}/${name}`;
  };
  const removeNamed = async (filename: string): Promise<void> => {
    for (const f of await files.find({ filename }).toArray()) await bucket.delete(f._id);
  };
  return {
    async create(jobId, name) {
      const final = key(jobId, name);
      const part = `${final}.part`;
      await removeNamed(part);
      const upload: GridFSBucketWriteStream = bucket.openUploadStream(part, { metadata: { jobId } });
      let failed: Error | undefined;
      upload.on('error', (err) => (failed = err));
      const writer: BulkFileWriter = {
        async write(chunk) {
          if (failed) throw failed;
          if (!upload.write(chunk)) await once(upload, 'drain');
        },
        async close() {
          if (failed) throw failed;
          await new Promise<void>((resolve, reject) => {
            upload.once('finish', () => resolve());
            upload.once('error', reject);
            upload.end();
          });
          await removeNamed(final);
          await bucket.rename(upload.id as ObjectId, final);
          const stored = await files.findOne({ _id: upload.id as ObjectId });
          return stored?.length ?? 0;
        },
        async abort() {
          await upload.abort().catch(() => undefined);
          await removeNamed(part);
        },
      };
      return writer;
    },
    async open(jobId, name) {
      const found = await files.findOne({ filename: key(jobId, name) });
      if (!found) return undefined;
      return { size: found.length, stream: bucket.openDownloadStream(found._id) };
    },
    async removeJob(jobId) {
      assertSafeName('job id', jobId);
      for (const f of await files.find({ 'metadata.jobId': jobId }).toArray()) await bucket.delete(f._id);
    },
    async jobs() {
      return (await files.distinct('metadata.jobId')).filter((j): j is string => typeof j === 'string');
    },
    async close() {
      await client.close();
    },
  };
}
