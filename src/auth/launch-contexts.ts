/**
 * EHR launch contexts (SMART App Launch 2.x §EHR launch): the EHR side — here the payer's provider
 * portal or staff tooling — records which patient (and encounter) an app is opened for, and passes the
 * app an opaque `launch` value. The context is bound to the user who created it: only that user can
 * complete the launch, so a leaked launch value is useless to anyone else.
 */
import type { AuthDeps } from './auth-deps.js';
import { randomToken } from './secrets.js';

export interface LaunchRecord {
  _id: string;
  exp: number;
  patient: string;
  encounter?: string;
  /** The user who opened the app; they must be the one who signs in. */
  userId: string;
  /** Optional: the only client this launch is for. */
  clientId?: string;
}

export function launchContexts(deps: Pick<AuthDeps, 'docs' | 'clock' | 'lifetimes'>) {
  const launches = deps.docs.collection<LaunchRecord>('launch-contexts');
  return {
    async create(input: Omit<LaunchRecord, '_id' | 'exp'>): Promise<LaunchRecord> {
      const record: LaunchRecord = { ...input, _id: randomToken(24), exp: deps.clock().getTime() + deps.lifetimes.launch * 1000 };
      await launches.insert(record);
      return record;
    },
    get: (id: string) => launches.get(id),
  };
}
