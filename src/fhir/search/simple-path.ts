/**
 * A fast evaluator for the search parameter expressions that are nothing but member navigation:
 * `Type.a.b` or a union `Type.a | Type.b.c`. Most official SearchParameter expressions have this
 * shape, and the general FHIRPath engine spends most of its time wrapping every visited value in a
 * typed node; walking plain JSON gives the same collection in a fraction of the time.
 *
 * A branch may end in `.where(resolve() is Type)` on a Reference: it keeps the References whose
 * `reference` starts with `Type/`, which is what the engine evaluates after `rewriteResolve`.
 *
 * An expression compiles only when the R4 element definitions prove every step is a plain,
 * single-typed element (FHIRPath §5 "Navigation"; FHIR R4 fhirpath.html §2.1.9.1 for choice
 * elements, which need the model to pick `valueQuantity` for `value` and so are refused). Anything
 * else — functions, indexers, `is`/`as`, choice or Resource-typed steps, unknown elements — returns
 * undefined and the caller keeps the FHIRPath engine.
 *
 * The walk mirrors fhirpath.js 5.x `makeChildResNodes` and `prepareEvalResult` with
 * `resolveInternalTypes: true`: a primitive's `_name` sibling (id/extension) travels with it, values
 * whose JSON is null (only a `_name` entry) are dropped from the result, numbers come back as
 * numbers, and `|` removes duplicates the way fhirpath's `distinct` does.
 */
import type { Bundle, ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

export type PathEvaluator = (resource: unknown) => unknown[];

interface ElementFacts {
  types: string[];
  contentReference?: string;
}

/** Element definitions by path (`Patient.name`, `HumanName.family`) and the names of complex types / resources. */
export interface ElementIndex {
  readonly elements: ReadonlyMap<string, ElementFacts>;
  readonly structures: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
}

/** Build the index from the base R4 StructureDefinition bundles (profiles-types.json, profiles-resources.json). */
export function elementIndexFrom(bundles: Bundle[]): ElementIndex {
  const elements = new Map<string, ElementFacts>();
  const structures = new Set<string>();
  const resources = new Set<string>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (!sd || sd.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint' || !sd.name) continue;
      if (sd.kind !== 'complex-type' && sd.kind !== 'resource') continue;
      structures.add(sd.name);
      if (sd.kind === 'resource') resources.add(sd.name);
      for (const el of (sd.snapshot?.element ?? []) as ElementDefinition[]) {
        if (!el.path) continue;
        elements.set(el.path, { types: (el.type ?? []).map((t) => t.code ?? ''), contentReference: el.contentReference });
      }
    }
  }
  return { elements, structures, resources };
}

// Types whose values fhirpath compares by meaning rather than by JSON in `|` (FP_DateTime, FP_Quantity),
// so duplicates it removes could differ from the ones a JSON comparison removes.
const MEANING_COMPARED = new Set(['date', 'dateTime', 'instant', 'time', 'Quantity', 'Age', 'Count', 'Distance', 'Duration', 'SimpleQuantity', 'MoneyQuantity']);

const BRANCH = /^[A-Z][A-Za-z]*(\.[a-z][A-Za-z0-9]*)+$/;

/** The steps after the type of one union branch, or undefined if a step is not a plain element. Also its final type. */
function checkBranch(branch: string, index: ElementIndex): { type: string; steps: string[]; finalType: string } | undefined {
  if (!BRANCH.test(branch)) return undefined;
  const [type, ...steps] = branch.split('.');
  if (!index.resources.has(type)) return undefined;
  let path = type;
  let finalType = type;
  let leaf = false;
  for (const step of steps) {
    if (leaf) return undefined; // navigating into a primitive (its id/extension) is left to the engine
    const facts = index.elements.get(`${path}.${step}`);
    if (!facts) return undefined; // unknown, or a choice element (defined as `step[x]`)
    if (facts.contentReference) {
      path = facts.contentReference.replace(/^.*#/, '');
      finalType = 'BackboneElement';
      continue;
    }
    if (facts.types.length !== 1) return undefined;
    const code = facts.types[0];
    if (code === 'Resource' || index.resources.has(code)) return undefined; // contained / Bundle.entry.resource: typed by data
    if (code === 'BackboneElement' || code === 'Element') path = `${path}.${step}`;
    else if (index.structures.has(code)) path = code;
    else leaf = true;
    finalType = code;
  }
  return { type, steps, finalType };
}

type Json = Record<string, unknown>;
/** One value in the collection and its `_name` sibling (fhirpath's ResourceNode data/_data). */
interface Item {
  v: unknown;
  u: unknown;
}

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isSome = (x: unknown): boolean => x !== null && x !== undefined && !(Array.isArray(x) && x.length === 0);

/** fhirpath.js util.makeChildResNodes without the model: the children of one item under `prop`. */
function children(item: Item, prop: string, out: Item[]): void {
  let toAdd = isObject(item.v) ? item.v[prop] : undefined;
  const under = isObject(item.v) ? item.v[`_${prop}`] : undefined;
  if (toAdd === undefined && under === undefined && isObject(item.u)) toAdd = item.u[prop];
  if (!isSome(toAdd) && !isSome(under)) return;
  if (Array.isArray(toAdd)) {
    const us = Array.isArray(under) ? under : undefined;
    toAdd.forEach((v, i) => out.push({ v, u: us ? us[i] : undefined }));
    for (let i = toAdd.length; i < (us?.length ?? 0); i++) out.push({ v: null, u: us![i] });
    return;
  }
  if ((toAdd === null || toAdd === undefined) && Array.isArray(under)) {
    for (const u of under) out.push({ v: null, u });
    return;
  }
  out.push({ v: toAdd, u: under });
}

function walk(resource: unknown, type: string, steps: string[]): Item[] {
  if (!isObject(resource) || resource.resourceType !== type) return [];
  let current: Item[] = [{ v: resource, u: undefined }];
  for (const step of steps) {
    const next: Item[] = [];
    for (const item of current) children(item, step, next);
    if (next.length === 0) return next;
    current = next;
  }
  return current;
}

// fhirpath numbers.js: numbers are equal when equal after rounding to 1e-8.
const roundNumber = (x: number): number => Math.round(x / 1e-8) * 1e-8;

/** fhirpath deep-equal.js on plain JSON: same keys, equal values, numbers compared after rounding. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return roundNumber(a) === roundNumber(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const bo = b as Json;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual((a as Json)[k], bo[k]));
}

/** A primitive is the same value only with the same `_name` data too (deep-equal.js compares `_data`). */
const itemEqual = (x: Item, y: Item): boolean => jsonEqual(x.v, y.v) && jsonEqual(x.u ?? null, y.u ?? null);

function distinct(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const item of items) if (!out.some((o) => itemEqual(o, item))) out.push(item);
  return out;
}

const values = (items: Item[]): unknown[] => items.filter((i) => i.v !== null && i.v !== undefined).map((i) => i.v);

/**
 * Official expressions use `resolve() is Patient`, which needs a resolver at extraction time.
 * A reference string `Patient/…` carries the same fact, so the check is rewritten to look at it.
 */
export function rewriteResolve(expr: string): string {
  return expr.replace(/\.where\(resolve\(\) is (\w+)\)/g, ".where(reference.startsWith('$1/'))");
}

/** `path.where(reference.startsWith('Type/'))`, the rewritten `resolve() is Type` check on a Reference. */
const TYPED_REFERENCE = /^(.+)\.where\(reference\.startsWith\('([A-Z][A-Za-z]*\/)'\)\)$/;

interface Branch {
  type: string;
  steps: string[];
  finalType: string;
  /** Keep only References whose `reference` starts with this (`Patient/`). */
  referencePrefix?: string;
}

function parseBranch(branch: string, index: ElementIndex): Branch | undefined {
  const typed = TYPED_REFERENCE.exec(branch);
  if (!typed) return checkBranch(branch, index);
  const path = checkBranch(typed[1], index);
  return path?.finalType === 'Reference' ? { ...path, referencePrefix: typed[2] } : undefined;
}

function walkBranch(resource: unknown, b: Branch): Item[] {
  const items = walk(resource, b.type, b.steps);
  const prefix = b.referencePrefix;
  if (prefix === undefined) return items;
  return items.filter((i) => isObject(i.v) && typeof i.v.reference === 'string' && i.v.reference.startsWith(prefix));
}

/**
 * Compile `expression` if it is a union of plain member paths (each optionally ending in the
 * `resolve() is Type` check on a Reference, read as `rewriteResolve` does), else undefined (use the
 * FHIRPath engine). The result equals fhirpath.js `compile(rewriteResolve(expression), r4,
 * { resolveInternalTypes: true })` on valid resources.
 */
export function compileSimplePath(expression: string, index: ElementIndex): PathEvaluator | undefined {
  const branches = rewriteResolve(expression).split(' | ').map((b) => b.trim());
  const checked = branches.map((b) => (b.includes('|') ? undefined : parseBranch(b, index)));
  if (checked.some((c) => c === undefined)) return undefined;
  const paths = checked as Branch[];
  if (paths.length === 1) {
    const [only] = paths;
    return (resource) => values(walkBranch(resource, only));
  }
  if (paths.some((p) => MEANING_COMPARED.has(p.finalType))) return undefined;
  return (resource) => values(distinct(paths.flatMap((p) => walkBranch(resource, p))));
}
