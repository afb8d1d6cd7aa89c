// Turns a StructureDefinition's differential into a tree of element rules that
// profile-rules.ts evaluates. See profile-rules.ts for the supported subset of
// StructureDefinition semantics; this file only parses.
//
// Element ids are read as SUSHI writes them (R4 §elementdefinition "id"):
//   Type.a.b            nested element
//   Type.a:slice.b      element b inside slice `slice` of a
//   Type.value[x]       choice element (any valueXxx key)
//   Type.value[x]:valueQuantity or Type.valueQuantity   one type of a choice
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { compileInvariant, type CompiledInvariant, type ValueSetLookup } from './fhirpath-invariants.js';
import { choiceProperty } from './pattern-match.js';
import { stripVersion, type ExpandedValueSet } from './value-set-index.js';

export interface Discriminator {
  type: string;
  path: string;
}

export interface RuleNode {
  /** JSON element name: `supportingInfo`, `value[x]` or a typed choice key such as `valueQuantity`. */
  name: string;
  id: string;
  /** Path without slice names, used as the FHIRPath type context of invariants. */
  elementPath: string;
  sliceName?: string;
  min?: number;
  max?: number;
  fixed?: unknown;
  pattern?: unknown;
  binding?: { valueSet: string; expanded: ExpandedValueSet };
  /** Resource types a Reference may point to (from type[].targetProfile); absent = not checked. */
  targetTypes?: string[];
  /** Allowed type codes of a choice element (from type[].code). */
  choiceTypes?: string[];
  /** Extension profile URL of an extension slice (its implicit `url` discriminator). */
  extensionUrl?: string;
  invariants: CompiledInvariant[];
  slicing?: Discriminator[];
  /** `slicing.rules = closed` declared here: every item must belong to one of the slices. */
  closedSlicing?: boolean;
  children: Map<string, RuleNode>;
  slices: Map<string, RuleNode>;
}

export interface CompiledProfile {
  url: string;
  version?: string;
  name: string;
  title?: string;
  type: string;
  baseDefinition?: string;
  abstract: boolean;
  root: RuleNode;
  /** Required bindings whose ValueSet cannot be expanded locally (reported, not checked). */
  uncheckedBindings: string[];
}

export interface CompileContext {
  lookupValueSet: ValueSetLookup;
  /** Resource type constrained by a profile URL, when known. */
  typeOfProfile(url: string): string | undefined;
  /** Slicing declared for the same element id by an ancestor profile. */
  inheritedSlicing(id: string): Discriminator[] | undefined;
}

function newNode(name: string, id: string, elementPath: string, sliceName?: string): RuleNode {
  const node: RuleNode = { name, id, elementPath, invariants: [], children: new Map(), slices: new Map() };
  if (sliceName !== undefined) node.sliceName = sliceName;
  return node;
}

/** Finds (creating as needed) the node for an element id. */
function nodeFor(root: RuleNode, id: string): RuleNode {
  const segments = id.split('.');
  let node = root;
  let elementPath = root.elementPath;
  let idSoFar = segments[0] as string;
  for (const segment of segments.slice(1)) {
    idSoFar += `.${segment}`;
    const colon = segment.indexOf(':');
    let name = colon === -1 ? segment : segment.slice(0, colon);
    let sliceName = colon === -1 ? undefined : segment.slice(colon + 1);
    if (sliceName !== undefined && name.endsWith('[x]') && sliceName.startsWith(name.slice(0, -3))) {
      name = sliceName; // value[x]:valueQuantity is the valueQuantity key
      sliceName = undefined;
    }
    elementPath += `.${name.replace(/\[x\]$/, '')}`;
    let child = node.children.get(name);
    if (!child) node.children.set(name, (child = newNode(name, sliceName === undefined ? idSoFar : idSoFar.slice(0, idSoFar.lastIndexOf(':')), elementPath)));
    if (sliceName === undefined) {
      node = child;
    } else {
      let slice = child.slices.get(sliceName);
      if (!slice) child.slices.set(sliceName, (slice = newNode(name, idSoFar, elementPath, sliceName)));
      node = slice;
    }
  }
  return node;
}

function applyElement(node: RuleNode, element: ElementDefinition, profileUrl: string, ctx: CompileContext, unchecked: string[]): void {
  if (element.min !== undefined) node.min = element.min;
  if (element.max !== undefined) node.max = element.max === '*' ? Number.POSITIVE_INFINITY : Number(element.max);
  const fixed = choiceProperty(element, 'fixed');
  if (fixed !== undefined) node.fixed = fixed;
  const pattern = choiceProperty(element, 'pattern');
  if (pattern !== undefined) node.pattern = pattern;
  const binding = element.binding;
  if (binding?.strength === 'required' && binding.valueSet) {
    const expanded = ctx.lookupValueSet(binding.valueSet);
    if (expanded) node.binding = { valueSet: stripVersion(binding.valueSet), expanded };
    else unchecked.push(`${element.id ?? element.path}: ${binding.valueSet}`);
  }
  const types = element.type ?? [];
  const targets = types.flatMap((t) => t.targetProfile ?? []);
  if (targets.length > 0) {
    const resolved = targets.map((url) => ctx.typeOfProfile(url));
    if (resolved.every((t): t is string => t !== undefined)) node.targetTypes = [...new Set(resolved)];
  }
  if (node.name.endsWith('[x]') && types.length > 0) node.choiceTypes = types.map((t) => t.code);
  const extensionProfile = types.find((t) => t.code === 'Extension')?.profile?.[0];
  if (extensionProfile) node.extensionUrl = extensionProfile;
  if (element.slicing?.discriminator?.length) {
    node.slicing = element.slicing.discriminator.map((d) => ({ type: d.type ?? 'value', path: d.path ?? '$this' }));
  }
  if (element.slicing?.rules === 'closed') node.closedSlicing = true;
  for (const constraint of element.constraint ?? []) {
    if (!constraint.expression) continue;
    try {
      node.invariants.push(compileInvariant(constraint, node.elementPath, ctx.lookupValueSet));
    } catch (err) {
      throw new Error(`Profile ${profileUrl}: invariant ${constraint.key} does not compile: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Gives every sliced element its discriminators, inherited ones included; extensions slice by url. */
function resolveSlicing(node: RuleNode, ctx: CompileContext): void {
  if (node.slices.size > 0 && !node.slicing) {
    const inherited = ctx.inheritedSlicing(node.id);
    if (inherited) node.slicing = inherited;
    else if (node.name === 'extension' || node.name === 'modifierExtension') node.slicing = [{ type: 'value', path: 'url' }];
  }
  for (const child of node.children.values()) resolveSlicing(child, ctx);
  for (const slice of node.slices.values()) resolveSlicing(slice, ctx);
}

export function compileProfile(sd: StructureDefinition, ctx: CompileContext): CompiledProfile {
  if (sd.resourceType !== 'StructureDefinition' || !sd.url || !sd.type || !sd.name) {
    throw new Error('Not a StructureDefinition with url, name and type');
  }
  if (sd.derivation !== 'constraint') throw new Error(`Profile ${sd.url}: only derivation "constraint" is supported`);
  const root = newNode(sd.type, sd.type, sd.type);
  const uncheckedBindings: string[] = [];
  for (const element of sd.differential?.element ?? []) {
    const id = element.id ?? element.path;
    if (!id.startsWith(sd.type)) throw new Error(`Profile ${sd.url}: element ${id} is not under ${sd.type}`);
    applyElement(nodeFor(root, id), element, sd.url, ctx, uncheckedBindings);
  }
  resolveSlicing(root, ctx);
  const profile: CompiledProfile = { url: sd.url, name: sd.name, type: sd.type, abstract: sd.abstract === true, root, uncheckedBindings };
  if (sd.version) profile.version = sd.version;
  if (sd.title) profile.title = sd.title;
  if (sd.baseDefinition) profile.baseDefinition = stripVersion(sd.baseDefinition);
  return profile;
}

/** All sliced elements of a compiled profile by element id, for descendants to inherit. */
export function slicingById(profile: CompiledProfile): Map<string, Discriminator[]> {
  const out = new Map<string, Discriminator[]>();
  const visit = (node: RuleNode): void => {
    if (node.slicing) out.set(node.id, node.slicing);
    for (const child of node.children.values()) visit(child);
    for (const slice of node.slices.values()) visit(slice);
  };
  visit(profile.root);
  return out;
}
