/**
 * What another payer's backend client (SMART Backend Services, client role `payer`, registered to its
 * Organization) may reach through the FHIR API, decided per request:
 *  - `$member-match` and `$bulk-member-match` (the operations check the caller themselves);
 *  - the Groups its bulk matches produced (read, search, export);
 *  - one matched member's data per request (`Patient/[id]`, `$everything`, searches naming the member),
 *    when a link from a match with a Consent is in force today, limited to what payer-data.ts releases
 *    under the Consent's policy; otherwise 403 with one message whatever the reason;
 *  - the shared directory types (organizations, practitioners, locations …), read-only.
 */
import type { Request } from 'express';
import type { Access } from '../../fhir/access.js';
import { forbidden } from '../../fhir/outcome.js';
import { SHARED_REFERENCE_TYPES, type PolicyDeps } from '../../auth/access-policy.js';
import { backendAccess, type BackendNarrowing } from '../../auth/backend-access.js';
import { memberNamed, pathAndQuery } from '../../auth/named-member.js';
import type { ClientRecord } from '../../auth/records.js';
import type { VerifiedToken } from '../../auth/verify-token.js';
import type { ExchangePolicy } from './exchange-consent.js';
import type { PayerData } from './payer-data.js';
import type { PayerLinks } from './payer-links.js';

export interface PayerCallerDeps {
  policy: PolicyDeps;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  data: PayerData;
  links: PayerLinks;
  clock: () => Date;
  /** The Groups (match results) this client may read and export. */
  groupsOf(client: string): Promise<string[]>;
}

/** The payer a client stands for, or undefined when it is not another payer's backend. */
export function payerRequester(client: ClientRecord | undefined): { organization: string } | undefined {
  if (!client || client.role !== 'payer' || !client.organization) return undefined;
  return { organization: client.organization };
}

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

export function payerCaller(deps: PayerCallerDeps) {
  /** The Access of a payer backend's request, or undefined when the token is not a payer backend's. */
  return async (token: VerifiedToken, req: Pick<Request, 'path' | 'originalUrl'>): Promise<Access | undefined> => {
    const client = await deps.clients.get(token.clientId);
    if (!payerRequester(client)) return undefined;
    const now = deps.clock();
    const groups = await deps.groupsOf(token.clientId);
    const narrowing = (policy: ExchangePolicy | undefined): BackendNarrowing => ({
      groups,
      memberTypes: deps.data.member,
      memberOpen: policy !== undefined,
      memberFilter: (type) => (policy === undefined ? undefined : deps.data.filter(type, policy, now)),
      sharedTypes: SHARED_REFERENCE_TYPES,
    });
    const { path, query } = pathAndQuery(req);
    const member = memberNamed(path, query, 'Payer-to-Payer');
    if (member === undefined) return backendAccess(token, undefined, deps.policy, narrowing(undefined));
    const link = await deps.links.inForce(token.clientId, member, dayOf(now));
    if (!link) throw forbidden('No payer-to-payer exchange in force for this member: match the member with $member-match and a Consent that is in force first');
    return backendAccess(token, member, deps.policy, narrowing(link.policy));
  };
}

export type PayerCaller = ReturnType<typeof payerCaller>;
