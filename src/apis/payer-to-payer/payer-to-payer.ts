/**
 * The Payer-to-Payer API (CMS-0057-F 42 CFR 431.61(b); Da Vinci HRex `$member-match`, PDex
 * payer-to-payer), the answering side: another payer's backend client matches a member with the
 * member's Consent, then reads that member's releasable data. Assembled here: the member finder (match
 * rules from MEMBER_MATCH_RULES, every decision recorded), the payer links, the per-request Access of
 * payer clients, the operations, and what the CapabilityStatement declares.
 */
import type { Express } from 'express';
import type { ApiParts } from '../../app.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { ClientRecord } from '../../auth/records.js';
import type { SearchRegistry } from '../../fhir/search/registry.js';
import { DEFAULT_MATCH_CONFIG, type MatchConfig } from '../../domain/member-matching.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import { memberFinder } from './member-finder.js';
import { memberMatchOperation } from './member-match-operation.js';
import { BULK_MATCH_KIND, bulkMatchTask, bulkMemberMatchOperation, payerGroups } from './bulk-member-match.js';
import { payerExport } from './payer-export.js';
import { memberChoices } from './member-choice.js';
import { outbound } from './outbound.js';
import { payerScheduler } from './scheduler.js';
import type { PayerEndpoint } from '../../config.js';
import { issuerFor } from '../../auth/auth-deps.js';
import { dispatch } from '../../fhir/rest/dispatch.js';
import { fullAccess } from '../../fhir/access.js';
import type { FhirContext, FhirRequest, FhirResponse } from '../../fhir/rest/types.js';
import { payerCaller } from './payer-caller.js';
import { payerData } from './payer-data.js';
import { payerLinks } from './payer-links.js';

export interface PayerToPayerOptions {
  store: ResourceStore;
  docs: DocumentStore;
  registry: SearchRegistry;
  /** The FHIR engine (the API writes its matched Groups through it, with the system's access). */
  engine: Omit<FhirContext, 'access'>;
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  /** Our payer Organization. */
  payer: { reference: string; display?: string };
  matchConfig?: MatchConfig;
  /** Other payers we request data from (PAYER_ENDPOINTS). */
  endpoints?: readonly PayerEndpoint[];
  /** Unique per process: the owner of the requests it works on. */
  instanceId?: string;
  /** For providers' `$member-match`: a treatment relationship (Provider Access attribution) with the member. */
  providerTreats?: (patient: string, organization: string) => Promise<boolean>;
  clock: () => Date;
  newId: () => string;
}

export function payerToPayerApi(o: PayerToPayerOptions) {
  const config = o.matchConfig ?? DEFAULT_MATCH_CONFIG;
  const finder = memberFinder({ store: o.store, docs: o.docs, policy: o.policy, config, clock: o.clock, newId: o.newId });
  const links = payerLinks(o.docs);
  const data = payerData(o.registry, o.policy);
  const groups = payerGroups(o.docs);
  const groupsOf = async (client: string): Promise<string[]> => (await groups.find({ client }, { sort: [['_id', 1]], limit: 10_000 })).map((g) => g._id);
  const caller = payerCaller({ policy: o.policy, clients: o.clients, data, links, clock: o.clock, groupsOf });
  const system = (req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>): Promise<FhirResponse> =>
    dispatch({ ...o.engine, access: fullAccess('system:payer-to-payer') }, { query: [], headers: {}, ...req });
  const matchDeps = { finder, links, clients: o.clients, store: o.store, payer: o.payer, clock: o.clock, ...(o.providerTreats ? { providerTreats: o.providerTreats } : {}) };
  const exporting = payerExport({ store: o.store, clients: o.clients, data, links, groups, clock: o.clock, system, issuer: issuerFor(o.engine.baseUrl) });
  const bulkDeps = { ...matchDeps, docs: o.docs, system, newId: o.newId };
  const operations = [memberMatchOperation(matchDeps), bulkMemberMatchOperation(bulkDeps), ...exporting.operations];
  const task = bulkMatchTask(bulkDeps);
  const choices = memberChoices({ store: o.store, payer: o.payer, system, clock: o.clock });
  const requesting = outbound({ store: o.store, docs: o.docs, choices, endpoints: o.endpoints ?? [], payer: o.payer, system, clock: o.clock });
  const scheduler = payerScheduler({ store: o.store, outbound: requesting, choices, payer: o.payer, clock: o.clock, instanceId: o.instanceId ?? `instance-${o.newId()}` });
  return {
    finder,
    links,
    /** Our members' other payers and their Payer-to-Payer opt-ins (the requesting side). */
    choices,
    system,
    /** The requesting side: requests to other payers, and the scheduler that runs them. */
    outbound: requesting,
    scheduler,
    data,
    matchConfig: config,
    /** The Access of another payer's backend request, or undefined for any other caller. */
    payerCaller: caller,
    /** The export runner's hooks for PAYER_TO_PAYER_KIND jobs, and the members a finished one withholds. */
    hooks: exporting.hooks,
    withheld: exporting.withheld,
    /** The export runner's task for an asynchronous `$bulk-member-match`, by job kind. */
    tasks: (kind: string) => (kind === BULK_MATCH_KIND ? task : undefined),
    operations,
    capability: {
      Patient: [
        {
          name: 'member-match',
          definition: 'http://hl7.org/fhir/us/davinci-hrex/OperationDefinition/member-match',
          documentation:
            'Da Vinci HRex $member-match for other payers (role payer): one member by demographics and the coverage with us, with an hrex-consent Consent (required by the program); 422 when none, several, or the Consent cannot be complied with. Providers (role provider) get the member identifier only for a member attributed to their organization.',
        },
      ],
      Group: [
        {
          name: 'bulk-member-match',
          definition: 'http://hl7.org/fhir/us/davinci-pdex/OperationDefinition/BulkMemberMatch',
          documentation:
            'Da Vinci PDex $bulk-member-match for other payers (role payer): synchronous up to 1,000 MemberBundles (PDex 2.1 Parameters), or with Prefer: respond-async up to 10,000 (PDex 2.2: Bulk Data status and manifest with Group and Parameters NDJSON); each member with its Consent; MatchedMembers (stored, readable and exportable by the requester), NonMatchedMembers, ConsentConstrainedMembers.',
        },
      ],
    },
    parts(mount?: (app: Express) => void): ApiParts {
      return { operations, ...(mount ? { mount } : {}) };
    },
  };
}

export type PayerToPayerApi = ReturnType<typeof payerToPayerApi>;
