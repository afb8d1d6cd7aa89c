/**
 * Which resource types make up a patient's record, shared by `Patient/$everything` and the bulk
 * export: the types of R4's patient compartment (the Patient itself included), less the two that are
 * in the compartment but not part of the record. A Group is a list of *other* patients too (an
 * attribution list names thousands); AuditEvents are the server's own trail of who accessed the
 * record (every $everything would otherwise return the audit of the previous ones).
 *
 * Computed once per registry (fixed for the server's life), with, per type, its reference parameters
 * that can point outside the compartment (organizations, practitioners, locations…).
 */
import type { SearchRegistry } from '../search/registry.js';

export const NOT_A_PATIENT_RECORD: ReadonlySet<string> = new Set(['Group', 'AuditEvent']);

export interface DirectoryRef {
  code: string;
  /** The parameter's target types outside the compartment. */
  targets: string[];
  /** How many target types the parameter has in all. */
  allTargets: number;
}

interface RegistryFacts {
  compartment: ReadonlySet<string>;
  record: ReadonlySet<string>;
  directoryRefs: Map<string, DirectoryRef[]>;
}

const factsByRegistry = new WeakMap<SearchRegistry, RegistryFacts>();

function factsOf(registry: SearchRegistry): RegistryFacts {
  let facts = factsByRegistry.get(registry);
  if (!facts) {
    const compartment = new Set([...registry.resourceTypes].filter((t) => t === 'Patient' || registry.patientCompartmentParams(t).length > 0).sort());
    facts = { compartment, record: new Set([...compartment].filter((t) => !NOT_A_PATIENT_RECORD.has(t))), directoryRefs: new Map() };
    factsByRegistry.set(registry, facts);
  }
  return facts;
}

/** Every type of the patient compartment, as R4 defines it. */
export const compartmentTypes = (registry: SearchRegistry): ReadonlySet<string> => factsOf(registry).compartment;

/** The compartment types that are the patient's record (without Group and AuditEvent). */
export const patientRecordTypes = (registry: SearchRegistry): ReadonlySet<string> => factsOf(registry).record;

/** The reference parameters of a type that can point outside the compartment, with those targets. */
export function directoryRefsOf(registry: SearchRegistry, type: string): DirectoryRef[] {
  const facts = factsOf(registry);
  let refs = facts.directoryRefs.get(type);
  if (!refs) {
    refs = [];
    for (const def of registry.forType(type).values()) {
      if (def.type !== 'reference') continue;
      const targets = def.target.filter((t) => !facts.compartment.has(t));
      if (targets.length > 0) refs.push({ code: def.code, targets, allTargets: def.target.length });
    }
    facts.directoryRefs.set(type, refs);
  }
  return refs;
}
