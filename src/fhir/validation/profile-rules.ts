// Evaluates a compiled profile differential against a resource (R4 §profiling).
//
// Supported subset of StructureDefinition semantics (also listed in profiles/README.md):
//  - min/max cardinality of every differential element, evaluated once per existing parent, so
//    an element is required only where its parent exists; choice elements (`value[x]`) count
//    every valueXxx key, a typed choice (`value[x]:valueQuantity`) counts only its key; a
//    primitive present only as `_name` (extensions, e.g. data-absent-reason) counts as present.
//    max "0" reports the element as prohibited.
//  - fixed[x] (exact equality) and pattern[x] (the value contains the pattern; repeating
//    pattern items must each match some instance item).
//  - binding.strength = required, when the ValueSet can be expanded from profiles/valuesets/ or
//    the R4 core terminology: code, Coding and CodeableConcept (at least one coding in the set).
//    A ValueSet that only names a code system ("all codes from system X") checks the system.
//  - type[].code on choice elements (which valueXxx keys are allowed).
//  - type[].targetProfile: the resource type of literal references (`Type/id`, absolute URLs,
//    `#contained`); only when every target profile's resource type is known.
//  - constraint[] FHIRPath invariants (fhirpath.js, R4 model; see fhirpath-invariants.ts for
//    memberOf/resolve), with their declared severity.
//  - slicing with discriminator type `value` or `pattern` on `$this` or a simple path, matched
//    against the slice's fixed/pattern/required-binding at that path; extension slices match on
//    url. Each slice's min/max counts the matching elements; the slice's own rules apply to them.
//    Other discriminator types (type, profile, exists) are not evaluated. Closed slicing
//    (`rules: closed`) reports an element matching none of the slices, when every slice of it
//    could be judged with this subset.
//  - baseDefinition chains: a profile whose base is another loaded profile is also validated
//    against it (done by validate-resource.ts); slicing is inherited from the base.
// Not supported: mustSupport (a client/server obligation, not an instance rule), snapshot
// generation, extensible/preferred bindings, type[].profile on non-extension elements,
// maxLength, minValue/maxValue, contentReference, slicing `ordered` and `openAtEnd`.
import type { CompiledProfile, Discriminator, RuleNode } from './profile-compiler.js';
import { childPath, elementValues, type ElementValue } from './element-values.js';
import { equalsFixed, matchesPattern } from './pattern-match.js';
import { codeMembership, codingMembership, type ExpandedValueSet, type Membership } from './value-set-index.js';
import type { ValidationIssue } from './validation-issue.js';

interface Run {
  profile: string;
  resource: Record<string, unknown>;
  issues: ValidationIssue[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function report(run: Run, severity: 'error' | 'warning', code: string, rule: string, diagnostics: string, path: string): void {
  run.issues.push({ severity, code, diagnostics, expression: [path], profile: run.profile, rule });
}

function membership(value: unknown, valueSet: ExpandedValueSet): Membership {
  if (typeof value === 'string') return codeMembership(valueSet, value);
  if (!isRecord(value)) return 'unknown';
  if ('coding' in value || 'text' in value) {
    const codings = Array.isArray(value['coding']) ? value['coding'] : [];
    const results = codings.map((coding) => membership(coding, valueSet));
    if (results.includes('in')) return 'in';
    return results.includes('unknown') ? 'unknown' : 'out';
  }
  const code = typeof value['code'] === 'string' ? value['code'] : undefined;
  const system = typeof value['system'] === 'string' ? value['system'] : undefined;
  return code === undefined && system === undefined ? 'unknown' : codingMembership(valueSet, system, code);
}

function referencedType(reference: unknown, resource: Record<string, unknown>): string | undefined {
  if (!isRecord(reference) || typeof reference['reference'] !== 'string') return undefined;
  const literal = reference['reference'];
  if (literal.startsWith('#')) {
    const contained = Array.isArray(resource['contained']) ? resource['contained'] : [];
    const target: unknown = contained.find((c) => isRecord(c) && c['id'] === literal.slice(1));
    return isRecord(target) && typeof target['resourceType'] === 'string' ? target['resourceType'] : undefined;
  }
  return /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(literal)?.[1];
}

function checkCardinality(run: Run, node: RuleNode, count: number, path: string): void {
  const label = node.sliceName ? `Slice '${node.sliceName}' of ${path}` : path;
  if (node.min !== undefined && count < node.min) {
    const what = node.sliceName ? `requires at least ${node.min} matching element(s)` : `is required (min ${node.min})`;
    report(run, 'error', 'required', node.sliceName ? 'slice-min' : 'min', `${label} ${what}, found ${count}`, path);
  }
  if (node.max !== undefined && count > node.max) {
    const what = node.max === 0 ? 'is not allowed by this profile' : `allows at most ${node.max}, found ${count}`;
    report(run, 'error', 'structure', node.sliceName ? 'slice-max' : 'max', `${label} ${what}`, path);
  }
}

function checkValue(run: Run, node: RuleNode, item: ElementValue, path: string): void {
  const value = item.value;
  if (node.fixed !== undefined && !equalsFixed(value, node.fixed)) {
    report(run, 'error', 'value', 'fixed', `${path} must equal the value fixed by the profile`, path);
  }
  if (node.pattern !== undefined && !matchesPattern(value, node.pattern)) {
    report(run, 'error', 'value', 'pattern', `${path} does not match the pattern required by the profile`, path);
  }
  if (node.binding && !item.key.startsWith('_') && membership(value, node.binding.expanded) === 'out') {
    report(run, 'error', 'code-invalid', 'binding', `${path} has no code from the required value set ${node.binding.valueSet}`, path);
  }
  if (node.choiceTypes && node.name.endsWith('[x]')) {
    const prefix = node.name.slice(0, -3);
    const typeName = item.key.replace(/^_/, '').slice(prefix.length);
    if (!node.choiceTypes.some((code) => code.toLowerCase() === typeName.toLowerCase())) {
      report(run, 'error', 'structure', 'type', `${path} must be one of: ${node.choiceTypes.join(', ')}`, path);
    }
  }
  if (node.targetTypes) {
    const type = referencedType(value, run.resource);
    if (type !== undefined && !node.targetTypes.includes(type)) {
      report(run, 'error', 'value', 'target', `${path} must reference ${node.targetTypes.join(' or ')}, not ${type}`, path);
    }
  }
  for (const invariant of node.invariants) {
    let holds: boolean;
    try {
      holds = invariant.holds(value, run.resource);
    } catch {
      report(run, 'warning', 'invariant', invariant.key, `Invariant ${invariant.key} could not be evaluated`, path);
      continue;
    }
    if (!holds) report(run, invariant.severity, 'invariant', invariant.key, `Constraint ${invariant.key} not met: ${invariant.human}`, path);
  }
}

/** Values reached from `value` by a dotted discriminator path (`$this` = the value itself). */
function valuesAtPath(value: unknown, path: string): unknown[] {
  if (path === '$this') return [value];
  let current: unknown[] = [value];
  for (const segment of path.split('.')) current = current.flatMap((v) => elementValues(v, segment).map((e) => e.value));
  return current;
}

/** The node describing `path` inside a slice, walking its children (typed choice keys included). */
function nodeAtPath(slice: RuleNode, path: string): RuleNode | undefined {
  if (path === '$this') return slice;
  let node: RuleNode | undefined = slice;
  for (const segment of path.split('.')) node = node?.children.get(segment) ?? node?.children.get(`${segment}[x]`);
  return node;
}

/** true / false, or undefined when this slice cannot be recognised with our subset. */
export function sliceMatches(slice: RuleNode, discriminators: Discriminator[], value: unknown): boolean | undefined {
  for (const discriminator of discriminators) {
    if (discriminator.type !== 'value' && discriminator.type !== 'pattern') return undefined;
    const actual = valuesAtPath(value, discriminator.path);
    if (discriminator.path === 'url' && slice.extensionUrl) {
      if (!actual.includes(slice.extensionUrl)) return false;
      continue;
    }
    const target = nodeAtPath(slice, discriminator.path);
    if (!target) return undefined;
    let matched: boolean;
    if (target.fixed !== undefined) matched = actual.some((a) => equalsFixed(a, target.fixed));
    else if (target.pattern !== undefined) matched = actual.some((a) => matchesPattern(a, target.pattern));
    else if (target.binding) {
      const valueSet = target.binding.expanded;
      matched = actual.some((a) => membership(a, valueSet) === 'in');
    } else return undefined;
    if (!matched) return false;
  }
  return true;
}

function evaluateItems(run: Run, node: RuleNode, items: ElementValue[], parentPath: string): void {
  for (const item of items) {
    const path = childPath(parentPath, item);
    checkValue(run, node, item, path);
    for (const child of node.children.values()) evaluateElement(run, child, elementValues(item.value, child.name), path);
  }
}

function evaluateElement(run: Run, node: RuleNode, items: ElementValue[], parentPath: string): void {
  checkCardinality(run, node, items.length, `${parentPath}.${node.name}`);
  evaluateItems(run, node, items, parentPath);
  if (node.slices.size === 0 || !node.slicing) return;
  const discriminators = node.slicing;
  const inSomeSlice = items.map(() => false);
  let allRecognised = true;
  for (const slice of node.slices.values()) {
    const matches = items.map((item) => sliceMatches(slice, discriminators, item.value));
    // A slice we cannot recognise with the supported discriminators is skipped, not guessed.
    if (matches.includes(undefined)) {
      allRecognised = false;
      continue;
    }
    matches.forEach((m, i) => (inSomeSlice[i] ||= m === true));
    const members = items.filter((_, i) => matches[i] === true);
    checkCardinality(run, slice, members.length, `${parentPath}.${node.name}`);
    evaluateItems(run, slice, members, parentPath);
  }
  // Closed slicing: an item in none of the slices is an error, when every slice could be judged.
  if (node.closedSlicing && allRecognised) {
    items.forEach((item, i) => {
      if (inSomeSlice[i]) return;
      const names = [...node.slices.values()].map((sl) => sl.sliceName).join(', ');
      report(run, 'error', 'structure', 'closed-slicing', `${node.id} is sliced closed: this element matches none of its slices (${names})`, childPath(parentPath, item));
    });
  }
}

/** Issues for one profile's own differential (its base profiles are evaluated separately). */
export function evaluateProfile(profile: CompiledProfile, resource: Record<string, unknown>): ValidationIssue[] {
  const run: Run = { profile: profile.url, resource, issues: [] };
  const root = profile.root;
  const rootItem: ElementValue = { value: resource, key: root.name, index: undefined };
  checkValue(run, root, rootItem, root.name);
  for (const child of root.children.values()) evaluateElement(run, child, elementValues(resource, child.name), root.name);
  return run.issues;
}
