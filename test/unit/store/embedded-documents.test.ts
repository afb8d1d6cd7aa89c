/**
 * What only the embedded document store has (src/store/embedded/embedded-documents.ts): its log under
 * `<dataDir>/documents/`, replayed on open (a torn last line cut, corruption refused) and compacted to
 * the live documents when it has grown much larger than them. The shared behaviour is in
 * test/contract/documents-contract.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore, StoredDocument } from '../../../src/store/document-port.js';
import { openEmbeddedDocuments } from '../../../src/store/embedded/embedded-documents.js';

interface Grant extends StoredDocument {
  state: string;
}

let dataDir: string;
let now: number;
const clock = (): number => now;
const opened: DocumentStore[] = [];

async function open(opts: { fsync?: boolean } = {}): Promise<DocumentStore> {
  const docs = await openEmbeddedDocuments({ dataDir, clock, ...opts });
  opened.push(docs);
  return docs;
}

const logPath = (name: string): string => join(dataDir, 'documents', `${name}.ndjson`);
const logLines = (name: string): string[] => readFileSync(logPath(name), 'utf8').split('\n').filter((l) => l !== '');

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'embedded-documents-'));
  now = 1_700_000_000_000;
});
afterEach(async () => {
  for (const docs of opened.splice(0)) await docs.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('when the store is reopened, then put, insert, delete, take and update are all as they were', async () => {
    const first = await open();
    const grants = first.collection<Grant>('grants');
    for (const id of ['a', 'b', 'c', 'd']) await grants.put({ _id: id, state: 'pending' });
    await grants.insert({ _id: 'e', state: 'new' });
    await grants.delete('a');
    await grants.take('b');
    await grants.update('c', { state: 'pending' }, { state: 'approved' });
    await first.close();

    const reopened = (await open()).collection<Grant>('grants');
    expect(await reopened.find({})).toEqual([
      { _id: 'c', state: 'approved' },
      { _id: 'd', state: 'pending' },
      { _id: 'e', state: 'new' },
    ]);
  });

  it('when a document expires while the store is closed, then it is absent after reopening', async () => {
    const first = await open();
    await first.collection<Grant>('codes').put({ _id: 'code', state: 'pending', exp: now + 1000 });
    await first.close();
    now += 1000;
    expect(await (await open()).collection<Grant>('codes').get('code')).toBeUndefined();
  });

  it('when fsync is on, then writes are persisted the same way', async () => {
    const first = await open({ fsync: true });
    await first.collection<Grant>('grants').put({ _id: 'a', state: 'pending' });
    await first.close();
    expect(await (await open()).collection<Grant>('grants').get('a')).toEqual({ _id: 'a', state: 'pending' });
  });

  it('when the store is closed, then a write is refused', async () => {
    const docs = await open();
    const grants = docs.collection<Grant>('grants');
    await docs.close();
    await expect(grants.put({ _id: 'a', state: 'late' })).rejects.toThrow(/closed/);
  });
});

describe('recovery', () => {
  it('when the last line is torn, then the documents before it load and later writes land on a clean line', async () => {
    const first = await open();
    await first.collection<Grant>('grants').put({ _id: 'a', state: 'pending' });
    await first.close();
    appendFileSync(logPath('grants'), '{"put":{"_id":"b","sta');

    const second = await open();
    const grants = second.collection<Grant>('grants');
    expect(await grants.find({})).toEqual([{ _id: 'a', state: 'pending' }]);
    await grants.put({ _id: 'c', state: 'pending' });
    await second.close();

    expect(ids(await (await open()).collection<Grant>('grants').find({}))).toEqual(['a', 'c']);
  });

  it('when a line before the last is corrupt, then opening the store fails', async () => {
    const first = await open();
    await first.collection<Grant>('grants').put({ _id: 'a', state: 'pending' });
    await first.close();
    appendFileSync(logPath('grants'), 'not json\n{"del":"a"}\n');
    await expect(openEmbeddedDocuments({ dataDir, clock })).rejects.toThrow(/corrupt/);
  });

  it('when a compaction left its temporary file behind, then it is removed and ignored', async () => {
    const first = await open();
    await first.collection<Grant>('grants').put({ _id: 'a', state: 'pending' });
    await first.close();
    const leftover = `${logPath('grants')}.compacting`;
    writeFileSync(leftover, '{"put":{"_id":"half","state":"x"}}\n');

    expect(ids(await (await open()).collection<Grant>('grants').find({}))).toEqual(['a']);
    expect(existsSync(leftover)).toBe(false);
  });
});

describe('compaction', () => {
  it('when the log is over 1000 lines and over twice the live documents, then reopening rewrites it to exactly the live ones', async () => {
    const first = await open();
    const grants = first.collection<Grant>('grants');
    for (let i = 0; i < 600; i++) await grants.put({ _id: `g${i}`, state: 'pending' });
    for (let i = 0; i < 550; i++) await grants.delete(`g${i}`);
    await grants.put({ _id: 'g599', state: 'replaced' });
    await grants.put({ _id: 'short-lived', state: 'pending', exp: now + 1000 });
    await first.close();
    now += 1000;

    const live = await (await open()).collection<Grant>('grants').find({}, { limit: 1000 });
    expect(live).toHaveLength(50);
    expect(live.find((g) => g._id === 'g599')?.state).toBe('replaced');
    const lines = logLines('grants').map((line) => JSON.parse(line) as { put: Grant });
    expect(lines.map((line) => line.put).sort((a, b) => (a._id < b._id ? -1 : 1))).toEqual(live);
  });

  it('when the log is small, then it is left as written', async () => {
    const first = await open();
    const grants = first.collection<Grant>('grants');
    for (let i = 0; i < 400; i++) await grants.put({ _id: `g${i}`, state: 'pending' });
    for (let i = 0; i < 399; i++) await grants.delete(`g${i}`);
    await first.close();
    await open();
    expect(logLines('grants')).toHaveLength(799);
  });
});

describe('collection names', () => {
  it('when a name could leave the documents folder or is not lower-case, then collection throws and no file is made', async () => {
    const docs = await open();
    for (const bad of ['../grants', 'Grants', 'a/b', 'a.b', '']) expect(() => docs.collection(bad), bad).toThrow(/collection name/);
    expect(readdirSync(join(dataDir, 'documents'))).toEqual([]);
    expect(readdirSync(dataDir)).toEqual(['documents']);
  });
});

const ids = (docs: readonly StoredDocument[]): string[] => docs.map((d) => d._id);
