/**
 * Bulk Data Access 2.0 export, the request side: kick-off (`Patient/$export`, `Group/[id]/$export`),
 * status polling with the manifest, cancellation, and the files. The jobs run in export-runner.ts.
 *
 * Status and files live under the FHIR base at `bulk-status/[job]` and `bulk-files/[job]/[file]`;
 * only a token of the client that started the job reaches them (export.html: "the same client"),
 * anyone else gets 404, as for a job that does not exist.
 */
import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { BulkFiles } from '../../store/bulk-file-port.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { FilterDocument, ResourceStore } from '../../store/port.js';
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
  /** Patients of a finished job whose data must no longer be handed out (e.g. opted out since). */
  withheld?(job: ExportJob): Promise<string[]>;
  /** Where the withheld patients' compartments are looked up (their records' `Type/id`). */
  store: Pick<ResourceStore, 'find'>;
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

  /** `Type/id` of the `type` records now in these patients' compartments. */
  async function compartmentKeys(type: string, patients: readonly string[]): Promise<Set<string>> {
    const filter = { $and: [{ type }, { cmp: { $in: patients.map((id) => `Patient/${id}`) } }] };
    const { records } = await deps.store.find({ filter, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
    return new Set(records.map((r) => r._id));
  }

  const kickoff: BulkKickoff['kickoff'] = async (ctx, target, req, grant) => {
    assertRespondAsync(req.headers.prefer);
    if (!ctx.access.client) throw forbidden('A bulk export needs a token issued to a registered client');
    const exportable = grant ? new Set(Object.keys(grant.access)) : patientRecordTypes(ctx.registry);
    const now = ctx.clock();
    const spec = parseExportSpec(kickoffParams(req.method === 'POST' ? 'POST' : 'GET', req.query, req.body), {
      registry: ctx.registry,
      baseUrl: ctx.baseUrl,
      exportable,
      now: now.getTime(),
    });
    if (target.level === 'group' && !grant) {
      if (!ctx.access.allows('Group', 'read')) throw forbidden('Not allowed to read Group');
      const group = await ctx.store.current('Group', target.id);
      if (!group || group.del || !visibleTo(ctx, group, 'read')) throw notFound(`Group/${target.id} is not known`);
    }
    // The caller's access at kick-off (or what the API layer granted), per type: the job exports exactly
    // what these filters let through.
    let access: Record<string, FilterDocument | null> = {};
    if (grant) access = grant.access;
    else for (const type of exportable) if (ctx.access.allows(type, 'search')) access[type] = ctx.access.filterFor(type, 'search') ?? null;
    if (!('Patient' in access)) throw forbidden('Not allowed to search Patient');
    const unreachable = (spec.types ?? []).filter((t) => !(t in access));
    if (unreachable.length > 0) throw forbidden(`Not allowed to export ${unreachable.join(', ')}`);
    const path = grant?.path ?? (target.level === 'group' ? `Group/${target.id}/$export` : 'Patient/$export');
    const query = req.query.length > 0 ? `?${new URLSearchParams(req.query).toString()}` : '';
    const job: ExportJob = {
      _id: ctx.newId(),
      client: ctx.access.client,
      principal: ctx.access.principal,
      request: `${ctx.baseUrl}/${path}${query}`,
      level: target.level,
      ...(target.level === 'group' ? { groupId: target.id } : {}),
      kind: grant?.kind ?? deps.kindFor(ctx.access, target.level),
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

  const enqueue: BulkKickoff['enqueue'] = async (ctx, task) => {
    if (!ctx.access.client) throw forbidden('An asynchronous request needs a token issued to a registered client');
    if (!JOB_ID.test(task.id)) throw new Error('job ids must be URL-safe');
    const now = ctx.clock();
    const job: ExportJob = {
      _id: task.id,
      client: ctx.access.client,
      principal: ctx.access.principal,
      request: `${ctx.baseUrl}/${task.path}`,
      level: 'group',
      kind: task.kind,
      spec: '{}',
      access: '{}',
      status: 'queued',
      createdAt: now.getTime(),
      transactionTime: now.toISOString(),
      attempts: 0,
      output: [],
    };
    await jobs.insert(job);
    deps.runner.kick();
    return { status: 202, headers: { 'Content-Location': `${ctx.baseUrl}/bulk-status/${job._id}` }, body: outcome([{ severity: 'information', code: 'informational', diagnostics: 'Accepted; poll the Content-Location URL' }]) };
  };

  return {
    kickoff,
    enqueue,

    /** GET bulk-status/[job]: 202 while running, 200 with the manifest, 500 when it failed. */
    async status(jobId: string, access: Access, baseUrl: string): Promise<FhirResponse & { manifest?: unknown }> {
      const job = await ownJob(jobId, access);
      if (job.status === 'queued' || job.status === 'running') {
        return { status: 202, headers: { 'X-Progress': job.progress ?? job.status, 'Retry-After': String(deps.retryAfterSeconds) } };
      }
      if (job.status === 'failed') {
        return { status: 500, headers: {}, body: outcome([{ severity: 'error', code: 'exception', diagnostics: job.failure ?? 'The export failed' }]) };
      }
      // A file that will drop withheld members' lines on download has no exact count to promise: the
      // manifest leaves `count` out for it (the field is optional in Bulk Data 2.0).
      const withheld = (await deps.withheld?.(job)) ?? [];
      const uncounted = new Set<string>();
      if (withheld.length > 0) {
        for (const o of job.output) if ((await compartmentKeys(o.type, withheld)).size > 0) uncounted.add(o.file);
      }
      const manifest = {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: job.output.map((o) => ({ type: o.type, url: `${baseUrl}/bulk-files/${job._id}/${o.file}`, ...(uncounted.has(o.file) ? {} : { count: o.count }) })),
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

    /**
     * GET bulk-files/[job]/[file]: the NDJSON of a completed job, for its client only. When the export
     * kind names members whose data may no longer leave (e.g. they opted out after the file was
     * written), their lines are dropped on the way out and the size is unknown (chunked).
     */
    async file(jobId: string, name: string, access: Access): Promise<{ size?: number; stream: Readable; job: ExportJob; withheld: string[] }> {
      const job = await ownJob(jobId, access);
      if (job.status !== 'completed' || !job.output.some((o) => o.file === name)) throw notFound('No such file');
      const file = await deps.files.open(job._id, name);
      if (!file) throw notFound('No such file (it may have expired)');
      const withheld = (await deps.withheld?.(job)) ?? [];
      if (withheld.length === 0) return { ...file, job, withheld };
      const type = job.output.find((o) => o.file === name)?.type as string;
      return { stream: file.stream.pipe(withoutPatients(withheld, await compartmentKeys(type, withheld))), job, withheld };
    },
  };
}

export type BulkExport = ReturnType<typeof bulkExport>;

/**
 * Drops NDJSON lines that belong to any of these patients: every record of their patient compartment
 * (`Type/id` in `records`, as the store has it now: their Patient, what names them, and what is in
 * their compartment through other resources, such as a Provenance targeting their Observation), and
 * any line that references them (`"Patient/<id>"` anywhere in it). Conservative on purpose: a
 * resource shared with another member is withheld too.
 */
export function withoutPatients(patients: readonly string[], records: ReadonlySet<string> = new Set()): Transform {
  const refs = patients.map((id) => `"Patient/${id}"`);
  const ids = new Set(patients);
  const keyOf = (line: string): string | undefined => {
    try {
      const r = JSON.parse(line) as { resourceType?: unknown; id?: unknown };
      return typeof r.resourceType === 'string' && typeof r.id === 'string' ? `${r.resourceType}/${r.id}` : undefined;
    } catch {
      return undefined;
    }
  };
  const keep = (line: string): boolean => {
    if (refs.some((r) => line.includes(r))) return false;
    const key = keyOf(line);
    if (key === undefined) return true;
    if (records.has(key)) return false;
    return !(key.startsWith('Patient/') && ids.has(key.slice('Patient/'.length)));
  };
  let rest = '';
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      const out = lines.filter((l) => l.length > 0 && keep(l)).map((l) => `${l}\n`).join('');
      done(null, out.length > 0 ? out : undefined);
    },
    flush(done) {
      rest += decoder.end();
      done(null, rest.length > 0 && keep(rest) ? `${rest}\n` : undefined);
    },
  });
}

/** A job id from a path segment, refused early when it cannot be one. */
export function assertJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw badRequest('Not an export job id');
}
