/**
 * Whose member data a grant reaches (see access-policy.ts), decided once when the grant is made:
 * a member reaches their own record; a provider user reaches the patient of the EHR launch they
 * opened, otherwise no member; payer staff and admin backends reach every member; provider and payer
 * backends reach none through the REST API (their member access comes through the Provider Access
 * and Payer-to-Payer operations, which check attribution and consent per member).
 */
import type { MemberReach } from './access-policy.js';
import type { ClientRole, UserRecord } from './records.js';

export function reachOf(who: { user?: UserRecord; patient?: string; clientRole?: ClientRole }): MemberReach['kind'] {
  if (who.user) {
    if (who.user.kind === 'staff') return 'all';
    return who.patient ? 'patient' : 'none';
  }
  return who.clientRole === 'admin' ? 'all' : 'none';
}
