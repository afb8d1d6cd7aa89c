/**
 * The prior-authorization rule set (domain/pa-requirements.ts), versioned in the document store: every
 * change is a new version (the whole set, who, when, why), never an edit in place, so the rules that
 * decided any request can be read back. A version is written with `insert` under its number, so two
 * staff saving at once cannot both become version n+1: the second is told to reload (409).
 *
 * Reads are cached per process for a few seconds (CRD answers many calls a second from the same set);
 * a save in this process is seen at once, one in another instance within the cache time.
 */
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import { ruleSetProblems, type PaRuleSet } from '../../domain/pa-requirements.js';
import { conflict, unprocessable } from '../../fhir/outcome.js';

export interface RuleVersionDoc extends StoredDocument {
  version: number;
  /** ISO instant of the change. */
  at: string;
  /** Who changed it (the staff user or client, or `system` for the first start). */
  by: string;
  comment: string;
  rules: PaRuleSet;
}

export interface RuleVersion {
  version: number;
  at: string;
  by: string;
  comment: string;
  rules: PaRuleSet;
}

const CACHE_MS = 5_000;
const versionKey = (n: number): string => `v${String(n).padStart(9, '0')}`;
const strip = ({ _id: _ignored, ...v }: RuleVersionDoc): RuleVersion => v;

export function paRulesStore(docs: DocumentStore, clock: () => Date) {
  const versions = docs.collection<RuleVersionDoc>('pa-rule-versions');
  let cached: { at: number; value: RuleVersion } | undefined;

  async function latest(): Promise<RuleVersion | undefined> {
    const [doc] = await versions.find({}, { sort: [['_id', -1]], limit: 1 });
    return doc ? strip(doc) : undefined;
  }

  return {
    /** The rule set in force (cached a few seconds); undefined before the first save. */
    async current(): Promise<RuleVersion | undefined> {
      const now = Date.now();
      if (cached && now - cached.at < CACHE_MS) return cached.value;
      const value = await latest();
      if (value) cached = { at: now, value };
      return value;
    },

    /** The rule set in force, read from the store (no cache). */
    latest,

    async version(n: number): Promise<RuleVersion | undefined> {
      const doc = await versions.get(versionKey(n));
      return doc ? strip(doc) : undefined;
    },

    /** Versions newest first, without their rules. */
    async history(limit = 100): Promise<Array<Omit<RuleVersion, 'rules'> & { services: number }>> {
      const list = await versions.find({}, { sort: [['_id', -1]], limit });
      return list.map((d) => ({ version: d.version, at: d.at, by: d.by, comment: d.comment, services: d.rules.services.length }));
    },

    /**
     * Saves a new version made from the one in force by `change`. `expectVersion` (the version the
     * editor read) makes the save fail with 409 when someone else saved meanwhile. 422 when the result is
     * not a valid rule set.
     */
    async save(change: (current: PaRuleSet | undefined) => PaRuleSet, who: { by: string; comment?: string; expectVersion?: number }): Promise<RuleVersion> {
      const before = await latest();
      if (who.expectVersion !== undefined && who.expectVersion !== (before?.version ?? 0)) {
        throw conflict(`The rules are at version ${before?.version ?? 0}, not ${who.expectVersion}: reload them and apply the change again.`);
      }
      const rules = change(before?.rules);
      const problems = ruleSetProblems(rules);
      if (problems.length > 0) throw unprocessable(problems.map((diagnostics) => ({ code: 'invalid', diagnostics })));
      const version = (before?.version ?? 0) + 1;
      const doc: RuleVersionDoc = { _id: versionKey(version), version, at: clock().toISOString(), by: who.by, comment: who.comment ?? '', rules: structuredClone(rules) };
      if (!(await versions.insert(doc))) {
        throw conflict(`Version ${version} of the rules was saved by someone else meanwhile: reload them and apply the change again.`);
      }
      cached = { at: Date.now(), value: strip(doc) };
      return strip(doc);
    },
  };
}

export type PaRulesStore = ReturnType<typeof paRulesStore>;
