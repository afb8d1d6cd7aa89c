/**
 * Whose member data a grant reaches (see access-policy.ts), decided once when the grant is made:
 * a member reaches their own record; a provider user or payer staff member reaches the patient of the
 * EHR launch they opened; otherwise provider users reach no member and payer staff and admin backends
 * every member; provider and payer
 * backends reach none through the REST API (their member access comes through the Provider Access
 * and Payer-to-Payer operations, which check attribution and consent per member).
 */
import type { MemberReach } from './access-policy.js';
import type { ClientRole, UserRecord } from './records.js';

export function reachOf(who: { user?: UserRecord; patient?: string; clientRole?: ClientRole }): MemberReach['kind'] {
  if (who.user) {
    if (who.patient) return 'patient';
    return who.user.kind === 'staff' ? 'all' : 'none';
  }
  return who.clientRole === 'admin' ? 'all' : 'none';
}
