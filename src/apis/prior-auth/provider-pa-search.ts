/**
 * A provider system's own prior-authorization requests, searchable as the program's portal offers them
 * (tracking or PA number = `identifier`, member = `patient`, status = `pa-decision`, submission date
 * range = `pa-submitted`, `pa-due`, `pa-priority`): `GET /fhir/ClaimResponse?…` and
 * `GET /fhir/ClaimResponse/{id}` by a provider backend answer only the ClaimResponses whose `requestor` is
 * its organization, whatever attribution says (a provider may ask for a member it does not treat yet).
 * Everything else about ClaimResponse, and every other caller, is left to the engine and the caller's Access.
 */
import type { Access } from '../../fhir/access.js';
import { dispatch } from '../../fhir/rest/dispatch.js';
import type { TypeHandler } from '../../fhir/rest/types.js';
import type { ClientRecord } from '../../auth/records.js';
import type { PolicyDeps } from '../../auth/access-policy.js';

export function providerPaSearch(deps: { clients: { get(id: string): Promise<ClientRecord | undefined> }; policy: PolicyDeps }): TypeHandler {
  return {
    type: 'ClaimResponse',
    async handle(ctx, req) {
      if (req.method !== 'GET' || req.path.length > 2) return undefined;
      const client = ctx.access.client ? await deps.clients.get(ctx.access.client) : undefined;
      if (client?.role !== 'provider' || !client.organization) return undefined;
      const own = deps.policy.compileQuery('ClaimResponse', [['requestor', client.organization]]);
      const access: Access = {
        principal: ctx.access.principal,
        client: client._id,
        allows: (type, interaction) => type === 'ClaimResponse' && (interaction === 'read' || interaction === 'search' || interaction === 'vread'),
        filterFor: (type) => (type === 'ClaimResponse' ? own : undefined),
      };
      return dispatch({ ...ctx, access, typeHandlers: [] }, req);
    },
  };
}
