// What every validator in this folder returns instead of throwing. The shape mirrors
// OperationOutcome.issue (R4 §operationoutcome) so fhir/outcome.ts can map it one-to-one;
// `profile` and `rule` are extra provenance for logs and tests, not OperationOutcome fields.

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export interface ValidationIssue {
  severity: IssueSeverity;
  /** OperationOutcome issue-type code (http://hl7.org/fhir/issue-type), e.g. required, value, invariant, structure. */
  code: string;
  /** Human-readable explanation; never contains element values (they may be PHI). */
  diagnostics: string;
  /** FHIRPath location(s) of the problem, e.g. `ExplanationOfBenefit.supportingInfo[2].timingPeriod`. */
  expression?: string[];
  /** Canonical URL of the profile whose rule failed; absent for base R4 checks. */
  profile?: string;
  /** Short rule id: an invariant key, or `min`, `max`, `fixed`, `pattern`, `binding`, `slice`, `target`. */
  rule?: string;
}

export function isError(issue: ValidationIssue): boolean {
  return issue.severity === 'error' || issue.severity === 'fatal';
}

export function hasErrors(issues: readonly ValidationIssue[]): boolean {
  return issues.some(isError);
}
