/**
 * Finding the member another payer describes (`$member-match`, `$bulk-member-match`), and recording
 * every decision with its score so staff can review match quality (GET /admin/member-match/decisions).
 *
 * Candidates come from three indexed lookups: our member ID (when the request carries one), the date of
 * birth, and the last name (case- and accent-insensitive). A person found by none of them is never a
 * candidate; every candidate is then scored with the configured rules (domain/member-matching.ts) and
 * the decision is one match, none, or ambiguous. Each lookup is capped; when a cap is hit the decision
 * says so (`truncated`) instead of pretending the search was complete.
 */
import type { Coverage, Patient } from '@medplum/fhirtypes';
import { decide, matchValues, scoreCandidate, type MatchConfig, type MatchOutcome, type MatchValues, type ScoredCandidate } from '../../domain/member-matching.js';
import { IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import type { PolicyDeps } from '../../auth/access-policy.js';
import { normaliseString } from '../../fhir/search/normalise.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { FilterDocument, ResourceStore } from '../../store/port.js';

/** Most candidates one lookup may bring (a date of birth shared by more people than this is truncated). */
const LOOKUP_CAP = 1_000;
/** How many scored candidates a decision keeps for review (the best ones). */
const KEPT = 10;

export const MATCH_DECISIONS = 'member-match-decisions';

export interface MatchDecision extends StoredDocument {
  _id: string;
  at: number;
  /** `member-match` | `bulk-member-match` | … */
  operation: string;
  /** Who asked: the OAuth client and the organization it stands for. */
  requester: { client?: string; organization?: string };
  /** What was submitted, as the matcher read it. */
  submitted: MatchValues;
  threshold: number;
  candidates: ScoredCandidate[];
  truncated: boolean;
  outcome: MatchOutcome['outcome'];
  patient?: string;
  score?: number;
  /** The consent check, when the operation made one: accepted, or refused with the reason. */
  consent?: { accepted: boolean; reason?: string };
  /** Bulk requests: the request this decision belongs to and the member's position in it. */
  batch?: { id: string; index: number };
}

export interface MemberFinderDeps {
  store: ResourceStore;
  docs: DocumentStore;
  policy: PolicyDeps;
  config: MatchConfig;
  clock: () => Date;
  newId: () => string;
}

export interface FindRequest {
  patient: Patient;
  coverage?: Coverage;
  operation: string;
  requester: MatchDecision['requester'];
  batch?: MatchDecision['batch'];
}

export function decisions(docs: DocumentStore) {
  return docs.collection<MatchDecision>(MATCH_DECISIONS, { indexes: [['outcome'], ['patient']] });
}

export function memberFinder(deps: MemberFinderDeps) {
  const log = decisions(deps.docs);

  async function lookup(filter: FilterDocument): Promise<{ ids: string[]; truncated: boolean }> {
    const { records } = await deps.store.find({ filter: { $and: [{ type: 'Patient' }, filter] }, sort: [['_id', 1]], limit: LOOKUP_CAP + 1 });
    const ids = records.filter((r) => !r.del).map((r) => r.id);
    return { ids: ids.slice(0, LOOKUP_CAP), truncated: ids.length > LOOKUP_CAP };
  }

  /** A search the search engine translates, or undefined when the value is not a valid search value. */
  function compiled(query: Array<[string, string]>): FilterDocument | undefined {
    try {
      return deps.policy.compileQuery('Patient', query);
    } catch {
      return undefined;
    }
  }

  async function candidates(values: MatchValues): Promise<{ ids: Set<string>; truncated: boolean }> {
    const filters: FilterDocument[] = [];
    for (const id of (values.memberId ?? []).slice(0, 5)) {
      const f = compiled([['identifier', `${IDENTIFIER_SYSTEM.memberId}|${id}`]]);
      if (f) filters.push(f);
    }
    for (const d of (values.birthDate ?? []).slice(0, 2)) {
      const f = /^\d{4}-\d{2}-\d{2}$/.test(d) ? compiled([['birthdate', d]]) : undefined;
      if (f) filters.push(f);
    }
    for (const family of (values.family ?? []).slice(0, 3)) filters.push({ 'sp.family': { $elemMatch: { n: normaliseString(family) } } });
    const ids = new Set<string>();
    let truncated = false;
    for (const f of filters) {
      const found = await lookup(f);
      for (const id of found.ids) ids.add(id);
      truncated ||= found.truncated;
    }
    return { ids, truncated };
  }

  /**
   * Scores every candidate and records the decision (before any consent check: `recordConsent` adds it).
   * The decision is stored whatever the outcome, so a "no match" can be reviewed too.
   */
  async function find(req: FindRequest): Promise<MatchDecision> {
    const submitted = matchValues(req.patient, req.coverage);
    const found = await candidates(submitted);
    const scored: ScoredCandidate[] = [];
    for (const id of found.ids) {
      const record = await deps.store.current('Patient', id);
      if (!record || record.del) continue;
      scored.push(scoreCandidate(deps.config, submitted, id, matchValues(record.res as Patient)));
    }
    const outcome = decide(deps.config, scored);
    scored.sort((a, b) => Number(b.eligible) - Number(a.eligible) || b.score - a.score || (a.patient < b.patient ? -1 : 1));
    const decision: MatchDecision = {
      _id: deps.newId(),
      at: deps.clock().getTime(),
      operation: req.operation,
      requester: req.requester,
      submitted,
      threshold: deps.config.threshold,
      candidates: scored.slice(0, KEPT),
      truncated: found.truncated,
      outcome: outcome.outcome,
      ...(outcome.outcome === 'matched' ? { patient: outcome.patient, score: outcome.score } : {}),
      ...(req.batch ? { batch: req.batch } : {}),
    };
    await log.put(decision);
    return decision;
  }

  /** Adds the consent check's result to a recorded decision. */
  async function recordConsent(decision: MatchDecision, consent: NonNullable<MatchDecision['consent']>): Promise<MatchDecision> {
    const updated = { ...decision, consent };
    await log.put(updated);
    return updated;
  }

  return { find, recordConsent, decisions: log };
}

export type MemberFinder = ReturnType<typeof memberFinder>;
