// FHIR R4 (4.0.1) structural validation: @medplum/core's validator plus the R4 rules it
// misses (base-supplement-checks.ts). Returns issues; never throws for a bad resource.
//
// How medplum reports: validateResource() returns warnings, and throws OperationOutcomeError
// (with .outcome.issue[]) as soon as any issue is an error. Both paths are converted here.
//
// Where medplum disagrees with R4, R4 wins:
//  - "Invalid reference" is a warning in medplum; R4 makes Reference(X) targets normative, so a
//    relative literal reference to another type is an error here. Medplum also flags absolute
//    (https://…/Patient/1) and urn:uuid references because it takes the text before the first
//    "/" as the type; those are valid R4 references and the warning is dropped.
//  - "Conflicting choice of type properties" (two value[x] keys) is a warning in medplum and an
//    error in R4 (§json choice elements: only one may be present).
//  - medplum's string/markdown regex rejects control characters; R4's regex ([ \r\n\t\S]+) allows
//    them and only says they SHOULD NOT appear, so those become warnings.
//  - medplum limits fractional seconds to 9 digits; R4 allows any number, so that error is dropped.
import { OperationOutcomeError, validateResource as medplumValidateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { r4SupplementChecks } from './base-supplement-checks.js';
import { ensureR4StructuresIndexed } from './r4-definitions.js';
import type { IssueSeverity, ValidationIssue } from './validation-issue.js';

const R4_STRING = /^[ \r\n\t\S]+$/u;
const R4_DATE_TIME_OR_INSTANT =
  /^(\d(\d(\d[1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2]\d|3[0-1])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|(\+|-)((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

/** Reads the value at a medplum issue expression such as `Patient.name[0].family`. */
export function valueAtExpression(resource: unknown, expression: string): unknown {
  const segments = expression.split('.').slice(1);
  let current: unknown = resource;
  for (const segment of segments) {
    const match = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(segment);
    if (!match || typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[match[1] as string];
    if (match[2] !== undefined) current = Array.isArray(current) ? current[Number(match[2])] : undefined;
  }
  return current;
}

function toIssue(raw: OperationOutcomeIssue, severity: IssueSeverity, diagnostics: string): ValidationIssue {
  const issue: ValidationIssue = { severity, code: raw.code ?? 'structure', diagnostics };
  if (raw.expression?.length) issue.expression = [...raw.expression];
  const constraintKey = /^Constraint (\S+) not met/.exec(diagnostics)?.[1];
  if (constraintKey) issue.rule = constraintKey;
  return issue;
}

function reconcile(raw: OperationOutcomeIssue, resource: Resource): ValidationIssue[] {
  const text = raw.details?.text ?? raw.diagnostics ?? 'Invalid resource';
  const severity: IssueSeverity = raw.severity ?? 'error';
  const at = raw.expression?.[0];

  const reference = /^Invalid reference: got "([^"]*)"/.exec(text);
  if (reference) {
    if (!/^[A-Z][A-Za-z]+$/.test(reference[1] ?? '')) return [];
    return [{ ...toIssue(raw, 'error', 'Reference points to a resource type this element does not allow'), rule: 'reference-target' }];
  }
  if (text.startsWith('Conflicting choice of type properties')) {
    return [{ ...toIssue(raw, 'error', text), rule: 'choice-single-type' }];
  }
  if ((text === 'Invalid string format' || text === 'Invalid markdown format') && at) {
    const value = valueAtExpression(resource, at);
    if (typeof value === 'string' && R4_STRING.test(value)) {
      return [toIssue(raw, 'warning', 'String contains control characters (R4 §datatypes string: SHOULD NOT)')];
    }
  }
  if ((text === 'Invalid dateTime format' || text === 'Invalid instant format') && at) {
    const value = valueAtExpression(resource, at);
    if (typeof value === 'string' && R4_DATE_TIME_OR_INSTANT.test(value) && (text === 'Invalid dateTime format' || value.includes('T'))) {
      return [];
    }
  }
  return [toIssue(raw, severity, text)];
}

export function validateBase(resource: Resource): ValidationIssue[] {
  if (typeof resource !== 'object' || resource === null || typeof resource.resourceType !== 'string') {
    return [{ severity: 'error', code: 'structure', diagnostics: 'Missing resourceType' }];
  }
  ensureR4StructuresIndexed();
  let raw: OperationOutcomeIssue[];
  try {
    raw = medplumValidateResource(resource);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    raw = err.outcome.issue ?? [];
  }
  const issues = raw.flatMap((issue) => reconcile(issue, resource));
  // An unknown resource type cannot be crawled against R4 definitions.
  if (issues.some((issue) => issue.diagnostics.startsWith('Unknown data type'))) return issues;
  issues.push(...r4SupplementChecks(resource));
  return issues;
}
