/**
 * Slows password guessing: after five failed sign-ins for one login name within fifteen minutes,
 * that name is refused until the window passes (OWASP ASVS 2.2.1). Counts live in the document store
 * so every server instance sees them. The name is stored hashed (it is a member ID).
 */
import type { DocumentStore } from '../store/document-port.js';
import { tokenKey } from './secrets.js';

export interface LoginGuard {
  allowed(login: string): Promise<boolean>;
  failed(login: string): Promise<void>;
  succeeded(login: string): Promise<void>;
}

const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;

export function loginGuard(docs: DocumentStore, clock: () => Date): LoginGuard {
  const failures = docs.collection<{ _id: string; count: number; exp: number }>('login-failures');
  const key = (login: string): string => tokenKey(login.trim().toLowerCase());
  return {
    async allowed(login) {
      const f = await failures.get(key(login));
      return f === undefined || f.count < MAX_FAILURES;
    },
    async failed(login) {
      const id = key(login);
      const exp = clock().getTime() + WINDOW_MS;
      if (await failures.insert({ _id: id, count: 1, exp })) return;
      const current = await failures.get(id);
      if (current) await failures.update(id, { count: current.count }, { count: current.count + 1, exp });
    },
    async succeeded(login) {
      await failures.delete(key(login));
    },
  };
}
