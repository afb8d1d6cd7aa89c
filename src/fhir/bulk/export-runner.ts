/**
 * Runs bulk export jobs in the background: one job at a time per instance, members in batches, one
 * NDJSON file per resource type, streamed to the BulkFiles port (never a whole file in memory).
 *
 * Between batches the runner yields to the event loop (the API keeps answering), renews its lease,
 * and re-reads the job: a cancelled job stops and its files are removed. Each batch's members are
 * checked again by the `eligible` hook right before their data is read, so an opt-out takes effect for
 * everything not yet written. A job claimed again after its runner died starts over from nothing.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BulkFiles, BulkFileWriter } from '../../store/bulk-file-port.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { FilterDocument, ResourceStore, StoredRecord } from '../../store/port.js';
import { recordJson } from '../search/bundle.js';
import { claimableFilter, jobAccess, jobCollection, jobSpec, type ExportJob, type ExportOutput } from './export-jobs.js';

/** What an export kind plugs in (the API layer decides who is in a group, who opted out, what is stripped). */
export interface ExportHooks {
  /** The group's member patient ids, in batches, as of `at` (epoch ms). */
  groupMembers(groupId: string, at: number): AsyncIterable<string[]>;
  /** Of these patients, those whose data may still be exported now (e.g. not opted out). */
  eligible?(job: ExportJob, patientIds: string[]): Promise<Set<string>>;
  /** The NDJSON line of a resource, possibly reduced (e.g. without cost-sharing), or undefined to leave it out. */
  transform?(job: ExportJob, record: StoredRecord, json: string): string | undefined;
  /** Called after a batch of members' data was written to the job's files (e.g. to record the disclosure). */
  written?(job: ExportJob, patientIds: string[]): Promise<void>;
}

/**
 * A job that is not a resource export but produces NDJSON files the same way (e.g. an asynchronous
 * `$bulk-member-match`): the runner claims it, renews its lease, and publishes its files in the manifest
 * only when `run` has finished; a crash leaves it to be taken up again from the start, like an export.
 */
export interface JobTask {
  run(job: ExportJob, io: TaskIO): Promise<void>;
}

export interface TaskIO {
  /** Appends NDJSON lines to the job's file of this type (created on first use; one line per call item). */
  write(type: string, lines: Iterable<string>): Promise<void>;
  /** Renews the lease and records progress; throws when the job was cancelled meanwhile. */
  progress(text: string): Promise<void>;
}

export interface RunnerDeps {
  store: ResourceStore;
  docs: DocumentStore;
  files: BulkFiles;
  clock: () => Date;
  /** Unique per process: the lease owner. */
  instanceId: string;
  hooks: (kind: string) => ExportHooks;
  /** Jobs of a kind that a task runs instead of an export (undefined: an export). */
  tasks?: (kind: string) => JobTask | undefined;
  /** How long a finished job and its files are kept (ms). */
  retentionMs: number;
  /** How long a lease lasts without renewal (ms). */
  leaseMs?: number;
  /** Members per batch. */
  batchSize?: number;
  onError?: (err: unknown, jobId: string) => void;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_BATCH = 200;
/** Bytes buffered per file before a write to the port. */
const CHUNK_BYTES = 256 * 1024;

class Cancelled extends Error {}
/** The server is shutting down: the job keeps its state and lease, and is taken up again after the lease. */
class Stopping extends Error {}

/** All patients the access filter lets through, in batches (Patient/$export). */
async function* allPatients(store: ResourceStore, access: FilterDocument | null | undefined, batch: number): AsyncIterable<string[]> {
  let after: string | undefined;
  for (;;) {
    const parts: FilterDocument[] = [{ type: 'Patient' }];
    if (access) parts.push(access);
    if (after !== undefined) parts.push({ _id: { $gt: after } });
    const { records } = await store.find({ filter: { $and: parts }, sort: [['_id', 1]], limit: batch });
    if (records.length === 0) return;
    yield records.map((r) => r.id);
    after = records[records.length - 1]._id;
  }
}

interface OpenFile {
  writer: BulkFileWriter;
  buffer: string;
  count: number;
}

export function exportRunner(deps: RunnerDeps) {
  const jobs = jobCollection(deps.docs);
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = deps.batchSize ?? DEFAULT_BATCH;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let again = false;

  /** A job this runner holds: still running under our lease (not cancelled, not taken over). */
  const ours = { status: 'running', 'lease.owner': deps.instanceId };

  async function renew(job: ExportJob, progress: string): Promise<ExportJob> {
    const now = deps.clock().getTime();
    const updated = await jobs.update(job._id, ours, { lease: { owner: deps.instanceId, until: now + leaseMs }, progress });
    // Cancelled (or taken over after our lease ran out): stop writing.
    if (!updated) throw new Cancelled();
    return updated;
  }

  /** Closes the files, lists them in the job and completes it (under our lease); empty files are dropped. */
  async function complete(job: ExportJob, files: Map<string, OpenFile>, progress: string): Promise<void> {
    const output: ExportOutput[] = [];
    for (const [type, file] of files) {
      if (file.buffer) await file.writer.write(file.buffer);
      if (file.count === 0) {
        await file.writer.abort();
        continue;
      }
      const bytes = await file.writer.close();
      output.push({ type, file: `${type}.ndjson`, count: file.count, bytes });
    }
    files.clear();
    const now = deps.clock().getTime();
    const finished = await jobs.update(job._id, ours, { status: 'completed', output, finishedAt: now, progress, exp: now + deps.retentionMs });
    if (!finished) throw new Cancelled();
  }

  /** After an error: the files go; a cancelled or stopping job is left as it is, anything else fails. */
  async function abandon(job: ExportJob, files: Map<string, OpenFile>, err: unknown, failure: string): Promise<void> {
    for (const file of files.values()) await file.writer.abort().catch(() => undefined);
    if (err instanceof Cancelled) {
      await deps.files.removeJob(job._id);
      return;
    }
    if (err instanceof Stopping) return;
    deps.onError?.(err, job._id);
    await deps.files.removeJob(job._id);
    const now = deps.clock().getTime();
    await jobs.update(job._id, ours, { status: 'failed', failure, finishedAt: now, exp: now + deps.retentionMs });
  }

  async function runTask(job: ExportJob, task: JobTask): Promise<void> {
    await deps.files.removeJob(job._id); // a restarted job starts from nothing
    const files = new Map<string, OpenFile>();
    let current = job;
    try {
      await task.run(job, {
        async write(type, lines) {
          let file = files.get(type);
          if (!file) files.set(type, (file = { writer: await deps.files.create(job._id, `${type}.ndjson`), buffer: '', count: 0 }));
          for (const line of lines) {
            file.buffer += `${line}\n`;
            file.count++;
            if (file.buffer.length >= CHUNK_BYTES) {
              await file.writer.write(file.buffer);
              file.buffer = '';
            }
          }
        },
        async progress(text) {
          await yieldToEventLoop();
          if (stopped) throw new Stopping();
          current = await renew(current, text);
        },
      });
      await complete(current, files, current.progress ?? 'done');
    } catch (err) {
      await abandon(current, files, err, 'The job failed on the server; start it again');
    }
  }

  async function run(job: ExportJob): Promise<void> {
    const task = deps.tasks?.(job.kind);
    if (task) return runTask(job, task);
    const spec = jobSpec(job);
    const access = jobAccess(job);
    const hooks = deps.hooks(job.kind);
    const types = (spec.types ?? Object.keys(access)).filter((t) => t in access).sort();
    await deps.files.removeJob(job._id); // a restarted job starts from nothing
    const files = new Map<string, OpenFile>();
    const seenShared = new Set<string>();
    try {
      for (const type of types) files.set(type, { writer: await deps.files.create(job._id, `${type}.ndjson`), buffer: '', count: 0 });
      const asOf = Date.parse(job.transactionTime);
      const subset = spec.patients !== undefined ? new Set(spec.patients) : undefined;
      const members =
        job.level === 'group' && job.groupId !== undefined
          ? // POST `patient` narrows a group export to those of its members (others are never exported).
            subset !== undefined
            ? (async function* () {
                for await (const batch of hooks.groupMembers(job.groupId as string, asOf)) {
                  const kept = batch.filter((id) => subset.has(id));
                  if (kept.length > 0) yield kept;
                }
              })()
            : hooks.groupMembers(job.groupId, asOf)
          : subset !== undefined
            ? (async function* () {
                const ids = [...subset];
                for (let i = 0; i < ids.length; i += batchSize) yield ids.slice(i, i + batchSize);
              })()
            : allPatients(deps.store, access.Patient, batchSize);
      let done = 0;
      for await (const batch of members) {
        await yieldToEventLoop();
        if (stopped) throw new Stopping();
        job = await renew(job, `${done} members exported`);
        const ids = hooks.eligible ? [...(await hooks.eligible(job, batch))] : batch;
        if (ids.length > 0) {
          const cmp = { cmp: { $in: ids.map((id) => `Patient/${id}`) } };
          for (const type of types) {
            const parts: FilterDocument[] = [{ type }, cmp];
            const filter = access[type];
            if (filter) parts.push(filter);
            if (spec.since !== undefined) parts.push({ lu: { $gte: spec.since } });
            if (spec.until !== undefined) parts.push({ lu: { $lte: spec.until } });
            const typeFilters = spec.typeFilters[type];
            if (typeFilters && typeFilters.length > 0) parts.push(typeFilters.length === 1 ? typeFilters[0] : { $or: typeFilters });
            const { records } = await deps.store.find({ filter: { $and: parts }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
            const file = files.get(type) as OpenFile;
            for (const r of records) {
              // A record in several members' compartments (a shared Provenance) is written once.
              if (r.cmp.length > 1) {
                if (seenShared.has(r._id)) continue;
                seenShared.add(r._id);
              }
              const json = recordJson(r);
              if (json === undefined) continue;
              const line = hooks.transform ? hooks.transform(job, r, json) : json;
              if (line === undefined) continue;
              file.buffer += `${line}\n`;
              file.count++;
              if (file.buffer.length >= CHUNK_BYTES) {
                await file.writer.write(file.buffer);
                file.buffer = '';
              }
            }
          }
        }
        if (ids.length > 0 && hooks.written) await hooks.written(job, ids);
        done += batch.length;
      }
      await complete(job, files, `${done} members exported`);
    } catch (err) {
      await abandon(job, files, err, 'The export failed on the server; start it again');
    }
  }

  /** Claim and run jobs until none is left. */
  async function drain(): Promise<void> {
    while (!stopped) {
      const now = deps.clock().getTime();
      const [candidate] = await jobs.find(claimableFilter(now), { sort: [['createdAt', 1]], limit: 1 });
      if (!candidate) return;
      const claimed = await jobs.update(
        candidate._id,
        candidate.status === 'queued' ? { status: 'queued' } : { status: 'running', 'lease.until': { $lt: now } },
        { status: 'running', lease: { owner: deps.instanceId, until: now + leaseMs }, attempts: candidate.attempts + 1 },
      );
      if (claimed) await run(claimed);
    }
  }

  /** Removes the files of jobs that expired (the document store drops expired jobs by itself). */
  async function sweep(): Promise<void> {
    for (const jobId of await deps.files.jobs()) {
      if (!(await jobs.get(jobId))) await deps.files.removeJob(jobId);
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drain();
        } catch (err) {
          deps.onError?.(err, '');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  }

  return {
    /** Look for work now (after a kick-off), and every `pollMs` (jobs of other instances, expired leases). */
    start(pollMs = 5_000): void {
      stopped = false;
      timer = setInterval(() => {
        kick();
        void sweep().catch((err: unknown) => deps.onError?.(err, ''));
      }, pollMs);
      timer.unref();
      kick();
    },
    kick,
    /** Stop claiming; resolves when the current batch is done (a job in progress keeps its lease and is taken up again once it runs out). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
    /** For tests: resolves when no job is being run. */
    async idle(): Promise<void> {
      while (running) await running;
    },
    sweep,
  };
}

export type ExportRunner = ReturnType<typeof exportRunner>;
