// Compiles ElementDefinition.constraint[].expression with fhirpath.js (R4 model) once, at
// profile load. Two functions are supplied locally because the server validates without a
// terminology server and without fetching referenced resources:
//  - memberOf(url): answered from the local ValueSets (profiles/valuesets/ and R4 core);
//    an unknown or non-enumerable ValueSet yields empty (the invariant is then not failed by it).
//  - resolve(): a literal reference "Type/id", relative or absolute ("https://other/fhir/Type/id",
//    as data received from another server keeps it), resolves to a stub that carries only its
//    resourceType, so type tests such as `provider.all(resolve() is Practitioner)` work; nothing
//    else about the target is known. Other references resolve to nothing.
// An invariant passes when it evaluates to true or to empty, and fails only on false.
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { ElementDefinitionConstraint } from '@medplum/fhirtypes';
import { codeMembership, codingMembership, type ExpandedValueSet, type Membership } from './value-set-index.js';

export type ValueSetLookup = (url: string) => ExpandedValueSet | undefined;

export interface CompiledInvariant {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression: string;
  /** true = holds, false = violated; throws only if the expression itself cannot run. */
  holds(context: unknown, resource: unknown): boolean;
}

interface FhirPathNode {
  data: unknown;
  constructor: { makeResNode(ctx: unknown, data: unknown, parent: null, path: null, data2: null, type: null): unknown };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function membershipOf(value: unknown, valueSet: ExpandedValueSet): Membership {
  if (typeof value === 'string') return codeMembership(valueSet, value);
  if (!isRecord(value)) return 'unknown';
  if (Array.isArray(value['coding'])) {
    const results = value['coding'].map((coding) => membershipOf(coding, valueSet));
    if (results.includes('in')) return 'in';
    return results.includes('unknown') ? 'unknown' : 'out';
  }
  const system = typeof value['system'] === 'string' ? value['system'] : undefined;
  const code = typeof value['code'] === 'string' ? value['code'] : undefined;
  return code === undefined ? 'unknown' : codingMembership(valueSet, system, code);
}

function invocationTable(lookupValueSet: ValueSetLookup): Record<string, unknown> {
  return {
    memberOf: {
      fn: (inputs: unknown[], url: string): boolean[] => {
        const valueSet = lookupValueSet(url);
        if (!valueSet || inputs.length !== 1) return [];
        const result = membershipOf(inputs[0], valueSet);
        return result === 'unknown' ? [] : [result === 'in'];
      },
      arity: { 1: ['String'] },
    },
    resolve: {
      internalStructures: true,
      fn: function (this: unknown, inputs: FhirPathNode[]): unknown[] {
        const resolved: unknown[] = [];
        for (const node of inputs) {
          const data = node.data;
          const reference = isRecord(data) && typeof data['reference'] === 'string' ? data['reference'] : undefined;
          // Relative, or absolute with the R4 literal-reference shape (references.html): the type is the segment before the id.
          const type = reference ? /^(?:https?:\/\/[^\s?#]+\/)?([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference)?.[1] : undefined;
          if (type) resolved.push(node.constructor.makeResNode(this, { resourceType: type }, null, null, null, null));
        }
        return resolved;
      },
      arity: { 0: [] },
    },
  };
}

/**
 * @param basePath element path without slice names, e.g. `ExplanationOfBenefit.careTeam`;
 *   it gives fhirpath.js the type of the context node.
 */
export function compileInvariant(
  constraint: ElementDefinitionConstraint,
  basePath: string,
  lookupValueSet: ValueSetLookup,
): CompiledInvariant {
  const expression = constraint.expression ?? 'true';
  const evaluate = fhirpath.compile({ base: basePath, expression }, r4, {
    userInvocationTable: invocationTable(lookupValueSet) as never,
  });
  return {
    key: constraint.key,
    severity: constraint.severity === 'warning' ? 'warning' : 'error',
    human: constraint.human,
    expression,
    holds(context, resource) {
      const result: unknown[] = evaluate(context, { resource, rootResource: resource });
      return !(result.length === 1 && result[0] === false);
    },
  };
}
