/**
 * SMART App Launch 2.x scopes (scopes-and-launch-context.html), as pure functions: parsing v1 and v2
 * resource scopes, coverage and intersection (what a client may be granted out of what it asked), and
 * plain-language descriptions for the consent page.
 *
 *   <patient|user|system>/<Type|*>.<cruds subsequence>[?param=value&…]   (v2)
 *   <patient|user|system>/<Type|*>.<read|write|*>                          (v1)
 *
 * v1 `.read` is v2 `.rs`, `.write` is `.cud` and `.*` is `.cruds` ("Scope equivalence", §Scopes for
 * requesting FHIR Resources). v2 letters must appear in the order c, r, u, d, s, each at most once.
 */

export type ScopeLetter = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type or '*'. */
  type: string;
  letters: ReadonlySet<ScopeLetter>;
  /** v2 finer-grained constraint: search parameters the resources must match (URL-decoded pairs). */
  query?: Array<[string, string]>;
  version: 1 | 2;
  /** The canonical text of the scope. */
  text: string;
}

export interface ParsedScopes {
  resource: ResourceScope[];
  openid: boolean;
  fhirUser: boolean;
  launch: boolean;
  launchPatient: boolean;
  launchEncounter: boolean;
  offlineAccess: boolean;
  onlineAccess: boolean;
  /** Tokens that are neither resource scopes nor known SMART/OpenID scopes, kept as given. */
  other: string[];
}

const ORDER: readonly ScopeLetter[] = ['c', 'r', 'u', 'd', 's'];
const V1: Record<string, readonly ScopeLetter[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ORDER };
const SHAPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.([^?]+)(?:\?(.*))?$/;
const V2_LETTERS = /^c?r?u?d?s?$/;

/** The non-resource scopes this server understands (granted only when a client is allowed them). */
export const NON_RESOURCE_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
]);

// Scope tokens may not hold spaces, `"` or `\` (RFC 6749 §3.3); `&`, `=`, `%`, `#` and `+` would change how
// the query reads back. Everything else common in FHIR search values (`:/|,`) stays readable.
function encodePart(value: string): string {
  return encodeURIComponent(value).replace(/%(3A|2F|7C|2C|40|24)/gi, (m) => decodeURIComponent(m));
}

function queryText(query: Array<[string, string]> | undefined): string {
  return query ? `?${query.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&')}` : '';
}

function lettersText(letters: ReadonlySet<ScopeLetter>): string {
  return ORDER.filter((l) => letters.has(l)).join('');
}

function v1Suffix(letters: ReadonlySet<ScopeLetter>): string | undefined {
  const text = lettersText(letters);
  return Object.keys(V1).find((k) => V1[k].join('') === text);
}

/** Build a scope with its canonical text; v1 only when the letters are exactly a v1 suffix and there is no query. */
function makeScope(context: ResourceScope['context'], type: string, letters: ReadonlySet<ScopeLetter>, query: Array<[string, string]> | undefined, preferV1: boolean): ResourceScope {
  const suffix = preferV1 && !query ? v1Suffix(letters) : undefined;
  const version: 1 | 2 = suffix !== undefined ? 1 : 2;
  const text = `${context}/${type}.${suffix ?? lettersText(letters)}${queryText(query)}`;
  return { context, type, letters, ...(query ? { query } : {}), version, text };
}

function parseQuery(raw: string): Array<[string, string]> | undefined {
  if (raw === '') return undefined;
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(part.slice(0, eq).replace(/\+/g, ' '));
      value = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return undefined; // a malformed percent escape
    }
    if (name === '' || value === '') return undefined;
    pairs.push([name, value]);
  }
  return pairs;
}

/** One resource scope, or undefined when the text is not a (well-formed) SMART resource scope. */
export function parseScope(text: string): ResourceScope | undefined {
  if (/\s/.test(text)) return undefined;
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [, context, type, suffix, rawQuery] = m;
  const ctx = context as ResourceScope['context'];
  const v1 = V1[suffix];
  if (v1) {
    // Finer-grained query constraints exist only in v2.
    if (rawQuery !== undefined) return undefined;
    return makeScope(ctx, type, new Set(v1), undefined, true);
  }
  if (suffix === '' || !V2_LETTERS.test(suffix)) return undefined;
  let query: Array<[string, string]> | undefined;
  if (rawQuery !== undefined) {
    query = parseQuery(rawQuery);
    if (!query) return undefined;
  }
  return makeScope(ctx, type, new Set(suffix.split('') as ScopeLetter[]), query, false);
}

/** A space-separated scope string (RFC 6749 §3.3), sorted into what SMART defines and the rest. */
export function parseScopes(scope: string | undefined): ParsedScopes {
  const out: ParsedScopes = {
    resource: [],
    openid: false,
    fhirUser: false,
    launch: false,
    launchPatient: false,
    launchEncounter: false,
    offlineAccess: false,
    onlineAccess: false,
    other: [],
  };
  for (const token of (scope ?? '').split(' ').filter(Boolean)) {
    switch (token) {
      case 'openid':
        out.openid = true;
        continue;
      case 'fhirUser':
        out.fhirUser = true;
        continue;
      case 'launch':
        out.launch = true;
        continue;
      case 'launch/patient':
        out.launchPatient = true;
        continue;
      case 'launch/encounter':
        out.launchEncounter = true;
        continue;
      case 'offline_access':
        out.offlineAccess = true;
        continue;
      case 'online_access':
        out.onlineAccess = true;
        continue;
      default: {
        const parsed = parseScope(token);
        if (parsed) out.resource.push(parsed);
        else out.other.push(token);
      }
    }
  }
  return out;
}

/** True when every pair of `wider` is in `narrower` (AND semantics: more pairs match fewer resources). */
function queryWithin(narrower: Array<[string, string]> | undefined, wider: Array<[string, string]> | undefined): boolean {
  if (!wider) return true;
  if (!narrower) return false;
  const left = narrower.map(([k, v]) => `${k}=${v}`);
  for (const [k, v] of wider) {
    const i = left.indexOf(`${k}=${v}`);
    if (i === -1) return false;
    left.splice(i, 1);
  }
  return true;
}

/** True when `granted` permits everything `requested` asks for. */
export function scopeCovers(granted: ResourceScope, requested: ResourceScope): boolean {
  if (granted.context !== requested.context) return false;
  if (granted.type !== '*' && granted.type !== requested.type) return false;
  for (const l of requested.letters) if (!granted.letters.has(l)) return false;
  return queryWithin(requested.query, granted.query);
}

/**
 * The part of `requested` that `allowed` permits, or undefined when nothing is: the same context, the
 * narrower type, the common letters, and a query no wider than `allowed`'s (a request without one gets
 * `allowed`'s; a request whose query does not narrow `allowed`'s gets nothing).
 */
export function intersectScope(requested: ResourceScope, allowed: ResourceScope): ResourceScope | undefined {
  if (requested.context !== allowed.context) return undefined;
  let type: string;
  if (requested.type === allowed.type) type = requested.type;
  else if (allowed.type === '*') type = requested.type;
  else if (requested.type === '*') type = allowed.type;
  else return undefined;
  const letters = new Set(ORDER.filter((l) => requested.letters.has(l) && allowed.letters.has(l)));
  if (letters.size === 0) return undefined;
  let query: Array<[string, string]> | undefined;
  if (!allowed.query) query = requested.query;
  else if (!requested.query) query = allowed.query;
  else if (queryWithin(requested.query, allowed.query)) query = requested.query;
  else return undefined;
  return makeScope(requested.context, type, letters, query, requested.version === 1);
}

/**
 * What a client asking for `requested` may be granted out of the scopes it is `allowed`. Non-resource
 * scopes pass only when listed in `allowed`; each resource scope is narrowed by every allowed scope
 * (one request may become several pieces), pieces covered by another piece are dropped. `dropped`
 * lists the requested tokens not granted in full (some may be granted in part, narrower).
 */
export function grantableScopes(requested: string, allowed: readonly string[]): { granted: string[]; dropped: string[] } {
  const allowedSet = new Set(allowed);
  const allowedResource = allowed.map(parseScope).filter((s): s is ResourceScope => s !== undefined);
  const pieces: ResourceScope[] = [];
  const nonResource: string[] = [];
  const dropped: string[] = [];
  for (const token of new Set(requested.split(' ').filter(Boolean))) {
    if (NON_RESOURCE_SCOPES.has(token)) {
      if (allowedSet.has(token)) nonResource.push(token);
      else dropped.push(token);
      continue;
    }
    const asked = parseScope(token);
    if (!asked) {
      dropped.push(token);
      continue;
    }
    const mine = allowedResource.map((a) => intersectScope(asked, a)).filter((s): s is ResourceScope => s !== undefined);
    if (!mine.some((piece) => scopeCovers(piece, asked))) dropped.push(token);
    pieces.push(...mine);
  }
  // Keep a piece unless another (earlier, when equal) piece already covers it.
  const kept = pieces.filter((p, i) => !pieces.some((q, j) => j !== i && scopeCovers(q, p) && (!scopeCovers(p, q) || j < i)));
  const granted = [...new Set([...nonResource, ...kept.map((p) => p.text)])];
  return { granted, dropped };
}

/** Plain nouns for the types members meet most (C4BB, US Core, PDex); others read "Type records". */
const NOUNS: Record<string, string> = {
  '*': 'health and insurance records',
  ExplanationOfBenefit: 'claims and explanations of benefit',
  Claim: 'claims',
  ClaimResponse: 'claim decisions',
  Coverage: 'insurance coverage',
  CoverageEligibilityRequest: 'coverage eligibility requests',
  CoverageEligibilityResponse: 'coverage eligibility answers',
  Patient: 'member profile (name, birth date, contact details)',
  Observation: 'test results and measurements',
  Condition: 'health conditions',
  MedicationRequest: 'prescriptions',
  MedicationDispense: 'pharmacy fills',
  MedicationStatement: 'medication history',
  Medication: 'medication information',
  AllergyIntolerance: 'allergies',
  Immunization: 'immunizations',
  Procedure: 'procedures',
  Encounter: 'visits',
  DiagnosticReport: 'lab and imaging reports',
  DocumentReference: 'clinical documents',
  CarePlan: 'care plans',
  CareTeam: 'care teams',
  Goal: 'health goals',
  Device: 'medical devices',
  ServiceRequest: 'referrals and orders',
  Organization: 'organizations (plans, clinics, pharmacies)',
  Practitioner: 'doctors and other providers',
  PractitionerRole: 'provider roles and locations',
  Location: 'care locations',
  InsurancePlan: 'insurance plan details',
  RelatedPerson: 'related people (caregivers, guardians)',
  Questionnaire: 'forms',
  QuestionnaireResponse: 'form answers',
  Consent: 'consents',
  Provenance: 'record sources (provenance)',
};

function nounFor(type: string): string {
  return NOUNS[type] ?? `${type} records`;
}

const VERBS: Record<ScopeLetter, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

function verbList(letters: ReadonlySet<ScopeLetter>): string {
  const words = ORDER.filter((l) => letters.has(l)).map((l) => VERBS[l]);
  const text = words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `http://…/observation-category|laboratory` reads as "laboratory"; OR-lists as "a or b". */
function describeValue(value: string): string {
  return value
    .split(',')
    .map((v) => (v.includes('|') ? v.slice(v.lastIndexOf('|') + 1) || v : v))
    .join(' or ');
}

function describeQuery(query: Array<[string, string]> | undefined): string {
  if (!query) return '';
  return ` (only with ${query.map(([k, v]) => `${k.replace(/^_/, '')} ${describeValue(v)}`).join(' and ')})`;
}

const OTHER: Record<string, string> = {
  openid: 'Confirm your identity when you sign in',
  fhirUser: 'Know who you are (your member or user record)',
  profile: 'See your name as you signed in',
  launch: 'Receive the context it was launched from (for example, the current member)',
  'launch/patient': 'Know which member you chose to share',
  'launch/encounter': 'Know which visit is open',
  offline_access: 'Keep access after you close the app, until you revoke it',
  online_access: 'Keep access while you are signed in',
};

/** Plain language for the consent page. */
export function describeScope(text: string): string {
  if (OTHER[text]) return OTHER[text];
  const scope = parseScope(text);
  if (!scope) return `An unrecognised permission: ${text}`;
  const verbs = verbList(scope.letters);
  const noun = nounFor(scope.type);
  const all = scope.type === '*' ? 'all ' : '';
  const query = describeQuery(scope.query);
  switch (scope.context) {
    case 'patient':
      return `${verbs} ${all}your ${noun}${query}`;
    case 'user':
      return `${verbs} ${all}${noun} you have access to${query}`;
    case 'system':
      return `${verbs} ${all}${noun} of any member, as a system without a user${query}`;
  }
}
