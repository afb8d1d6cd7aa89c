/**
 * Bulk export jobs as documents (collection `bulk-export-jobs`), so that every instance sees every job
 * and a restarted server finds the jobs it was running. A job is claimed with a lease (an atomic
 * update that only succeeds on a queued job or one whose lease expired), renewed as it runs; a job
 * whose runner died is claimed again after the lease runs out and restarted from the beginning (its
 * partial files are removed first), so a half file is never reported as complete.
 */
import type { DocumentCollection, DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { FilterDocument } from '../../store/port.js';
import type { ExportSpec } from './export-request.js';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExportOutput {
  type: string;
  file: string;
  count: number;
  bytes: number;
}

export interface ExportJob extends StoredDocument {
  /** The OAuth client that asked: only its tokens may poll, cancel and download. */
  client: string;
  principal: string;
  /** The kick-off URL, echoed in the manifest's `request`. */
  request: string;
  level: 'patient' | 'group';
  groupId?: string;
  /** Which export this is (e.g. `bulk`, `provider-access`): selects the hooks that shape it. */
  kind: string;
  /** ExportSpec as JSON (filter documents hold `$` operators, which a document store must not see as fields). */
  spec: string;
  /** Per exportable type the caller's access filter at kick-off (JSON; null = unrestricted). */
  access: string;
  status: JobStatus;
  createdAt: number;
  /** When the export's data is as of (manifest `transactionTime`): the kick-off time. */
  transactionTime: string;
  lease?: { owner: string; until: number };
  attempts: number;
  progress?: string;
  output: ExportOutput[];
  /** Why the job failed (never PHI). */
  failure?: string;
  finishedAt?: number;
}

export const JOBS_COLLECTION = 'bulk-export-jobs';

export function jobCollection(docs: DocumentStore): DocumentCollection<ExportJob> {
  return docs.collection<ExportJob>(JOBS_COLLECTION);
}

export function jobSpec(job: ExportJob): ExportSpec {
  return JSON.parse(job.spec) as ExportSpec;
}

export function jobAccess(job: ExportJob): Record<string, FilterDocument | null> {
  return JSON.parse(job.access) as Record<string, FilterDocument | null>;
}

/** Jobs a runner may take: queued, or running under a lease that ran out (its runner died). */
export function claimableFilter(now: number): FilterDocument {
  return { $or: [{ status: 'queued' }, { status: 'running', 'lease.until': { $lt: now } }] };
}
