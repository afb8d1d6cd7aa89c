/**
 * What a provider organization's backend client (SMART Backend Services, client role `provider`) may
 * reach through the FHIR API, decided per request (CMS-0057-F Provider Access, 42 CFR 431.61):
 *  - its own organization's attribution Groups (rosters and match results), read and search;
 *  - one member's data per request, named by the path (`Patient/[id]`, `Patient/[id]/$everything`) or
 *    by a single `patient` / `subject` / `beneficiary` / (Patient) `_id` search value, when the member
 *    has a treatment relationship with the organization right now (treatment.ts): enrolled today,
 *    attributed (through a PID/SL the client was granted, if it was limited), not opted out;
 *    otherwise 403 with one message for every reason (which reason applies is the member's business);
 *  - of that member, only the Provider Access data (provider-data.ts): no remittances or cost-sharing,
 *    no drug prior authorizations, nothing before 2016-01-01; read-only;
 *  - the shared directory types (organizations, practitioners, locations …), read-only.
 */
import type { Request } from 'express';
import type { Access } from '../../fhir/access.js';
import { forbidden } from '../../fhir/outcome.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { backendAccess, type BackendNarrowing } from '../../auth/backend-access.js';
import { memberNamed, pathAndQuery } from '../../auth/named-member.js';
import type { ClientRecord } from '../../auth/records.js';
import type { VerifiedToken } from '../../auth/verify-token.js';
import type { AttributionStore } from './attribution-store.js';
import { providerDataFilter, type ProviderData } from './provider-data.js';
import { withTreatmentRelationship, type Requester, type TreatmentDeps } from './treatment.js';

export interface ProviderCallerDeps extends TreatmentDeps {
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  data: ProviderData;
  clock: () => Date;
  attribution: AttributionStore;
}

/** The requester a provider client stands for, or undefined when the client is not a provider backend. */
export function requesterOf(client: ClientRecord | undefined): Requester | undefined {
  if (!client || client.role !== 'provider' || !client.organization) return undefined;
  return { organization: client.organization, ...(client.locations ? { locations: client.locations } : {}) };
}

export function providerCaller(deps: ProviderCallerDeps) {
  /** The Access of a provider backend's request, or undefined when the token is not a provider backend's. */
  return async (token: VerifiedToken, req: Pick<Request, 'path' | 'originalUrl'>): Promise<Access | undefined> => {
    const client = await deps.clients.get(token.clientId);
    const who = requesterOf(client);
    if (!who) return undefined;
    const narrowing: BackendNarrowing = {
      groups: (await deps.attribution.listsOf(who.organization)).map((l) => l._id),
      memberTypes: deps.data.member,
      memberOpen: true,
      memberFilter: (type) => providerDataFilter(deps.data, type),
      sharedTypes: deps.data.directory,
    };
    const { path, query } = pathAndQuery(req);
    const member = memberNamed(path, query, 'Provider Access');
    if (member === undefined) return backendAccess(token, undefined, deps.policy, narrowing);
    const ok = await withTreatmentRelationship(deps, who, [member], deps.clock());
    if (!ok.has(member)) {
      throw forbidden('No current treatment relationship with this member on record for your organization (attribution, enrollment and the member\'s choice are checked at each request)');
    }
    return backendAccess(token, member, deps.policy, narrowing);
  };
}

export type ProviderCaller = ReturnType<typeof providerCaller>;
