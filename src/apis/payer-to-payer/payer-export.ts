/**
 * Bulk export of a matched-members Group to the payer that matched them (PDex payer-to-payer):
 * `Group/{id}/$davinci-data-export` with exportType `hl7.fhir.us.davinci-pdex#payertopayer`, or plain
 * `Group/{id}/$export`, by the payer client whose `$bulk-member-match` made the Group (anyone else: 404).
 *
 * The job's grant releases the payer-data.ts types with their policy-independent filters (five years,
 * no drug or denied prior authorizations). Per batch, only members whose payer link is still in force
 * are exported (a Consent that ended since the match stops the export for that member); each line is
 * shaped as for per-member reads (claims without amounts), and a record with a sensitive security
 * label is left out for a member whose Consent is `#regular`. One AuditEvent per batch records the
 * disclosure; a finished file withholds, at download, members whose link is no longer in force.
 */
import type { Group } from '@medplum/fhirtypes';
import type { ExportHooks } from '../../fhir/bulk/export-runner.js';
import type { ExportJob } from '../../fhir/bulk/export-jobs.js';
import { withoutExportType } from '../../fhir/bulk/export-request.js';
import { exportDisclosureEvent } from '../../fhir/bulk/export-audit.js';
import { badRequest, methodNotAllowed, notFound } from '../../fhir/outcome.js';
import type { ExportGrant, FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import type { FilterDocument, ResourceStore, StoredRecord } from '../../store/port.js';
import type { ClientRecord } from '../../auth/records.js';
import type { ExchangePolicy } from './exchange-consent.js';
import { payerRequester } from './payer-caller.js';
import { SENSITIVE_LABELS, type PayerData } from './payer-data.js';
import { exportLineWithoutFinancials } from '../../domain/provider-access-data.js';
import type { PayerLinks } from './payer-links.js';
import type { PayerGroup } from './bulk-member-match.js';
import type { DocumentCollection } from '../../store/document-port.js';

export const PAYER_TO_PAYER_KIND = 'payer-to-payer';
export const PAYER_EXPORT_TYPE = 'hl7.fhir.us.davinci-pdex#payertopayer';

export interface PayerExportDeps {
  store: ResourceStore;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  data: PayerData;
  links: PayerLinks;
  groups: DocumentCollection<PayerGroup>;
  clock: () => Date;
  /** Writes with the system's access (AuditEvents). */
  system(req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>): Promise<FhirResponse>;
  /** The issuer, naming clients in AuditEvents. */
  issuer: string;
}

const dayOf = (d: Date | number): string => new Date(d).toISOString().slice(0, 10);
const SENSITIVE = new Set(SENSITIVE_LABELS);
const BATCH = 200;

/** Does a stored record carry a sensitive security label (its indexed `_security` tokens)? */
function labelledSensitive(record: StoredRecord): boolean {
  return (record.sp._security ?? []).some((v) => typeof v === 'object' && v !== null && 'c' in v && SENSITIVE.has(`${(v as { s?: string }).s ?? ''}|${(v as { c: string }).c}`));
}

export function payerExport(deps: PayerExportDeps) {
  /** Per job, the policy of each member exported so far (the transform needs it per record). */
  const policies = new Map<string, Map<string, ExchangePolicy>>();

  function grantAccess(now: Date): Record<string, FilterDocument | null> {
    const access: Record<string, FilterDocument | null> = {};
    // The policy-independent rules ('sensitive' adds no label filter); labels are checked per member below.
    for (const type of deps.data.member) access[type] = deps.data.filter(type, 'sensitive', now) ?? null;
    return access;
  }

  async function kickoff(ctx: FhirContext, req: FhirRequest, id: string, path: string): Promise<FhirResponse | undefined> {
    const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
    if (!payerRequester(client) || !client) return undefined;
    if (!ctx.bulk) throw notFound('Bulk export is not enabled on this server');
    const group = await deps.groups.get(id);
    if (!group || group.client !== client._id) throw notFound(`Group/${id} is not a matched-members Group of yours`);
    const grant: ExportGrant = { kind: PAYER_TO_PAYER_KIND, access: grantAccess(deps.clock()), path: `Group/${id}/${path}` };
    return ctx.bulk.kickoff(ctx, { level: 'group', id }, req, grant);
  }

  const operations: OperationHandler[] = [
    { type: 'Group', name: 'export', level: 'instance', handle: (ctx, req, id) => kickoff(ctx, req, id as string, '$export') },
    {
      type: 'Group',
      name: 'davinci-data-export',
      level: 'instance',
      async handle(ctx, req, id) {
        const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
        if (!payerRequester(client)) return undefined;
        if (req.method !== 'POST' && req.method !== 'GET') throw methodNotAllowed('$davinci-data-export is called with POST', 'POST');
        const { exportType, rest } = withoutExportType(req);
        if (exportType !== PAYER_EXPORT_TYPE) throw badRequest(`exportType must be ${PAYER_EXPORT_TYPE} for another payer`, ['exportType']);
        return kickoff(ctx, rest, id as string, '$davinci-data-export');
      },
    },
  ];

  async function membersOf(groupId: string): Promise<string[]> {
    const record = await deps.store.current('Group', groupId);
    if (!record || record.del) return [];
    return ((record.res as Group).member ?? []).filter((m) => !m.inactive).flatMap((m) => {
      const ref = m.entity.reference;
      return ref?.startsWith('Patient/') ? [ref.slice('Patient/'.length)] : [];
    });
  }

  const hooks: ExportHooks = {
    async *groupMembers(groupId) {
      const members = await membersOf(groupId);
      for (let i = 0; i < members.length; i += BATCH) yield members.slice(i, i + BATCH);
    },
    async eligible(job, patients) {
      const day = dayOf(deps.clock());
      let mine = policies.get(job._id);
      if (!mine) policies.set(job._id, (mine = new Map()));
      const out = new Set<string>();
      for (const p of patients) {
        const link = await deps.links.inForce(job.client, p, day);
        if (!link) continue;
        mine.set(p, link.policy);
        out.add(p);
      }
      return out;
    },
    transform(job, record, json) {
      const mine = policies.get(job._id);
      // Only a resource with meta.security can carry a label: the index is looked at only then.
      if (json.includes('"security"') && labelledSensitive(record)) {
        const owners = record.cmp.filter((c) => c.startsWith('Patient/')).map((c) => c.slice('Patient/'.length));
        // A sensitive record goes only when every member it belongs to in this job allowed sensitive data.
        if (owners.some((p) => mine?.get(p) !== 'sensitive')) return undefined;
      }
      return exportLineWithoutFinancials(record.type, json);
    },
    async written(job, patients) {
      const event = exportDisclosureEvent(job, patients, { name: 'Payer-to-Payer', purpose: { code: 'COC', display: 'coordination of care' }, issuer: deps.issuer, recorded: deps.clock() });
      await deps.system({ method: 'POST', path: ['AuditEvent'], body: event });
    },
  };

  /** Members of a finished payer export whose link is no longer in force: withheld at download. */
  async function withheld(job: ExportJob): Promise<string[]> {
    if (job.kind !== PAYER_TO_PAYER_KIND || !job.groupId) return [];
    const day = dayOf(deps.clock());
    const out: string[] = [];
    for (const p of await membersOf(job.groupId)) if (!(await deps.links.inForce(job.client, p, day))) out.push(p);
    return out;
  }

  return { operations, hooks, withheld };
}
