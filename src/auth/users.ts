/**
 * Users who log in on the authorization server's pages: members (member ID + date of birth +
 * password), provider users and payer staff (user name + password). Passwords are scrypt hashes.
 * A failed login says only "not recognised" whichever factor was wrong (no account enumeration).
 */
import type { DocumentStore } from '../store/document-port.js';
import type { UserKind, UserRecord } from './records.js';
import { hashSecret, randomToken, verifySecret } from './secrets.js';

/** A user to create: the record's own fields, with the password in clear (it is hashed on create). */
export type NewUser = Omit<UserRecord, '_id' | 'exp' | 'passwordHash' | 'createdAt'> & { password: string };

export interface UserDirectory {
  create(user: NewUser): Promise<UserRecord>;
  get(id: string): Promise<UserRecord | undefined>;
  byLogin(kind: UserKind, login: string): Promise<UserRecord | undefined>;
  /** The user when every factor matches, else undefined (same time spent either way). */
  authenticate(kind: UserKind, login: string, password: string, birthDate?: string): Promise<UserRecord | undefined>;
  list(filter: { kind?: UserKind; organization?: string }): Promise<UserRecord[]>;
  update(id: string, set: Partial<Omit<UserRecord, '_id' | 'passwordHash'>>): Promise<UserRecord | undefined>;
  remove(id: string): Promise<boolean>;
}

/** Login names are matched case-insensitively and without surrounding spaces. */
const normalLogin = (login: string): string => login.trim().toLowerCase();

export function userDirectory(docs: DocumentStore, clock: () => Date): UserDirectory {
  const users = docs.collection<UserRecord>('users');
  const byLogin = async (kind: UserKind, login: string): Promise<UserRecord | undefined> => {
    const [found] = await users.find({ kind, login: normalLogin(login) }, { limit: 1 });
    return found;
  };
  return {
    async create(u) {
      if (await byLogin(u.kind, u.login)) throw new Error(`a ${u.kind} user '${u.login}' already exists`);
      const { password, ...rest } = u;
      const record: UserRecord = { ...rest, _id: randomToken(12), login: normalLogin(u.login), passwordHash: await hashSecret(password), createdAt: clock().toISOString() };
      await users.insert(record);
      return record;
    },
    get: (id) => users.get(id),
    byLogin,
    async authenticate(kind, login, password, birthDate) {
      const user = await byLogin(kind, login);
      const passwordOk = await verifySecret(password, user?.passwordHash);
      if (!user || !passwordOk) return undefined;
      if (kind === 'member' && user.birthDate !== birthDate?.trim()) return undefined;
      return user;
    },
    list: (filter) => users.find({ ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.organization ? { organization: filter.organization } : {}) }, { sort: [['login', 1]], limit: 10_000 }),
    update: (id, set) => users.update(id, {}, set),
    remove: (id) => users.delete(id),
  };
}
