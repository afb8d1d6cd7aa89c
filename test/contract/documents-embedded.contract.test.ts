/**
 * Runs the document store contract against the embedded adapter, each test in its own temporary data
 * folder, removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedDocuments } from '../../src/store/embedded/embedded-documents.js';
import { describeDocumentContract } from './documents-contract.js';

describeDocumentContract('embedded', async (clock) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'documents-contract-'));
  const docs = await openEmbeddedDocuments({ dataDir, clock });
  return {
    docs,
    async cleanup() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
