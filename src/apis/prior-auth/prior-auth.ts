/**
 * The Prior Authorization API (CMS-0057-F 42 CFR 431.80; Da Vinci CRD, DTR and PAS), assembled: the rule
 * set staff maintain (versioned), and what the CapabilityStatement declares. The PDex views members read
 * are kept by pa-view-derivation.ts (wired into the engine in app.ts).
 */
import type { Express } from 'express';
import type { ApiParts } from '../../app.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import type { PaRuleSet } from '../../domain/pa-requirements.js';
import { paRulesStore } from './pa-rules-store.js';
import { FhirError } from '../../fhir/outcome.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import type { ClientRecord } from '../../auth/records.js';
import { crdAssertions, type CrdDeps } from './crd.js';
import { cdsRoutes } from './cds-routes.js';
import { memberFacts } from './member-facts.js';
import { questionnairePackageOperation } from './dtr.js';
import { pasOperations, type SystemDispatch } from './pas.js';
import { review } from './review.js';
import { pasSubscriptions } from './pas-subscriptions.js';
import { providerPaCaller } from './provider-pa-caller.js';
import type { Organization } from '@medplum/fhirtypes';
import { paDeadlines, type PaAlert } from './deadlines.js';
import { dispatch } from '../../fhir/rest/dispatch.js';
import { fullAccess } from '../../fhir/access.js';
import type { FhirContext } from '../../fhir/rest/types.js';

export interface PriorAuthOptions {
  store: ResourceStore;
  docs: DocumentStore;
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  /** Our payer Organization (`Organization/<id>`): the Coverage that counts is its. */
  payer: string;
  /** Our FHIR base URL. */
  baseUrl: string;
  /** The FHIR engine (requests and decisions are written through it, with the system's access). */
  engine: Omit<FhirContext, 'access'>;
  /** This process among the instances (the deadline scheduler's lease owner). */
  instanceId: string;
  /** PA_ALERT_HOURS: a pended request due within this many hours raises an alert. */
  alertHours: number;
  onAlert?: (alert: PaAlert) => void;
  /** DTR_LAUNCH_URL: a DTR SMART app CRD cards link to. */
  dtrLaunchUrl?: string;
  /** OUTBOUND_LOOPBACK: PAS Subscription endpoints and CRD fhirServers on loopback (tests, development). */
  outboundLoopback?: boolean;
  clock: () => Date;
  newId: () => string;
}

export function priorAuthApi(o: PriorAuthOptions) {
  const rules = paRulesStore(o.docs, o.clock);
  const crd: CrdDeps = {
    facts: memberFacts({ store: o.store, policy: o.policy, payer: o.payer }),
    rules: async () => (await rules.current())?.rules,
    assertions: crdAssertions(o.docs),
    baseUrl: o.baseUrl,
    publishedListUrl: `${o.baseUrl.replace(/\/fhir\/?$/, '')}/prior-auth/services.json`,
    ...(o.dtrLaunchUrl ? { dtrLaunchUrl: o.dtrLaunchUrl } : {}),
    clock: o.clock,
    newId: o.newId,
  };
  const system: SystemDispatch = (req) => dispatch({ ...o.engine, access: fullAccess('system:prior-auth') }, { query: [], headers: {}, ...req });
  const subscriptions = pasSubscriptions({
    store: o.store,
    docs: o.docs,
    clients: o.clients,
    system,
    baseUrl: o.baseUrl,
    allowLoopback: o.outboundLoopback ?? false,
    clock: o.clock,
    newId: o.newId,
    organizationIdentifiers: async (reference) => {
      const record = await o.store.current('Organization', reference.replace(/^Organization\//, ''));
      return record && !record.del ? ((record.res as Organization).identifier ?? []) : [];
    },
  });
  const pas = pasOperations({ store: o.store, policy: o.policy, facts: crd.facts, rules: crd.rules, clients: o.clients, system, payer: o.payer, clock: o.clock, newId: o.newId, onChange: subscriptions.onChange });
  const reviewing = review({ store: o.store, policy: o.policy, pas, clock: o.clock, newId: o.newId });
  const deadlines = paDeadlines({ store: o.store, docs: o.docs, policy: o.policy, clock: o.clock, instanceId: o.instanceId, alertHours: o.alertHours, ...(o.onAlert ? { onAlert: o.onAlert } : {}) });
  const operations = [...pas.operations, subscriptions.statusOperation, questionnairePackageOperation({ store: o.store, policy: o.policy, facts: crd.facts, rules: crd.rules, assertions: crd.assertions, clients: o.clients, clock: o.clock })];
  return {
    rules,
    crd,
    operations,
    pas,
    system,
    review: reviewing,
    deadlines,
    subscriptions,
    capability: {
      Claim: [
        {
          name: 'submit',
          definition: 'http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-submit',
          documentation: 'Da Vinci PAS: a PAS request Bundle in, a response Bundle with the ClaimResponse out: approved or denied at once when the rules can decide, else pended for review (72 hours expedited, 7 days standard). Updates (related replaces), cancellation (certificationType 3) and appeals of a denial (related prior). Drugs are refused. For provider backends and staff.',
        },
        {
          name: 'inquire',
          definition: 'http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-inquiry',
          documentation: 'Da Vinci PAS: the current ClaimResponse of a request, by its tracking number, PA number or the submitter\'s Claim identifier, with the member ID; only for the organization that submitted it, and staff.',
        },
      ],
      Subscription: [
        {
          name: 'status',
          definition: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status',
          documentation: 'Subscriptions R5 Backport $status of a PAS Subscription (the caller\'s own).',
        },
      ],
      Questionnaire: [
        {
          name: 'questionnaire-package',
          definition: 'http://hl7.org/fhir/us/davinci-dtr/OperationDefinition/questionnaire-package',
          documentation: 'Da Vinci DTR: the Questionnaires (and Libraries) documenting the ordered services under the member\'s plan, or those a CRD coverage-assertion-id or canonical names; one PackageBundle each. For provider systems and staff.',
        },
      ],
    },
    /** The CDS Hooks routes (discovery, hook calls from registered EHRs, feedback). */
    cdsRoutes: cdsRoutes({ crd, auth: { docs: o.docs, clients: o.clients, clock: o.clock }, docs: o.docs, baseUrl: o.baseUrl, validate: o.engine.validate, allowLoopback: o.outboundLoopback ?? false }),
    /** The caller-chain link for provider systems reading their own PA requests (provider-pa-caller.ts). */
    providerPaCaller: providerPaCaller({ clients: o.clients, policy: o.policy }),
    /** Saves the first version of the rules when there is none (at startup). */
    async ensureRules(initial: () => Promise<PaRuleSet>): Promise<boolean> {
      if (await rules.latest()) return false;
      const set = await initial();
      try {
        await rules.save(() => set, { by: 'system', comment: 'initial rules', expectVersion: 0 });
        return true;
      } catch (err) {
        // Another instance saved the first version meanwhile.
        if (err instanceof FhirError && err.status === 409) return false;
        throw err;
      }
    },
    parts(mount?: (app: Express) => void): ApiParts {
      return { operations, typeHandlers: [subscriptions.handler], ...(mount ? { mount } : {}) };
    },
  };
}

export type PriorAuthApi = ReturnType<typeof priorAuthApi>;
