/**
 * Bulk Data Access 2.0 export, the request side: kick-off (`Patient/$export`, `Group/[id]/$export`),
 * status polling with the manifest, cancellation, and the files. The jobs run in export-runner.ts.
 *
 * Status and files live under the FHIR base at `bulk-status/[job]` and `bulk-files/[job]/[file]`;
 * only a token of the client that started the job reaches them (export.html: "the same client"),
 * anyone else gets 404, as for a job that does not exist.
 */
import type { Readable } from 'node:stream';
import type { BulkFiles } from '../../store/bulk-file-port.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { FilterDocument } from '../../store/port.js';
import type { Access } from '../access.js';
import { badRequest, forbidden, notFound, outcome } from '../outcome.js';
import type { BulkKickoff, FhirResponse } from '../rest/types.js';
import { visibleTo } from '../rest/visibility.js';
import { patientRecordTypes } from '../rest/patient-record.js';
import { assertRespondAsync, kickoffParams, parseExportSpec } from './export-request.js';
import { jobCollection, type ExportJob } from './export-jobs.js';
import type { ExportRunner } from './export-runner.js';

export interface BulkExportDeps {
  docs: DocumentStore;
  files: BulkFiles;
  runner: Pick<ExportRunner, 'kick'>;
  /** Seconds a client should wait between polls. */
  retryAfterSeconds: number;
  clock: () => Date;
  /** The export kind a caller's kick-off creates (selects the runner's hooks). */
  kindFor(access: Access, level: ExportJob['level']): string;
}

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;

export function bulkExport(deps: BulkExportDeps) {
  const jobs = jobCollection(deps.docs);

  /** The caller's own live job, or 404. */
  async function ownJob(jobId: string, access: Access): Promise<ExportJob> {
    const job = JOB_ID.test(jobId) ? await jobs.get(jobId) : undefined;
    if (!job || job.status === 'cancelled' || job.client !== access.client) throw notFound('No such export job (it may have expired or been cancelled)');
    return job;
  }

  const kickoff: BulkKickoff['kickoff'] = async (ctx, target, req) => {
    assertRespondAsync(req.headers.prefer);
    if (!ctx.access.client) throw forbidden('A bulk export needs a token issued to a registered client');
    const exportable = patientRecordTypes(ctx.registry);
    const now = ctx.clock();
    const spec = parseExportSpec(kickoffParams(req.method === 'POST' ? 'POST' : 'GET', req.query, req.body), {
      registry: ctx.registry,
      baseUrl: ctx.baseUrl,
      exportable,
      now: now.getTime(),
    });
    if (target.level === 'group') {
      if (!ctx.access.allows('Group', 'read')) throw forbidden('Not allowed to read Group');
      const group = await ctx.store.current('Group', target.id);
      if (!group || group.del || !visibleTo(ctx, group, 'read')) throw notFound(`Group/${target.id} is not known`);
    }
    // The caller's access at kick-off, per type: the job exports exactly what these filters let through.
    const access: Record<string, FilterDocument | null> = {};
    for (const type of exportable) if (ctx.access.allows(type, 'search')) access[type] = ctx.access.filterFor(type, 'search') ?? null;
    if (!('Patient' in access)) throw forbidden('Not allowed to search Patient');
    const unreachable = (spec.types ?? []).filter((t) => !(t in access));
    if (unreachable.length > 0) throw forbidden(`Not allowed to export ${unreachable.join(', ')}`);
    const path = target.level === 'group' ? `Group/${target.id}/$export` : 'Patient/$export';
    const query = req.query.length > 0 ? `?${new URLSearchParams(req.query).toString()}` : '';
    const job: ExportJob = {
      _id: ctx.newId(),
      client: ctx.access.client,
      principal: ctx.access.principal,
      request: `${ctx.baseUrl}/${path}${query}`,
      level: target.level,
      ...(target.level === 'group' ? { groupId: target.id } : {}),
      kind: deps.kindFor(ctx.access, target.level),
      spec: JSON.stringify(spec),
      access: JSON.stringify(access),
      status: 'queued',
      createdAt: now.getTime(),
      transactionTime: now.toISOString(),
      attempts: 0,
      output: [],
    };
    if (!JOB_ID.test(job._id)) throw new Error('job ids must be URL-safe');
    await jobs.insert(job);
    deps.runner.kick();
    return { status: 202, headers: { 'Content-Location': `${ctx.baseUrl}/bulk-status/${job._id}` }, body: outcome([{ severity: 'information', code: 'informational', diagnostics: 'Export started; poll the Content-Location URL' }]) };
  };

  return {
    kickoff,

    /** GET bulk-status/[job]: 202 while running, 200 with the manifest, 500 when it failed. */
    async status(jobId: string, access: Access, baseUrl: string): Promise<FhirResponse & { manifest?: unknown }> {
      const job = await ownJob(jobId, access);
      if (job.status === 'queued' || job.status === 'running') {
        return { status: 202, headers: { 'X-Progress': job.progress ?? job.status, 'Retry-After': String(deps.retryAfterSeconds) } };
      }
      if (job.status === 'failed') {
        return { status: 500, headers: {}, body: outcome([{ severity: 'error', code: 'exception', diagnostics: job.failure ?? 'The export failed' }]) };
      }
      const manifest = {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: job.output.map((o) => ({ type: o.type, url: `${baseUrl}/bulk-files/${job._id}/${o.file}`, count: o.count })),
        error: [],
      };
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (job.exp !== undefined) headers.Expires = new Date(job.exp).toUTCString();
      return { status: 200, headers, manifest };
    },

    /** DELETE bulk-status/[job]: 202, then the job is gone (its files removed by the runner or here). */
    async cancel(jobId: string, access: Access): Promise<FhirResponse> {
      const job = await ownJob(jobId, access);
      const cancelled = await jobs.update(job._id, { status: job.status }, { status: 'cancelled', exp: deps.clock().getTime() + 60_000 });
      if (!cancelled) throw notFound('No such export job');
      // A running job notices at its next batch and removes its own files; a finished one's go now.
      if (job.status !== 'running') await deps.files.removeJob(job._id);
      return { status: 202, headers: {}, body: outcome([{ severity: 'information', code: 'informational', diagnostics: 'Export cancelled' }]) };
    },

    /** GET bulk-files/[job]/[file]: the NDJSON of a completed job, for its client only. */
    async file(jobId: string, name: string, access: Access): Promise<{ size: number; stream: Readable }> {
      const job = await ownJob(jobId, access);
      if (job.status !== 'completed' || !job.output.some((o) => o.file === name)) throw notFound('No such file');
      const file = await deps.files.open(job._id, name);
      if (!file) throw notFound('No such file (it may have expired)');
      return file;
    },
  };
}

export type BulkExport = ReturnType<typeof bulkExport>;

/** A job id from a path segment, refused early when it cannot be one. */
export function assertJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw badRequest('Not an export job id');
}
