// R4 rules that @medplum/core's validator does not enforce, checked in one crawl of the
// resource (medplum's crawler gives each value its R4 type and element definition):
//  - required bindings on `code` elements (R4 §terminologies "required"): medplum never
//    checks bindings, so Patient.gender "x" would pass;
//  - Resource.id format (R4 §datatypes id: [A-Za-z0-9\-\.]{1,64}); medplum types it as plain string;
//  - dateTime with a time but no time zone (R4 §datatypes dateTime: "If hours and minutes are
//    specified, a time zone SHALL be populated"); medplum's regex makes the zone optional;
//  - Meta.project/author/onBehalfOf/account/accounts/compartment: medplum's own extensions to
//    Meta, accepted by its definitions but not R4 elements;
//  - org-1 "Organization SHALL have a name or an identifier", which medplum skips on purpose;
//  - empty arrays (R4 §json: arrays are never empty); medplum already rejects empty objects.
import { crawlTypedValue, toTypedValue, validationRegexes, type TypedValueWithPath } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { r4ValueSetIndex } from './r4-definitions.js';
import { codeMembership } from './value-set-index.js';
import type { ValidationIssue } from './validation-issue.js';

const R4_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** R4 §datatypes dateTime regex: seconds and a zone are mandatory once a time is given. */
const R4_DATE_TIME =
  /^(\d(\d(\d[1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2]\d|3[0-1])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|(\+|-)((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const MEDPLUM_META_KEYS = ['project', 'author', 'onBehalfOf', 'account', 'accounts', 'compartment'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(values: (TypedValueWithPath | TypedValueWithPath[])[]): TypedValueWithPath[] {
  return values.flat().filter((v) => v !== undefined && v.value !== undefined && v.value !== null);
}

function emptyArrayIssues(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      issues.push({ severity: 'error', code: 'structure', diagnostics: 'Empty array (R4 §json: arrays are never empty)', expression: [path], rule: 'json-empty-array' });
    }
    value.forEach((item, i) => emptyArrayIssues(item, `${path}[${i}]`, issues));
    return;
  }
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    // Names of Object.prototype members (__proto__, constructor, toString …) are never R4 elements, and
    // medplum's element lookup resolves them to built-ins instead of reporting them.
    if (Object.prototype.hasOwnProperty.call(Object.prototype, key)) {
      issues.push({ severity: 'error', code: 'structure', diagnostics: `Invalid additional property "${key}"`, expression: [`${path}.${key}`], rule: 'json-property' });
      continue;
    }
    // Narrative XHTML and resourceType are not FHIR elements with children.
    if (key === 'div' || key === 'resourceType') continue;
    emptyArrayIssues(value[key], `${path}.${key}`, issues);
  }
}

function checkResourceLevel(resource: Record<string, unknown>, path: string, issues: ValidationIssue[]): void {
  const id = resource['id'];
  if (typeof id === 'string' && !R4_ID.test(id)) {
    issues.push({ severity: 'error', code: 'value', diagnostics: 'Resource id must match [A-Za-z0-9\\-\\.]{1,64} (R4 §datatypes id)', expression: [`${path}.id`], rule: 'id-format' });
  }
  const meta = resource['meta'];
  if (isRecord(meta)) {
    for (const key of MEDPLUM_META_KEYS) {
      if (key in meta) {
        issues.push({ severity: 'error', code: 'structure', diagnostics: `Meta.${key} is not an R4 element`, expression: [`${path}.meta.${key}`], rule: 'r4-meta' });
      }
    }
  }
  if (resource['resourceType'] === 'Organization' && resource['name'] === undefined && resource['identifier'] === undefined) {
    issues.push({ severity: 'error', code: 'invariant', diagnostics: 'Constraint org-1 not met: the organization SHALL at least have a name or an identifier', expression: [path], rule: 'org-1' });
  }
}

export function r4SupplementChecks(resource: Resource): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  emptyArrayIssues(resource, resource.resourceType, issues);
  checkResourceLevel(resource as unknown as Record<string, unknown>, resource.resourceType, issues);
  const valueSets = r4ValueSetIndex();
  crawlTypedValue(toTypedValue(resource), {
    onEnterResource(path, value) {
      if (value.value !== resource && isRecord(value.value)) checkResourceLevel(value.value, path, issues);
    },
    visitProperty(_parent, key, path, propertyValues, schema) {
      const element = schema.elements[key];
      for (const value of flatten(propertyValues)) {
        if (value.type === 'dateTime' && typeof value.value === 'string') {
          if (validationRegexes['dateTime']?.test(value.value) && !R4_DATE_TIME.test(value.value)) {
            issues.push({ severity: 'error', code: 'value', diagnostics: 'dateTime with a time must have seconds and a time zone (R4 §datatypes dateTime)', expression: [path], rule: 'dateTime-format' });
          }
        }
        if (value.type === 'code' && typeof value.value === 'string' && element?.binding?.strength === 'required' && element.binding.valueSet) {
          const expanded = valueSets.expand(element.binding.valueSet);
          if (expanded && codeMembership(expanded, value.value) === 'out') {
            issues.push({ severity: 'error', code: 'code-invalid', diagnostics: `Code is not in the required value set ${element.binding.valueSet}`, expression: [path], rule: 'binding' });
          }
        }
      }
    },
  });
  return issues;
}
