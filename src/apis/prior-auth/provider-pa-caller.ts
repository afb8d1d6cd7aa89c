/**
 * A provider system's own prior-authorization requests, searchable as the program's portal offers them
 * (tracking or PA number = `identifier`, member = `patient` or `member-id`, status = `pa-decision`,
 * submission date range = `pa-submitted`, `pa-due`, `pa-priority`). It is one link of the auth server's
 * per-request caller chain (server.ts `callerAccess`), ahead of Provider Access: `GET /fhir/ClaimResponse`
 * and `GET /fhir/ClaimResponse/{id}` by a provider backend get an Access to exactly the ClaimResponses
 * whose `requestor` is its organization, whatever attribution says (a provider may ask about a member it
 * does not treat yet, so naming the member is no treatment-relationship question here). The token must
 * still carry a read-only scope for ClaimResponse (its scope query, if any, applies too).
 * Every other request, and every other caller, goes on down the chain.
 */
import type { Request } from 'express';
import type { Access, Interaction } from '../../fhir/access.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { readOnlyBackendAccess } from '../../auth/backend-access.js';
import { pathAndQuery } from '../../auth/named-member.js';
import type { ClientRecord } from '../../auth/records.js';
import type { VerifiedToken } from '../../auth/verify-token.js';

const READS: ReadonlySet<Interaction> = new Set<Interaction>(['read', 'vread', 'search']);

export function providerPaCaller(deps: { clients: { get(id: string): Promise<ClientRecord | undefined> }; policy: PolicyDeps }) {
  return async (token: VerifiedToken, req: Pick<Request, 'method' | 'path' | 'originalUrl'>): Promise<Access | undefined> => {
    if (req.method !== 'GET') return undefined;
    const { path } = pathAndQuery(req);
    if (path[0] !== 'ClaimResponse' || path.length > 2 || (path[1] ?? '').startsWith('$') || (path[1] ?? '').startsWith('_')) return undefined;
    const client = await deps.clients.get(token.clientId);
    if (client?.role !== 'provider' || !client.organization) return undefined;
    // The token's own ClaimResponse scopes decide whether it may read at all; the organization decides what.
    const base = readOnlyBackendAccess(token, { kind: 'all' }, deps.policy);
    const own = deps.policy.compileQuery('ClaimResponse', [['requestor', client.organization]]);
    return {
      principal: base.principal,
      client: token.clientId,
      allows: (type, interaction) => type === 'ClaimResponse' && READS.has(interaction) && base.allows(type, interaction),
      filterFor: (type, interaction) => {
        if (type !== 'ClaimResponse') return undefined;
        const byScope = base.filterFor(type, interaction);
        return byScope ? { $and: [own, byScope] } : own;
      },
    };
  };
}
