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
/** Members per bulk exchange (the payer's synchronous $bulk-member-match takes up to 1,000). */
export const BATCH_MEMBERS = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SchedulerDeps {
  store: ResourceStore;
  /** The requesting side; without `attemptBatch` every request goes one by one. */
  outbound: Pick<Outbound, 'requests' | 'attempt' | 'endpointOf'> & Partial<Pick<Outbound, 'attemptBatch'>>;
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

/** What one request's turn came to here (`skipped`: leased elsewhere; `lost`: our lease ran out meanwhile). */
type Outcome = PayerRequest['status'] | 'retrying' | 'skipped' | 'lost';

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
      // In force today: an ended (or not yet started) opt-in asks for nothing.
      const today = deps.clock().toISOString().slice(0, 10);
      if ((c.provision?.period?.start ?? '') > today || (c.provision?.period?.end ?? '9999-12-31') < today) continue;
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
        if (!(await deps.choices.otherPayers(patient)).find((o) => o.payer === payer)?.optIn) continue;
        const again = await requests.update(key, { status: 'done' }, { status: 'pending', attempts: 0, due: now });
        if (again) n++;
      }
    }
    return n;
  }

  /**
   * Writes the outcome of an attempt only while we still hold the lease (an attempt that outlived it may
   * have been taken over and finished by another instance), and releases the lease.
   */
  async function settle(claimed: PayerRequest, outcome: Partial<Omit<PayerRequest, '_id' | 'lease'>>): Promise<boolean> {
    const done = await requests.update(claimed._id, { status: 'pending', 'lease.owner': deps.instanceId, 'lease.until': claimed.lease?.until ?? 0 }, { ...outcome, lease: { owner: deps.instanceId, until: 0 } });
    if (!done) return false;
    // Then without the lease at all. Nobody can claim it in between: it is settled, or due a minute on at the soonest.
    const { lease: _lease, ...released } = done;
    await requests.put(released);
    return true;
  }

  async function claim(req: PayerRequest): Promise<PayerRequest | undefined> {
    const now = deps.clock().getTime();
    return requests.update(req._id, { status: 'pending', $or: [{ lease: { $exists: false } }, { 'lease.until': { $lt: now } }] }, { lease: { owner: deps.instanceId, until: now + leaseMs } });
  }

  /** A failed attempt: retried with backoff, or failed after MAX_ATTEMPTS. */
  async function retryLater(claimed: PayerRequest, steps: PayerRequest['steps'], message: string): Promise<'failed' | 'retrying' | 'lost'> {
    const attempts = claimed.attempts + 1;
    steps.push({ at: deps.clock().getTime(), step: 'attempt', ok: false, detail: message.slice(0, 1_000) });
    const failed = attempts >= MAX_ATTEMPTS;
    if (!(await settle(claimed, { attempts, status: failed ? 'failed' : 'pending', due: deps.clock().getTime() + backoffMs(attempts), steps }))) return 'lost';
    return failed ? 'failed' : 'retrying';
  }

  /** Several members at one payer in one bulk exchange (outbound.attemptBatch). */
  async function runBatch(payer: string, reqs: PayerRequest[]): Promise<Outcome[]> {
    const claimed: PayerRequest[] = [];
    for (const r of reqs) {
      const c = await claim(r);
      if (c) claimed.push(c);
    }
    const steps = new Map(claimed.map((c) => [c._id, [...c.steps]]));
    const step = (req: PayerRequest, name: string, ok: boolean, detail: string): void => void steps.get(req._id)?.push({ at: deps.clock().getTime(), step: name, ok, detail: detail.slice(0, 1_000) });
    const out: Outcome[] = reqs.filter((r) => !claimed.some((c) => c._id === r._id)).map(() => 'skipped' as const);
    try {
      const results = await (deps.outbound.attemptBatch as NonNullable<Outbound['attemptBatch']>)(payer, claimed, step);
      for (const c of claimed) {
        const r = results.get(c._id);
        const mine = steps.get(c._id) ?? [];
        if (!r) {
          out.push(await retryLater(c, mine, 'not answered in the bulk exchange'));
          continue;
        }
        if (r.status !== 'done') mine.push({ at: deps.clock().getTime(), step: 'finish', ok: false, detail: r.detail });
        const settled = await settle(c, {
          status: r.status,
          steps: mine,
          ...(r.theirPatient ? { theirPatient: r.theirPatient } : {}),
          ...(r.status === 'done' ? { imported: (c.imported ?? 0) + (r.imported ?? 0), ...(r.startedAt !== undefined ? { lastCompleteAt: r.startedAt } : {}) } : {}),
        });
        out.push(settled ? r.status : 'lost');
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const c of claimed) {
        const mine = steps.get(c._id) ?? [];
        if (err instanceof FinalRequestError) {
          mine.push({ at: deps.clock().getTime(), step: 'finish', ok: false, detail: message });
          out.push((await settle(c, { status: err.status, steps: mine })) ? err.status : 'lost');
        } else out.push(await retryLater(c, mine, message));
      }
    }
    return out;
  }

  async function runOne(req: PayerRequest): Promise<Outcome> {
    const claimed = await claim(req);
    if (!claimed) return 'skipped';
    const steps = [...claimed.steps];
    const step = (name: string, ok: boolean, detail: string): void => void steps.push({ at: deps.clock().getTime(), step: name, ok, detail: detail.slice(0, 1_000) });
    try {
      const done = await deps.outbound.attempt(claimed, step);
      const { _id: _i, lease: _l, ...rest } = done;
      return (await settle(claimed, { ...rest, status: 'done', steps })) ? 'done' : 'lost';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof FinalRequestError) {
        step('finish', false, message);
        return (await settle(claimed, { status: err.status, steps })) ? err.status : 'lost';
      }
      return retryLater(claimed, steps, message);
    }
  }

  async function tick(): Promise<TickReport> {
    const report: TickReport = { discovered: await discover(), attempted: 0, done: 0, retrying: 0, finished: {} };
    const now = deps.clock().getTime();
    const due = await requests.find({ status: 'pending', due: { $lte: now } }, { sort: [['due', 1]], limit: 1_000 });
    const count = (result: Outcome): void => {
      // Leased by another instance: nothing was done here. Taken over meanwhile: another instance settled it.
      if (result === 'skipped' || result === 'lost') return;
      report.attempted++;
      if (result === 'done') report.done++;
      else if (result === 'retrying') report.retrying++;
      else report.finished[result] = (report.finished[result] ?? 0) + 1;
    };
    // One member at a payer: $member-match and $everything. Several: one bulk match and one export.
    const byPayer = new Map<string, PayerRequest[]>();
    for (const req of due) {
      const list = byPayer.get(req.payer);
      if (list) list.push(req);
      else byPayer.set(req.payer, [req]);
    }
    for (const [payer, reqs] of byPayer) {
      if (reqs.length > 1 && deps.outbound.attemptBatch) {
        for (let i = 0; i < reqs.length; i += BATCH_MEMBERS) for (const r of await runBatch(`Organization/${payer}`, reqs.slice(i, i + BATCH_MEMBERS))) count(r);
      } else for (const req of reqs) count(await runOne(req));
    }
    return report;
  }

  return { tick, discover };
}

export type PayerScheduler = ReturnType<typeof payerScheduler>;
