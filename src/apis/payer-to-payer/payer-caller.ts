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
import type { FilterDocument } from '../../store/port.js';
import { accessFor, SHARED_REFERENCE_TYPES, type PolicyDeps } from '../../auth/access-policy.js';
import { memberNamed, pathAndQuery } from '../../auth/named-member.js';
import type { ClientRecord } from '../../auth/records.js';
import { parseScope, type ResourceScope } from '../../auth/scopes.js';
import type { VerifiedToken } from '../../auth/verify-token.js';
import type { ExchangePolicy } from './exchange-consent.js';
import type { PayerData } from './payer-data.js';
import { presentWithoutFinancials } from '../../domain/provider-access-data.js';
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

const READ_ONLY = (s: ResourceScope): boolean => [...s.letters].every((l) => l === 'r' || l === 's');
const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

function narrowed(base: Access, data: PayerData, groups: readonly string[], policy: ExchangePolicy | undefined, now: Date): Access {
  const groupFilter: FilterDocument = { _id: { $in: groups.map((g) => `Group/${g}`) } };
  return {
    principal: base.principal,
    ...(base.client !== undefined ? { client: base.client } : {}),
    allows(type, interaction) {
      if (type === 'Group') return (interaction === 'read' || interaction === 'search' || interaction === 'vread') && groups.length > 0;
      if (data.member.has(type)) return policy !== undefined && base.allows(type, interaction);
      return SHARED_REFERENCE_TYPES.has(type) && base.allows(type, interaction);
    },
    filterFor(type, interaction) {
      if (type === 'Group') return groupFilter;
      const own = base.filterFor(type, interaction);
      const extra = policy !== undefined && data.member.has(type) ? data.filter(type, policy, now) : undefined;
      if (own && extra) return { $and: [own, extra] };
      return own ?? extra;
    },
    present: presentWithoutFinancials,
  };
}

export function payerCaller(deps: PayerCallerDeps) {
  /** The Access of a payer backend's request, or undefined when the token is not a payer backend's. */
  return async (token: VerifiedToken, req: Pick<Request, 'path' | 'originalUrl'>): Promise<Access | undefined> => {
    const client = await deps.clients.get(token.clientId);
    if (!payerRequester(client)) return undefined;
    const scopes = token.scopes.map(parseScope).filter((s): s is ResourceScope => s !== undefined && READ_ONLY(s));
    const principal = `client:${token.subject}@${token.clientId}`;
    const now = deps.clock();
    const groups = await deps.groupsOf(token.clientId);
    const { path, query } = pathAndQuery(req);
    const member = memberNamed(path, query, 'Payer-to-Payer');
    if (member === undefined) {
      return narrowed(accessFor({ principal, client: token.clientId, scopes, members: { kind: 'none' } }, deps.policy), deps.data, groups, undefined, now);
    }
    const link = await deps.links.inForce(token.clientId, member, dayOf(now));
    if (!link) throw forbidden('No payer-to-payer exchange in force for this member: match the member with $member-match and a Consent that is in force first');
    return narrowed(accessFor({ principal, client: token.clientId, scopes, members: { kind: 'patient', id: member } }, deps.policy), deps.data, groups, link.policy, now);
  };
}

export type PayerCaller = ReturnType<typeof payerCaller>;
