/**
 * Token facts → Access (pure): the granted SMART scopes and whose member data the token reaches
 * decide, per resource type and interaction, whether the engine may proceed and which filter it ANDs
 * into every store query and record check (src/fhir/access.ts).
 *
 * SMART App Launch 2.x (scopes-and-launch-context.html): an interaction needs a scope naming its type
 * (or `*`) and its letter (r: read, vread, history-instance; s: search, history-type; c: create;
 * u: update, patch; d: delete). `patient/` scopes act only for a token with a patient in context.
 * Finer-grained v2 scopes (`?category=laboratory`) restrict the resources: the scopes that match an
 * interaction are ORed, and one without a query lifts the restriction.
 *
 * The member reach is ANDed on top, whatever the scopes say:
 *  - a patient (a member's app): their compartment only, and of it only records with a date of service
 *    on or after 2016-01-01 (domain/data-windows.ts); Patient itself only by id, so a Patient.link
 *    never exposes another member; never Group (it lists members), AuditEvent (staff only) or Person;
 *    the shared reference types (organizations, practitioners, …) read-only and unfiltered;
 *  - none (no member in context): the shared reference types, read-only;
 *  - all (payer staff, internal jobs): no member filter.
 * A decision that cannot be made safely (an unknown type, a scope query that does not compile) denies.
 */
import { PATIENT_ACCESS_FROM } from '../domain/data-windows.js';
import { CARE_DATE_PARAM } from '../fhir/search/care-date.js';
import type { Access, Interaction } from '../fhir/access.js';
import { parseSearch } from '../fhir/search/parse.js';
import type { SearchRegistry } from '../fhir/search/registry.js';
import { translateSearch } from '../fhir/search/translate/index.js';
import type { FilterDocument } from '../store/port.js';
import type { ResourceScope, ScopeLetter } from './scopes.js';

export type MemberReach = { kind: 'patient'; id: string } | { kind: 'all' } | { kind: 'none' };

export interface AccessGrant {
  principal: string;
  client?: string;
  scopes: readonly ResourceScope[];
  members: MemberReach;
}

export interface PolicyDeps {
  isResourceType(type: string): boolean;
  inPatientCompartment(type: string): boolean;
  /** The filter keeping a type's records dated on or after the Patient Access floor, if the type has dates of service. */
  careDateFloor(type: string): FilterDocument | undefined;
  /** The filter of a scope's search restriction; throws on unknown or malformed parameters. */
  compileQuery(type: string, query: Array<[string, string]>): FilterDocument;
}

/** The SMART 2.0 letter each interaction needs. */
export const LETTER_FOR: Readonly<Record<Interaction, ScopeLetter>> = {
  read: 'r',
  vread: 'r',
  'history-instance': 'r',
  search: 's',
  'history-type': 's',
  create: 'c',
  update: 'u',
  patch: 'u',
  delete: 'd',
};

/** Resource types every member app may read: directories and terminology, not member data. */
export const SHARED_REFERENCE_TYPES: ReadonlySet<string> = new Set([
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'HealthcareService',
  'InsurancePlan',
  'Endpoint',
  'Medication',
  'Questionnaire',
  'ValueSet',
  'CodeSystem',
]);

/** Never reachable with a patient in context, even where the compartment definition lists them. */
export const NEVER_FOR_PATIENT: ReadonlySet<string> = new Set(['Group', 'AuditEvent', 'Person']);

/** Matches no record: what a denied (type, interaction) filters with, should a caller ask anyway. */
const NOTHING: FilterDocument = Object.freeze({ _id: { $in: [] } }) as FilterDocument;

interface Decision {
  allowed: boolean;
  filter?: FilterDocument;
}

const DENY: Decision = { allowed: false, filter: NOTHING };

const readOnly = (letter: ScopeLetter): boolean => letter === 'r' || letter === 's';

/** The member-reach part of a decision: undefined when the reach forbids it, else its filter (if any). */
function memberRule(members: MemberReach, type: string, letter: ScopeLetter, deps: PolicyDeps): { filter?: FilterDocument } | undefined {
  switch (members.kind) {
    case 'all':
      return {};
    case 'none':
      return SHARED_REFERENCE_TYPES.has(type) && readOnly(letter) ? {} : undefined;
    case 'patient':
      if (NEVER_FOR_PATIENT.has(type)) return undefined;
      if (SHARED_REFERENCE_TYPES.has(type)) return readOnly(letter) ? {} : undefined;
      if (type === 'Patient') return { filter: { _id: `Patient/${members.id}` } };
      if (deps.inPatientCompartment(type)) {
        const own: FilterDocument = { cmp: `Patient/${members.id}` };
        const floor = deps.careDateFloor(type);
        return { filter: floor ? { $and: [own, floor] } : own };
      }
      return undefined;
  }
}

function contextFits(scope: ResourceScope, members: MemberReach): boolean {
  return scope.context !== 'patient' || members.kind === 'patient';
}

export function accessFor(grant: AccessGrant, deps: PolicyDeps): Access {
  const decisions = new Map<string, Decision>();
  // A compiled scope query per (scope, type); null when it does not compile for that type.
  const compiled = new Map<ResourceScope, Map<string, FilterDocument | null>>();

  const queryFilter = (scope: ResourceScope, type: string, query: Array<[string, string]>): FilterDocument | null => {
    let perType = compiled.get(scope);
    if (!perType) compiled.set(scope, (perType = new Map()));
    let filter = perType.get(type);
    if (filter === undefined) {
      try {
        filter = deps.compileQuery(type, query);
      } catch {
        filter = null; // fail closed: a restriction we cannot apply grants nothing
      }
      perType.set(type, filter);
    }
    return filter;
  };

  const decide = (type: string, letter: ScopeLetter): Decision => {
    if (!deps.isResourceType(type)) return DENY;
    const member = memberRule(grant.members, type, letter, deps);
    if (!member) return DENY;
    const matching = grant.scopes.filter((s) => (s.type === type || s.type === '*') && s.letters.has(letter) && contextFits(s, grant.members));
    let unrestricted = false;
    const alternatives: FilterDocument[] = [];
    for (const s of matching) {
      if (!s.query) {
        unrestricted = true;
        break;
      }
      const f = queryFilter(s, type, s.query);
      if (f) alternatives.push(f);
    }
    if (!unrestricted && alternatives.length === 0) return DENY;
    const byQuery = unrestricted ? undefined : alternatives.length === 1 ? alternatives[0] : { $or: alternatives };
    const parts = [member.filter, byQuery].filter((f): f is FilterDocument => f !== undefined);
    return { allowed: true, filter: parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts } };
  };

  const decision = (type: string, interaction: Interaction): Decision => {
    const letter = LETTER_FOR[interaction];
    if (letter === undefined) return DENY;
    const key = `${type}\u0000${letter}`;
    let d = decisions.get(key);
    if (!d) decisions.set(key, (d = decide(type, letter)));
    return d;
  };

  return {
    principal: grant.principal,
    ...(grant.client !== undefined ? { client: grant.client } : {}),
    allows: (type, interaction) => decision(type, interaction).allowed,
    filterFor: (type, interaction) => decision(type, interaction).filter,
  };
}

const FLOOR_MS = Date.parse(`${PATIENT_ACCESS_FROM}T00:00:00Z`);
const CARE_DATE_FIELD = `sp.${CARE_DATE_PARAM}`;
const FLOOR_FILTER: FilterDocument = Object.freeze({
  $or: [{ [CARE_DATE_FIELD]: { $exists: false } }, { [CARE_DATE_FIELD]: { $elemMatch: { hi: { $gte: FLOOR_MS } } } }],
}) as FilterDocument;

/**
 * Records of a type with dates of service are released only when one of them reaches the floor (the
 * Patient Access 2016-01-01 floor unless another instant is given, e.g. Payer-to-Payer's five years).
 */
export function careDateFloorFilter(registry: SearchRegistry, type: string, fromMs?: number): FilterDocument | undefined {
  if (!registry.get(type, CARE_DATE_PARAM)) return undefined;
  if (fromMs === undefined || fromMs === FLOOR_MS) return FLOOR_FILTER;
  return { $or: [{ [CARE_DATE_FIELD]: { $exists: false } }, { [CARE_DATE_FIELD]: { $elemMatch: { hi: { $gte: fromMs } } } }] };
}

/** References in a scope query are relative (`Patient/1`); no absolute URL is ever this base. */
const NO_BASE = 'urn:x-scope-query:';

/**
 * PolicyDeps from the search registry: a scope query is parsed and translated by the search engine
 * itself, strictly (an unknown parameter or modifier throws instead of being ignored, which would
 * widen access), and may only filter: result parameters (_count, _include, _sort …) throw too.
 */
export function policyDeps(registry: SearchRegistry, clock: () => Date, baseUrl: string = NO_BASE): PolicyDeps {
  return {
    isResourceType: (type) => registry.resourceTypes.has(type),
    inPatientCompartment: (type) => type === 'Patient' || registry.patientCompartmentParams(type).length > 0,
    careDateFloor: (type) => careDateFloorFilter(registry, type),
    compileQuery(type, query) {
      if (query.length === 0) throw new Error('An empty scope query restricts nothing');
      const ir = parseSearch(type, query, { registry, baseUrl, strict: true, defaultCount: 1, maxCount: 1 });
      if (ir.clauses.length !== query.length) {
        throw new Error(`A scope query may only hold search parameters of ${type}, not ${query.map(([k]) => k).join(', ')}`);
      }
      return translateSearch(ir, clock().getTime());
    },
  };
}
