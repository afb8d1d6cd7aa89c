/**
 * Grants: what one user (or backend client) allowed one client, and the short-lived records that
 * lead to and from it. Access tokens name their grant (`gid` claim), so revoking a grant — from the
 * member's account page, the revocation endpoint, or after a reused code or refresh token — stops
 * every token issued under it at once.
 */
import type { DocumentCollection, DocumentStore } from '../store/document-port.js';
import type { MemberReach } from './access-policy.js';

export interface GrantRecord {
  _id: string;
  clientId: string;
  /** The user who approved (absent for backend clients). */
  userId?: string;
  /** Patient in context (standalone patient launch or EHR launch). */
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  scopes: string[];
  reach: MemberReach['kind'];
  createdAt: string;
  revokedAt?: string;
  revokedWhy?: string;
  exp?: number;
}

/** A refresh token, stored by hash; `used` makes rotation single-use and reuse detectable. */
export interface RefreshRecord {
  _id: string;
  grantId: string;
  used: boolean;
  exp: number;
}

export interface GrantStore {
  create(grant: GrantRecord): Promise<void>;
  /** The grant if it exists and is not revoked. */
  live(id: string): Promise<GrantRecord | undefined>;
  revoke(id: string, why: string): Promise<void>;
  forUser(userId: string): Promise<GrantRecord[]>;
  revokeForClient(clientId: string, why: string): Promise<number>;
  refreshTokens: DocumentCollection<RefreshRecord>;
}

export function grantStore(docs: DocumentStore, clock: () => Date): GrantStore {
  const grants = docs.collection<GrantRecord>('grants');
  const refreshTokens = docs.collection<RefreshRecord>('refresh-tokens');
  const revoke = async (id: string, why: string): Promise<void> => {
    await grants.update(id, { revokedAt: { $exists: false } }, { revokedAt: clock().toISOString(), revokedWhy: why });
  };
  return {
    create: async (grant) => void (await grants.put(grant)),
    async live(id) {
      const g = await grants.get(id);
      return g && g.revokedAt === undefined ? g : undefined;
    },
    revoke,
    forUser: (userId) => grants.find({ userId, revokedAt: { $exists: false } }, { sort: [['createdAt', -1]], limit: 1000 }),
    async revokeForClient(clientId, why) {
      const list = await grants.find({ clientId, revokedAt: { $exists: false } }, { limit: 100_000 });
      for (const g of list) await revoke(g._id, why);
      return list.length;
    },
    refreshTokens,
  };
}
