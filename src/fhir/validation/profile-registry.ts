// Loads the profiles the server declares: every *.json StructureDefinition in the top-level
// profiles/ folder and every ValueSet/CodeSystem in profiles/valuesets/. Profiles are compiled
// once at load (FHIRPath invariants included), base profiles before the profiles built on them.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { compileProfile, slicingById, type CompiledProfile, type Discriminator } from './profile-compiler.js';
import { r4ValueSetIndex } from './r4-definitions.js';
import { buildValueSetIndex, stripVersion, type ExpandedValueSet } from './value-set-index.js';

export interface DeclaredProfile {
  url: string;
  version?: string;
  type: string;
  name: string;
  title?: string;
}

export interface ProfileRegistry {
  /** A profile by canonical URL (`|version` ignored). */
  get(canonical: string): CompiledProfile | undefined;
  /** The profile followed by its loaded ancestors (baseDefinition chain), most specific first. */
  chain(canonical: string): CompiledProfile[];
  /** Non-abstract profiles, for CapabilityStatement.rest.resource.supportedProfile. */
  declaredProfiles(): DeclaredProfile[];
  all(): CompiledProfile[];
}

const FHIR_BASE = 'http://hl7.org/fhir/StructureDefinition/';

/** Target profiles referenced by our profiles but not shipped in profiles/ (IG canonical → type). */
const KNOWN_EXTERNAL_PROFILE_TYPES: Record<string, string> = {
  'http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-RelatedPerson': 'RelatedPerson',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-relatedperson': 'RelatedPerson',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole': 'PractitionerRole',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-location': 'Location',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication': 'Medication',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-specimen': 'Specimen',
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-careteam': 'CareTeam',
  'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-coverage': 'Coverage',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-beneficiary': 'Patient',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-insurer': 'Organization',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-requestor': 'Organization',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-organization': 'Organization',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-practitioner': 'Practitioner',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-coverage': 'Coverage',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-practitionerrole': 'PractitionerRole',
  'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-communicationrequest': 'CommunicationRequest',
};

/** profiles/ at the repository root, whether running from src/ (tsx) or dist/src/ (tsc). */
export function defaultProfilesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../..', '../../../..']) {
    const candidate = resolve(here, up, 'profiles');
    if (existsSync(candidate)) return candidate;
  }
  return resolve(process.cwd(), 'profiles');
}

function readJsonFiles(dir: string): unknown[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      } catch (err) {
        throw new Error(`profiles: ${file} is not valid JSON`, { cause: err });
      }
    });
}

export function createProfileRegistry(
  structureDefinitions: readonly StructureDefinition[],
  terminology: ReadonlyArray<ValueSet | CodeSystem>,
): ProfileRegistry {
  const localValueSets = buildValueSetIndex(terminology);
  const r4 = r4ValueSetIndex();
  const lookupValueSet = (url: string): ExpandedValueSet | undefined => localValueSets.expand(url) ?? r4.expand(url);
  const raw = new Map<string, StructureDefinition>();
  for (const sd of structureDefinitions) {
    if (!sd.url) throw new Error('profiles: a StructureDefinition has no url');
    if (raw.has(sd.url)) throw new Error(`profiles: ${sd.url} is defined twice`);
    raw.set(sd.url, sd);
  }
  const typeOfProfile = (url: string): string | undefined => {
    const canonical = stripVersion(url);
    const own = raw.get(canonical)?.type;
    if (own) return own;
    if (canonical.startsWith(FHIR_BASE)) return canonical.slice(FHIR_BASE.length);
    return KNOWN_EXTERNAL_PROFILE_TYPES[canonical];
  };

  const compiled = new Map<string, CompiledProfile>();
  const slicing = new Map<string, Map<string, Discriminator[]>>();
  const compileWithBases = (url: string, visiting: Set<string>): CompiledProfile => {
    const done = compiled.get(url);
    if (done) return done;
    if (visiting.has(url)) throw new Error(`profiles: baseDefinition cycle at ${url}`);
    visiting.add(url);
    const sd = raw.get(url) as StructureDefinition;
    const base = sd.baseDefinition ? stripVersion(sd.baseDefinition) : undefined;
    const ancestors: string[] = [];
    for (let b = base; b && raw.has(b); b = stripVersion(raw.get(b)?.baseDefinition ?? '')) {
      compileWithBases(b, visiting);
      ancestors.push(b);
    }
    let profile: CompiledProfile;
    try {
      profile = compileProfile(sd, {
        lookupValueSet,
        typeOfProfile,
        inheritedSlicing: (id) => ancestors.map((a) => slicing.get(a)?.get(id)).find((d) => d !== undefined),
      });
    } catch (err) {
      throw new Error(`profiles: ${url}: ${(err as Error).message}`, { cause: err });
    }
    compiled.set(url, profile);
    slicing.set(url, slicingById(profile));
    return profile;
  };
  for (const url of raw.keys()) compileWithBases(url, new Set());

  const get = (canonical: string): CompiledProfile | undefined => compiled.get(stripVersion(canonical));
  return {
    get,
    chain(canonical) {
      const out: CompiledProfile[] = [];
      for (let p = get(canonical); p && !out.includes(p); p = p.baseDefinition ? get(p.baseDefinition) : undefined) out.push(p);
      return out;
    },
    declaredProfiles() {
      return [...compiled.values()]
        .filter((p) => !p.abstract)
        .map((p) => {
          const declared: DeclaredProfile = { url: p.url, type: p.type, name: p.name };
          if (p.version) declared.version = p.version;
          if (p.title) declared.title = p.title;
          return declared;
        })
        .sort((a, b) => a.type.localeCompare(b.type) || a.url.localeCompare(b.url));
    },
    all: () => [...compiled.values()],
  };
}

function isStructureDefinition(value: unknown): value is StructureDefinition {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === 'StructureDefinition';
}

function isTerminology(value: unknown): value is ValueSet | CodeSystem {
  const type = typeof value === 'object' && value !== null ? (value as { resourceType?: unknown }).resourceType : undefined;
  return type === 'ValueSet' || type === 'CodeSystem';
}

/** Reads profiles/*.json and profiles/valuesets/*.json; throws on a malformed file (a startup error). */
export function loadProfileRegistry(dir: string = defaultProfilesDir()): ProfileRegistry {
  const profiles = readJsonFiles(dir);
  const notProfiles = profiles.filter((p) => !isStructureDefinition(p));
  if (notProfiles.length > 0) throw new Error(`profiles: ${notProfiles.length} file(s) in ${dir} are not StructureDefinitions`);
  const terminology = readJsonFiles(join(dir, 'valuesets')).filter(isTerminology);
  return createProfileRegistry(profiles.filter(isStructureDefinition), terminology);
}
