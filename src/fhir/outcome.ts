/**
 * The only place OperationOutcomes and their HTTP statuses are made.
 * Code anywhere throws FhirError; the HTTP error middleware renders it (src/http/error-middleware.ts).
 * FHIR R4 §3.1.0.4 (http.html#ops): errors are returned as an OperationOutcome.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueType = OperationOutcomeIssue['code'];
export type IssueSeverity = OperationOutcomeIssue['severity'];

export interface Issue {
  severity?: IssueSeverity;
  code: IssueType;
  diagnostics: string;
  expression?: string[];
}

export class FhirError extends Error {
  readonly issues: Issue[];
  constructor(
    readonly status: number,
    issues: Issue | Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((i) => i.diagnostics).join('; '));
    this.name = 'FhirError';
    this.issues = list;
  }
}

export function outcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression && i.expression.length > 0 ? { expression: i.expression } : {}),
    })),
  };
}

export function informational(diagnostics: string): OperationOutcome {
  return outcome([{ severity: 'information', code: 'informational', diagnostics }]);
}

export const badRequest = (diagnostics: string, expression?: string[]): FhirError =>
  new FhirError(400, { code: 'invalid', diagnostics, expression });
export const notFound = (diagnostics: string): FhirError => new FhirError(404, { code: 'not-found', diagnostics });
export const gone = (diagnostics: string): FhirError => new FhirError(410, { code: 'deleted', diagnostics });
export const methodNotAllowed = (diagnostics: string, allow?: string): FhirError =>
  new FhirError(405, { code: 'not-supported', diagnostics }, allow ? { Allow: allow } : {});
export const conflict = (diagnostics: string): FhirError => new FhirError(409, { code: 'conflict', diagnostics });
export const preconditionFailed = (diagnostics: string): FhirError =>
  new FhirError(412, { code: 'conflict', diagnostics });
export const unsupportedMediaType = (diagnostics: string): FhirError =>
  new FhirError(415, { code: 'not-supported', diagnostics });
export const notAcceptable = (diagnostics: string): FhirError => new FhirError(406, { code: 'not-supported', diagnostics });
export const tooLarge = (diagnostics: string): FhirError => new FhirError(413, { code: 'too-costly', diagnostics });
export const unprocessable = (issues: Issue[]): FhirError => new FhirError(422, issues);
export const notSupported = (diagnostics: string): FhirError => new FhirError(400, { code: 'not-supported', diagnostics });
/** 401 with an RFC 6750 §3 challenge, e.g. `Bearer realm="fhir", error="invalid_token"`. */
export const unauthorized = (diagnostics: string, challenge = 'Bearer'): FhirError =>
  new FhirError(401, { code: 'login', diagnostics }, { 'WWW-Authenticate': challenge });
export const forbidden = (diagnostics: string): FhirError => new FhirError(403, { code: 'forbidden', diagnostics });
export const internalError = (requestId: string): FhirError =>
  new FhirError(500, { code: 'exception', diagnostics: `Internal server error (request ${requestId})` });
