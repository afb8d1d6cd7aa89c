/**
 * Enforcing the decision deadlines (72 hours expedited, 7 calendar days standard, from submission, as
 * stored on each ClaimResponse): a scheduler, run by every instance, whose state is in the store. Each
 * tick takes a lease (one document, so one instance works at a time), reads the pended requests due
 * within `alertHours` or already past due, and records one alert per request and kind (`due-soon`,
 * `overdue`) with an atomic insert, so an alert is raised once however many instances run. Raised alerts
 * go to the log (warn) and to `GET /admin/pa-alerts`; the queue shows the same requests as at risk.
 */
import type { ClaimResponse } from '@medplum/fhirtypes';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { paStateOf } from '../../domain/pa-claim-response.js';
import { findLive } from './member-facts.js';

export interface PaAlert extends StoredDocument {
  request: string;
  trackingNumber: string;
  kind: 'due-soon' | 'overdue';
  priority: 'expedited' | 'standard';
  dueAt: string;
  raisedAt: string;
  raisedBy: string;
}

interface Lease extends StoredDocument {
  owner: string;
  until: number;
}

const LEASE_ID = 'pa-deadlines';
const YEAR_MS = 366 * 86_400_000;

export function paDeadlines(deps: { store: ResourceStore; docs: DocumentStore; policy: PolicyDeps; clock: () => Date; instanceId: string; alertHours: number; onAlert?: (a: PaAlert) => void }) {
  const alerts = deps.docs.collection<PaAlert>('pa-alerts', { indexes: [['request']] });
  const leases = deps.docs.collection<Lease>('pa-deadline-lease');

  async function takeLease(now: number, ms: number): Promise<boolean> {
    const until = now + ms;
    if (await leases.insert({ _id: LEASE_ID, owner: deps.instanceId, until })) return true;
    const taken = await leases.update(LEASE_ID, { $or: [{ until: { $lt: now } }, { owner: deps.instanceId }] }, { owner: deps.instanceId, until });
    return taken !== undefined;
  }

  return {
    alerts,
    /** One pass: raise the alerts not yet raised. Returns what it raised (empty when another instance holds the lease). */
    async tick(): Promise<{ leased: boolean; checked: number; raised: PaAlert[] }> {
      const now = deps.clock();
      const nowMs = now.getTime();
      if (!(await takeLease(nowMs, 60_000))) return { leased: false, checked: 0, raised: [] };
      try {
        const horizon = new Date(nowMs + deps.alertHours * 3_600_000).toISOString();
        const pended = await findLive<ClaimResponse>(deps, 'ClaimResponse', [['pa-decision', 'pended'], ['pa-due', `le${horizon}`]], 5_000, [['so.pa-due', 1]]);
        const raised: PaAlert[] = [];
        for (const r of pended) {
          const s = paStateOf(r);
          const kind = Date.parse(s.dueAt) <= nowMs ? 'overdue' : 'due-soon';
          const alert: PaAlert = { _id: `${s.id}:${kind}`, exp: nowMs + YEAR_MS, request: s.id, trackingNumber: s.trackingNumber, kind, priority: s.priority, dueAt: s.dueAt, raisedAt: now.toISOString(), raisedBy: deps.instanceId };
          if (await alerts.insert(alert)) {
            raised.push(alert);
            deps.onAlert?.(alert);
          }
        }
        return { leased: true, checked: pended.length, raised };
      } finally {
        await leases.update(LEASE_ID, { owner: deps.instanceId }, { until: 0 });
      }
    },
  };
}

export type PaDeadlines = ReturnType<typeof paDeadlines>;
