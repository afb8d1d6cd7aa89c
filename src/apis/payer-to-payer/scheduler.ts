/**
 * When the requesting side runs (CMS-0057-F: request no later than one week after coverage starts;
 * concurrent payers at least quarterly). Each tick, on any instance:
 *  - discover: every opt-in in force (an hrex-consent Consent naming us as recipient) whose source payer
 *    has an endpoint (PAYER_ENDPOINTS) gets a request document if it has none; a finished exchange with a
 *    concurrent payer is due again after QUARTER_DAYS;
 *  - run: each due request is claimed with a lease (an atomic update, so two instances never run the same
 *    one), attempted (outbound.ts), and finished: done, no-match or refused (the payer's answer, not
 *    retried), or retried with exponential backoff (1, 2, 4 … minutes, at most a day) up to
 *    MAX_ATTEMPTS, then failed. Every step is kept on the request for staff.
 */
import type { Consent } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/port.js';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import type { MemberChoices } from './member-choice.js';
import { FinalRequestError, requestKey, type Outbound, type PayerRequest } from './outbound.js';

export const QUARTER_DAYS = 90;
export const MAX_ATTEMPTS = 8;
const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SchedulerDeps {
  store: ResourceStore;
  outbound: Outbound;
  choices: MemberChoices;
  /** Our payer Organization. */
  payer: { reference: string };
  clock: () => Date;
  instanceId: string;
  leaseMs?: number;
}

export interface TickReport {
  discovered: number;
  attempted: number;
  done: number;
  retrying: number;
  finished: Record<string, number>;
}

/** Backoff after the n-th failed attempt (n ≥ 1). */
export const backoffMs = (attempts: number): number => Math.min(DAY, MINUTE * 2 ** (attempts - 1));

export function payerScheduler(deps: SchedulerDeps) {
  const { requests } = deps.outbound;
  const leaseMs = deps.leaseMs ?? 10 * MINUTE;

  /** (patient, payer) pairs with an opt-in naming us as recipient. */
  async function optedIn(): Promise<Array<{ patient: string; payer: string }>> {
    const { records } = await deps.store.find({ filter: { type: 'Consent' }, sort: [['_id', 1]], limit: Number.MAX_SAFE_INTEGER });
    const pairs = new Map<string, { patient: string; payer: string }>();
    for (const r of records) {
      const c = r.res as Consent;
      if (c.status !== 'active' || !(c.meta?.profile ?? []).includes(DAVINCI_PROFILE.hrexConsent)) continue;
      const actors = c.provision?.actor ?? [];
      const toUs = actors.some((a) => (a.role?.coding ?? []).some((x) => x.code === 'IRCP') && a.reference?.reference === deps.payer.reference);
      const source = actors.find((a) => (a.role?.coding ?? []).some((x) => x.code === 'performer'))?.reference?.reference;
      const patient = c.patient?.reference?.replace(/^Patient\//, '');
      if (!toUs || !source?.startsWith('Organization/') || !patient || !deps.outbound.endpointOf(source)) continue;
      pairs.set(requestKey(patient, source), { patient, payer: source });
    }
    return [...pairs.values()];
  }

  async function discover(): Promise<number> {
    const now = deps.clock().getTime();
    let n = 0;
    for (const { patient, payer } of await optedIn()) {
      const key = requestKey(patient, payer);
      const existing = await requests.get(key);
      if (!existing) {
        const other = (await deps.choices.otherPayers(patient)).find((o) => o.payer === payer);
        if (!other?.optIn) continue;
        const created = await requests.insert({ _id: key, patient, payer: payer.slice('Organization/'.length), kind: other.kind, status: 'pending', attempts: 0, due: now, steps: [] });
        if (created) n++;
      } else if (existing.status === 'done' && existing.kind === 'concurrent' && (existing.lastCompleteAt ?? 0) + QUARTER_DAYS * DAY <= now) {
        const again = await requests.update(key, { status: 'done' }, { status: 'pending', attempts: 0, due: now });
        if (again) n++;
      }
    }
    return n;
  }

  async function runOne(req: PayerRequest): Promise<PayerRequest['status'] | 'retrying'> {
    const now = deps.clock().getTime();
    const claimed = await requests.update(req._id, { status: 'pending', $or: [{ lease: { $exists: false } }, { 'lease.until': { $lt: now } }] }, { lease: { owner: deps.instanceId, until: now + leaseMs } });
    if (!claimed) return 'retrying';
    const steps = [...claimed.steps];
    const step = (name: string, ok: boolean, detail: string): void => void steps.push({ at: deps.clock().getTime(), step: name, ok, detail: detail.slice(0, 1_000) });
    try {
      const done = await deps.outbound.attempt(claimed, step);
      const { _id, lease: _lease, ...rest } = { ...done, status: 'done' as const, steps };
      await requests.put({ _id, ...rest });
      return 'done';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const { lease: _lease, ...rest } = claimed;
      if (err instanceof FinalRequestError) {
        step('finish', false, message);
        await requests.put({ ...rest, status: err.status, steps });
        return err.status;
      }
      const attempts = claimed.attempts + 1;
      step('attempt', false, message);
      const failed = attempts >= MAX_ATTEMPTS;
      await requests.put({ ...rest, attempts, status: failed ? 'failed' : 'pending', due: deps.clock().getTime() + backoffMs(attempts), steps });
      return failed ? 'failed' : 'retrying';
    }
  }

  async function tick(): Promise<TickReport> {
    const report: TickReport = { discovered: await discover(), attempted: 0, done: 0, retrying: 0, finished: {} };
    const now = deps.clock().getTime();
    const due = await requests.find({ status: 'pending', due: { $lte: now } }, { sort: [['due', 1]], limit: 1_000 });
    for (const req of due) {
      report.attempted++;
      const result = await runOne(req);
      if (result === 'done') report.done++;
      else if (result === 'retrying') report.retrying++;
      else report.finished[result] = (report.finished[result] ?? 0) + 1;
    }
    return report;
  }

  return { tick, discover };
}

export type PayerScheduler = ReturnType<typeof payerScheduler>;
