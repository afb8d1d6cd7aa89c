/**
 * DTR 2.0 `Questionnaire/$questionnaire-package`: the Questionnaires (with the Libraries and ValueSets they
 * use) that document an ordered service, for a DTR app or an EHR acting as one.
 *
 * Input (Parameters): `coverage` (1..*, the member's Coverage with the MassHealth member ID), and at least
 * one of `order` (the orders), `questionnaire` (canonicals) or `context` (a CRD coverage-assertion-id).
 * Which Questionnaires: those named, those the CRD assertion named, and for each order the one the PA rules
 * name for its code under the member's plan on the date of service. Output: one `PackageBundle` (a
 * collection Bundle, Questionnaire first) per Questionnaire; `operationOutcome` warns of what could not be
 * found. Nothing found → 422 with the reasons.
 *
 * Callers: provider backends (EHRs, DTR apps over SMART Backend Services) and staff; Questionnaires are
 * not member data, but the operation is not public because its inputs are.
 */
import { validationErrors } from '../../fhir/rest/resource-input.js';
import type { Bundle, Coverage, OperationOutcomeIssue, Parameters, ParametersParameter, Questionnaire, Resource } from '@medplum/fhirtypes';
import type { FhirContext, FhirRequest, FhirResponse, OperationHandler } from '../../fhir/rest/types.js';
import { badRequest, forbidden, unprocessable } from '../../fhir/outcome.js';
import type { ClientRecord } from '../../auth/records.js';
import type { ResourceStore } from '../../store/port.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { matchingServiceRule, serviceCodeSystem, type PaRuleSet } from '../../domain/pa-requirements.js';
import type { CrdAssertion } from './crd.js';
import type { DocumentCollection } from '../../store/document-port.js';
import { findLive, memberIdsOf, type MemberFacts } from './member-facts.js';

export const DTR_PACKAGE_BUNDLE = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/DTR-QPackageBundle';
const CQF_LIBRARY = 'http://hl7.org/fhir/StructureDefinition/cqf-library';
const MAX_QUESTIONNAIRES = 20;

export interface DtrDeps {
  store: ResourceStore;
  policy: PolicyDeps;
  facts: MemberFacts;
  rules: () => Promise<PaRuleSet | undefined>;
  assertions: DocumentCollection<CrdAssertion>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  clock: () => Date;
}

const codings = (v: unknown): Array<{ system?: string; code?: string }> => {
  const cc = v as { coding?: Array<{ system?: string; code?: string }> } | undefined;
  return Array.isArray(cc?.coding) ? cc.coding : [];
};

/** The service codes of an order (as CRD reads them) and its date of service. */
function orderServices(order: Resource, today: string): Array<{ system: string; code: string; serviceDate: string }> {
  const o = order as unknown as Record<string, unknown>;
  const date = [o.occurrenceDateTime, (o.occurrencePeriod as { start?: string } | undefined)?.start, o.start, (o.period as { start?: string } | undefined)?.start].find((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d));
  const serviceDate = date?.slice(0, 10) ?? today;
  const all = [...codings(o.code), ...codings(o.codeCodeableConcept), ...(Array.isArray(o.serviceType) ? (o.serviceType as unknown[]).flatMap(codings) : []), ...(Array.isArray(o.type) ? (o.type as unknown[]).flatMap(codings) : [])];
  return all.filter((c) => serviceCodeSystem(c.system) && typeof c.code === 'string').map((c) => ({ system: c.system as string, code: c.code as string, serviceDate }));
}

export function questionnairePackageOperation(deps: DtrDeps): OperationHandler {
  async function questionnaireByCanonical(canonical: string): Promise<Questionnaire | undefined> {
    const [url, version] = canonical.split('|');
    if (!/^https?:\/\/\S{1,400}$/.test(url) || (version !== undefined && !/^[A-Za-z0-9.\-_]{1,64}$/.test(version))) return undefined;
    const live = await findLive<Questionnaire>(deps, 'Questionnaire', [['url', url], ...(version ? ([['version', version]] as Array<[string, string]>) : [])], 5, [['lu', -1]]);
    return live.find((q) => q.status === 'active') ?? live[0];
  }

  /** The Libraries a Questionnaire names (cqf-library), and theirs, recursively. */
  async function libraries(q: Questionnaire): Promise<Resource[]> {
    const out: Resource[] = [];
    const seen = new Set<string>();
    const queue = (q.extension ?? []).filter((e) => e.url === CQF_LIBRARY && typeof e.valueCanonical === 'string').map((e) => e.valueCanonical as string);
    while (queue.length > 0 && out.length < 50) {
      const canonical = queue.shift() as string;
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      const [url] = canonical.split('|');
      const [lib] = await findLive<Resource & { relatedArtifact?: Array<{ type?: string; resource?: string }> }>(deps, 'Library', [['url', url]], 1, [['lu', -1]]);
      if (!lib) continue;
      out.push(lib);
      for (const a of lib.relatedArtifact ?? []) if (a.type === 'depends-on' && a.resource) queue.push(a.resource);
    }
    return out;
  }

  return {
    type: 'Questionnaire',
    name: 'questionnaire-package',
    level: 'type',
    async handle(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
      const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
      if (!ctx.access.allows('Questionnaire', 'read') && client?.role !== 'provider') throw forbidden('$questionnaire-package is for provider systems (EHRs, DTR apps) and payer staff');
      if (req.method !== 'POST') throw badRequest('$questionnaire-package is called with POST and a Parameters body');
      const body = req.body as Parameters | undefined;
      if (body?.resourceType !== 'Parameters') throw badRequest('$questionnaire-package takes a Parameters resource');
      const params = body.parameter ?? [];
      const named = (n: string): ParametersParameter[] => params.filter((p) => p.name === n);
      const coverages = named('coverage').map((p) => p.resource).filter((r): r is Coverage => r?.resourceType === 'Coverage');
      if (coverages.length === 0) throw badRequest('coverage (a Coverage resource) is required');
      const orders = named('order').map((p) => p.resource).filter((r): r is Resource => !!r && typeof r.resourceType === 'string');
      const canonicals = named('questionnaire').map((p) => p.valueCanonical ?? p.valueString).filter((v): v is string => typeof v === 'string');
      const context = named('context').map((p) => p.valueString).find((v): v is string => typeof v === 'string');
      if (orders.length === 0 && canonicals.length === 0 && !context) throw badRequest('at least one of order, questionnaire or context is required (DTR dtr-1)');
      const invalid = validationErrors(ctx.validate, [...coverages, ...orders].slice(0, 60), (r, n) => `${r.resourceType} #${n}`);
      if (invalid.length > 0) throw unprocessable(invalid.slice(0, 50));

      const warnings: OperationOutcomeIssue[] = [];
      const wanted = new Set<string>(canonicals.slice(0, MAX_QUESTIONNAIRES));
      if (context) {
        const assertion = /^[A-Za-z0-9\-.]{1,100}$/.test(context) ? await deps.assertions.get(context) : undefined;
        if (assertion?.questionnaire) wanted.add(assertion.questionnaire);
        else warnings.push({ severity: 'warning', code: 'not-found', diagnostics: `No coverage assertion ${context.slice(0, 100)} names documentation` });
      }
      if (orders.length > 0) {
        const rules = await deps.rules();
        const member = await deps.facts.memberByIds(coverages.flatMap(memberIdsOf));
        const today = deps.clock().toISOString().slice(0, 10);
        for (const order of orders.slice(0, 50)) {
          for (const s of orderServices(order, today)) {
            const plan = member ? (await deps.facts.onDate(member, s.serviceDate)).plan : undefined;
            const rule = rules && plan ? matchingServiceRule(rules, s, plan) : undefined;
            if (rule?.questionnaire) wanted.add(rule.questionnaire);
            else warnings.push({ severity: 'warning', code: 'not-found', diagnostics: `No documentation is required for ${s.code} ${member ? (plan ? `under the member's ${plan} plan` : 'on that date (the member is not enrolled)') : '(the member ID on the coverage is unknown)'}` });
          }
        }
      }
      const out: ParametersParameter[] = [];
      for (const canonical of [...wanted].slice(0, MAX_QUESTIONNAIRES)) {
        const q = await questionnaireByCanonical(canonical);
        if (!q) {
          warnings.push({ severity: 'warning', code: 'not-found', diagnostics: `Questionnaire ${canonical.slice(0, 300)} is not on this server` });
          continue;
        }
        const bundle: Bundle = { resourceType: 'Bundle', meta: { profile: [DTR_PACKAGE_BUNDLE] }, type: 'collection', timestamp: deps.clock().toISOString(), entry: [q, ...(await libraries(q))].map((resource) => ({ resource })) };
        out.push({ name: 'PackageBundle', resource: bundle });
      }
      if (out.length === 0) throw unprocessable(warnings.length > 0 ? warnings.map((w) => ({ code: w.code, diagnostics: w.diagnostics ?? '' })) : [{ code: 'not-found', diagnostics: 'No Questionnaire applies' }]);
      if (warnings.length > 0) out.push({ name: 'operationOutcome', resource: { resourceType: 'OperationOutcome', issue: warnings } });
      return { status: 200, body: { resourceType: 'Parameters', parameter: out }, headers: {} };
    },
  };
}
