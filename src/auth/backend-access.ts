/**
 * The Access of an API's backend caller: a provider organization's client (Provider Access) or another
 * payer's (Payer-to-Payer), both SMART Backend Services clients reaching member data per request. What
 * the two APIs share:
 *  - read-only: only the SMART letters r and s of the token's scopes count;
 *  - no member, or the one member the request names (the API has already decided the caller may reach
 *    them: a treatment relationship, a payer link in force);
 *  - narrowed to the caller's Groups (read, search), the API's member data types under the API's filters,
 *    and the shared directory types;
 *  - claims shown without financial amounts.
 */
import type { Access } from '../fhir/access.js';
import type { FilterDocument } from '../store/port.js';
import { presentWithoutFinancials } from '../domain/provider-access-data.js';
import { accessFor, type MemberReach, type PolicyDeps } from './access-policy.js';
import { parseScope, type ResourceScope } from './scopes.js';
import type { VerifiedToken } from './verify-token.js';

export interface BackendNarrowing {
  /** The Groups the caller may read and search (its rosters, its match results). */
  groups: readonly string[];
  /** The member data types the API releases. */
  memberTypes: ReadonlySet<string>;
  /** Whether they are open at all for this request (Payer-to-Payer: a Consent's policy is in force). */
  memberOpen: boolean;
  /** The API's own filter on a member data type (what it releases of it), ANDed with the scopes'. */
  memberFilter(type: string): FilterDocument | undefined;
  /** The non-member types the API releases (organizations, practitioners, locations …). */
  sharedTypes: ReadonlySet<string>;
}

/** Read-only: SMART letters r and s. */
const readOnly = (s: ResourceScope): boolean => [...s.letters].every((l) => l === 'r' || l === 's');

/** A backend client's token as an Access over `members`, counting only its read-only scopes. */
export function readOnlyBackendAccess(token: VerifiedToken, members: MemberReach, policy: PolicyDeps): Access {
  const scopes = token.scopes.map(parseScope).filter((s): s is ResourceScope => s !== undefined && readOnly(s));
  return accessFor({ principal: `client:${token.subject}@${token.clientId}`, client: token.clientId, scopes, members }, policy);
}

export function backendAccess(token: VerifiedToken, member: string | undefined, policy: PolicyDeps, n: BackendNarrowing): Access {
  const base = readOnlyBackendAccess(token, member === undefined ? { kind: 'none' } : { kind: 'patient', id: member }, policy);
  const groupFilter: FilterDocument = { _id: { $in: n.groups.map((g) => `Group/${g}`) } };
  return {
    principal: base.principal,
    ...(base.client !== undefined ? { client: base.client } : {}),
    allows(type, interaction) {
      if (type === 'Group') return (interaction === 'read' || interaction === 'search' || interaction === 'vread') && n.groups.length > 0;
      if (n.memberTypes.has(type)) return n.memberOpen && base.allows(type, interaction);
      return n.sharedTypes.has(type) && base.allows(type, interaction);
    },
    filterFor(type, interaction) {
      if (type === 'Group') return groupFilter;
      const own = base.filterFor(type, interaction);
      const extra = n.memberOpen && n.memberTypes.has(type) ? n.memberFilter(type) : undefined;
      if (own && extra) return { $and: [own, extra] };
      return own ?? extra;
    },
    present: presentWithoutFinancials,
  };
}
