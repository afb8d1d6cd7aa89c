/**
 * The Provider Access API (CMS-0057-F, 42 CFR 431.61; Da Vinci PDex Provider Access; Bulk Data 2.0)
 * assembled from its parts, for the composition root:
 *  - the attribution store and its Groups (headers in the FHIR store, members rendered on read);
 *  - export kick-offs for provider backends (`Group/[id]/$export`, `Group/[id]/$davinci-data-export`)
 *    on their own organization's Groups, run by the shared export engine with this API's hooks
 *    (treatment relationship per batch, claims without remittances and cost-sharing, no drug PAs);
 *  - the per-request Access of provider backends (provider-caller.ts);
 *  - members' Provider Access choices (opt-out and back in) as PDex Consents.
 */
import type { Consent, Group, Provenance } from '@medplum/fhirtypes';
import type { Access } from '../../fhir/access.js';
import { fullAccess } from '../../fhir/access.js';
import type { ExportHooks } from '../../fhir/bulk/export-runner.js';
import type { ExportJob } from '../../fhir/bulk/export-jobs.js';
import { withoutExportType } from '../../fhir/bulk/export-request.js';
import { exportDisclosureEvent } from '../../fhir/bulk/export-audit.js';
import { badRequest, forbidden, methodNotAllowed, notFound } from '../../fhir/outcome.js';
import { dispatch } from '../../fhir/rest/dispatch.js';
import type { ExportGrant, FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import type { SearchRegistry } from '../../fhir/search/registry.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { FilterDocument, ResourceStore, StoredRecord } from '../../store/port.js';
import { careDateFloorFilter, type PolicyDeps } from '../../auth/access-policy.js';
import type { ClientRecord } from '../../auth/records.js';
import { issuerFor } from '../../auth/auth-deps.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { memberDisclosureConsent } from '../../domain/disclosure-consent.js';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import { rebuildAttribution, type BuildReport } from './attribution-builder.js';
import { groupWithMembers, matchGroupHeader, rosterGroupHeader, type PayerRef } from './attribution-groups.js';
import { attributionStore, type AttributionList, type AttributionMember } from './attribution-store.js';
import { choiceOf, optedOut, providerAccessConsents } from './member-status.js';
import { providerCaller } from './provider-caller.js';
import { providerData, providerDataFilter } from './provider-data.js';
import { exportLineWithoutFinancials } from '../../domain/provider-access-data.js';
import { requesterOf } from './provider-caller.js';
import { dayOf, isAttributedTo, withTreatmentRelationship } from './treatment.js';
import { claimsHistory, memberMatchOperation } from './member-match.js';
import type { Express } from 'express';

export const PROVIDER_ACCESS_KIND = 'provider-access';

/** PDex `exportType` values for Provider Access (provider-access-api pages, §pdex-297). */
export const EXPORT_TYPES = ['hl7.fhir.us.davinci-pdex#provider-delta', 'hl7.fhir.us.davinci-pdex#provider-download', 'hl7.fhir.us.davinci-pdex#provider-snapshot'] as const;

export interface ProviderAccessOptions {
  store: ResourceStore;
  docs: DocumentStore;
  registry: SearchRegistry;
  /** The FHIR engine's context without an Access: the API's own writes (Group headers, Consents, AuditEvents) go through it. */
  engine: Omit<FhirContext, 'access'>;
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  payer: PayerRef;
  claimsMonths: number;
  clock: () => Date;
  newId: () => string;
}

export function providerAccessApi(o: ProviderAccessOptions) {
  const attribution = attributionStore(o.docs);
  const data = providerData(o.registry.resourceTypes, o.policy.compileQuery);
  const system = (req: Omit<FhirRequest, 'headers' | 'query'> & Partial<Pick<FhirRequest, 'headers' | 'query'>>): Promise<FhirResponse> =>
    dispatch({ ...o.engine, access: fullAccess('system:provider-access') }, { query: [], headers: {}, ...req });
  const treatmentDeps = { store: o.store, attribution, payerOrganization: o.payer.reference };

  /** Writes a list's Group header (its size today) when it differs from the stored one. */
  async function publish(list: AttributionList): Promise<void> {
    const quantity = await attribution.countActive(list._id, dayOf(o.clock()));
    const header: Group = list.kind === 'roster' ? rosterGroupHeader(list, quantity, o.payer) : matchGroupHeader(list, quantity, o.payer);
    const stored = await o.store.current('Group', list._id);
    if (stored && !stored.del) {
      const old = stored.res as Group;
      if (old.quantity === quantity && old.name === header.name) return;
    }
    await system({ method: 'PUT', path: ['Group', list._id], body: header });
  }

  /** A current read of an attribution Group: the header with its members. */
  async function renderGroup(record: StoredRecord): Promise<string | undefined> {
    const list = await attribution.lists.get(record.id);
    if (!list) return undefined;
    const entries: AttributionMember[] = [];
    for await (const page of attribution.allMembers(list._id, 5_000)) entries.push(...page);
    return JSON.stringify(groupWithMembers(record.res as Group, list, entries, dayOf(o.clock())));
  }

  /** What a provider export may contain: the Provider Access types, from 2016-01-01, with their filters. */
  function exportAccess(): Record<string, FilterDocument | null> {
    const access: Record<string, FilterDocument | null> = {};
    for (const type of data.member) {
      const parts = [careDateFloorFilter(o.registry, type), providerDataFilter(data, type)].filter((f): f is FilterDocument => f !== undefined);
      access[type] = parts.length === 0 ? null : parts.length === 1 ? parts[0] : { $and: parts };
    }
    return access;
  }

  const clientOf = async (job: ExportJob) => requesterOf(await o.clients.get(job.client));

  const hooks: ExportHooks = {
    async *groupMembers(groupId, at) {
      for await (const page of attribution.activeMembers(groupId, dayOf(at), 200)) yield page.map((e) => e.patient);
    },
    async eligible(job, patients) {
      const who = await clientOf(job);
      if (!who) return new Set();
      return withTreatmentRelationship(treatmentDeps, who, patients, o.clock());
    },
    transform: (_job, record, json) => exportLineWithoutFinancials(record.type, json),
    /** One AuditEvent per batch: these members' data was exported for this provider client (purpose: treatment). */
    async written(job, patients) {
      const event = exportDisclosureEvent(job, patients, { name: 'Provider Access', purpose: { code: 'TREAT', display: 'treatment' }, issuer: issuerFor(o.engine.baseUrl), recorded: o.clock() });
      await system({ method: 'POST', path: ['AuditEvent'], body: event });
    },
  };

  /**
   * Members of a finished provider export whose data may no longer be handed out: those who opted out
   * since the job started (found through the Consents written since, so a download costs one query).
   */
  async function withheld(job: ExportJob): Promise<string[]> {
    if (job.kind !== PROVIDER_ACCESS_KIND) return [];
    const { records } = await o.store.find({ filter: { type: 'Consent', lu: { $gte: job.createdAt } }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
    const changed = [...new Set(records.map((r) => (r.res as Consent | undefined)?.patient?.reference?.replace(/^Patient\//, '')).filter((p): p is string => p !== undefined))];
    return [...(await optedOut(o.store, changed, dayOf(o.clock())))];
  }

  /** A provider client's export of one of its organization's Groups (403 for another's, 404 for an unknown one). */
  async function providerKickoff(ctx: FhirContext, req: FhirRequest, id: string, path: string): Promise<FhirResponse | undefined> {
    if (!ctx.bulk) throw notFound('Bulk export is not enabled on this server');
    const who = requesterOf(ctx.access.client ? await o.clients.get(ctx.access.client) : undefined);
    if (!who) return undefined;
    const list = await attribution.lists.get(id);
    if (!list) {
      const group = await o.store.current('Group', id);
      if (group && !group.del) throw forbidden('This Group is not an attribution list of your organization');
      throw notFound(`Group/${id} is not known`);
    }
    if (list.organization !== who.organization) throw forbidden('This Group is not an attribution list of your organization');
    const grant: ExportGrant = { kind: PROVIDER_ACCESS_KIND, access: exportAccess(), path: `Group/${id}/${path}` };
    return ctx.bulk.kickoff(ctx, { level: 'group', id }, req, grant);
  }

  const exportOperation: OperationHandler = {
    type: 'Group',
    name: 'export',
    level: 'instance',
    handle: (ctx, req, id) => providerKickoff(ctx, req, id as string, '$export'),
  };

  /** ATR `$davinci-data-export` with a PDex `exportType` (provider-delta needs `_since`). */
  const dataExportOperation: OperationHandler = {
    type: 'Group',
    name: 'davinci-data-export',
    level: 'instance',
    async handle(ctx, req, id) {
      if (req.method !== 'POST' && req.method !== 'GET') throw methodNotAllowed('$davinci-data-export is called with POST', 'POST');
      const { exportType, rest } = withoutExportType(req);
      if (exportType === undefined) throw badRequest(`exportType is required: one of ${EXPORT_TYPES.join(', ')}`, ['exportType']);
      if (!(EXPORT_TYPES as readonly string[]).includes(exportType)) throw badRequest(`exportType '${exportType}' is not a Provider Access export type (${EXPORT_TYPES.join(', ')})`, ['exportType']);
      const hasSince = rest.query.some(([k]) => k === '_since') || ((rest.body as { parameter?: Array<{ name?: string }> } | undefined)?.parameter ?? []).some((p) => p.name === '_since');
      if (exportType.endsWith('#provider-delta') && !hasSince) throw badRequest('exportType provider-delta needs _since', ['_since']);
      const out = await providerKickoff(ctx, rest, id as string, '$davinci-data-export');
      if (out) return out;
      // Payer staff may run it too (everything the group's members have, like $export).
      if (!ctx.bulk) throw notFound('Bulk export is not enabled on this server');
      return ctx.bulk.kickoff(ctx, { level: 'group', id: id as string }, rest);
    },
  };

  /** Writes a member's Provider Access choice as a PDex pdex-provider-consent Consent. */
  async function setChoice(patient: string, choice: 'in' | 'out', by: { reference?: string; display?: string }): Promise<Consent> {
    const now = o.clock();
    const day = dayOf(now);
    const consent: Consent = {
      // The performer is the member (PDex allows only the member), whoever keyed the choice in.
      ...memberDisclosureConsent(DAVINCI_PROFILE.pdexProviderConsent, patient, now),
      organization: [o.payer],
      policyRule: { coding: [{ system: CODE_SYSTEM.consentPolicy, code: 'cric', display: 'Common Rule Informed Consent' }] },
      provision: {
        type: choice === 'out' ? 'deny' : 'permit',
        period: { start: day },
        actor: [{ role: { coding: [{ system: CODE_SYSTEM.provenanceParticipantType, code: 'performer', display: 'Performer' }] }, reference: o.payer }],
        action: [{ coding: [{ system: CODE_SYSTEM.consentAction, code: 'disclose', display: 'Disclose' }] }],
      },
    };
    const out = await system({ method: 'POST', path: ['Consent'], body: consent });
    const written = (out.body as Consent | undefined) ?? consent;
    // Recorded by someone else (payer staff on the member's behalf): a Provenance says who entered it.
    if (by.reference !== `Patient/${patient}` && written.id) {
      const provenance: Provenance = {
        resourceType: 'Provenance',
        target: [{ reference: `Consent/${written.id}` }],
        recorded: now.toISOString(),
        activity: { coding: [{ system: CODE_SYSTEM.dataOperation, code: 'CREATE', display: 'create' }] },
        agent: [
          {
            type: { coding: [{ system: CODE_SYSTEM.provenanceParticipantType, code: 'enterer', display: 'Enterer' }] },
            who: { ...(by.reference ? { reference: by.reference } : {}), display: by.display ?? 'payer staff' },
            onBehalfOf: { reference: `Patient/${patient}` },
          },
        ],
      };
      await system({ method: 'POST', path: ['Provenance'], body: provenance });
    }
    return written;
  }

  async function choice(patient: string): Promise<'in' | 'out'> {
    const consents = (await providerAccessConsents(o.store, [patient])).get(patient) ?? [];
    return choiceOf(consents, dayOf(o.clock()));
  }

  const matchOperation = memberMatchOperation({ ...treatmentDeps, policy: o.policy, clients: o.clients, payer: o.payer, claimsMonths: o.claimsMonths, clock: o.clock, newId: o.newId, publish });
  const api = {
    /** Our payer Organization: only its coverage makes a member enrolled. */
    payerOrganization: o.payer.reference,
    /** What the CapabilityStatement declares for this API. */
    capability: {
      Group: [
        {
          name: 'davinci-data-export',
          definition: 'http://hl7.org/fhir/us/davinci-atr/OperationDefinition/davinci-data-export',
          documentation: `Da Vinci PDex Provider Access export of an attribution or matched Group; exportType ${EXPORT_TYPES.join(' | ')} (provider-delta needs _since).`,
        },
        {
          name: 'provider-member-match',
          definition: 'http://hl7.org/fhir/us/davinci-pdex/OperationDefinition/ProviderMemberMatch',
          documentation: 'PDex 2.2 Provider Access v2: MemberBundle parameters in; MatchedMembers, NonMatchedMembers and ConsentConstrainedMembers Groups out (synchronous, up to 1,000 members).',
        },
      ],
    },
    store: o.store,
    hasClaimsFrom: (patient: string, organization: string) => claimsHistory(o, patient, organization),
    attribution,
    hooks,
    withheld,
    operations: [exportOperation, dataExportOperation, matchOperation] as OperationHandler[],
    renderers: { Group: renderGroup },
    providerCaller: providerCaller({ ...treatmentDeps, policy: o.policy, clients: o.clients, data, clock: o.clock }),
    publish,
    setChoice,
    choice,
    system,
    /** Rebuilds the rosters from PCC/PCP assignment and claims. */
    rebuild: (by = 'system'): Promise<BuildReport> => rebuildAttribution({ store: o.store, attribution, publish, payerOrganization: o.payer.reference }, { now: o.clock(), claimsMonths: o.claimsMonths, by }),
    isAttributed: (patient: string, who: { organization: string; locations?: readonly string[] }) => isAttributedTo(treatmentDeps, patient, who, o.clock()),
    /** The caller's access is a provider backend's? */
    isProvider: async (access: Access) => requesterOf(access.client ? await o.clients.get(access.client) : undefined) !== undefined,
  };
  return {
    ...api,
    /** What the app mounts: the operations, Group rendering, and the API's own routes. */
    parts: (routes?: (app: Express) => void) => ({ operations: api.operations, renderers: api.renderers, ...(routes ? { mount: routes } : {}) }),
  };
}

export type ProviderAccessApi = ReturnType<typeof providerAccessApi>;

/** The match Group header: PDex pdex-provider-member-match (members rendered on read). */
