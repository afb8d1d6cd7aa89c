/**
 * Checks on a resource body before any write: it is a JSON object of the expected, known type, its id
 * (if any) is a valid FHIR id, and it passes validation (R4 structure + declared profiles) → 422.
 */
import type { Resource } from '@medplum/fhirtypes';
import { badRequest, notFound, unprocessable, type Issue } from '../outcome.js';
import type { FhirContext } from './types.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertKnownType(ctx: FhirContext, type: string): void {
  if (!ctx.registry.resourceTypes.has(type)) throw notFound(`Unknown resource type '${type}'`);
}

export function assertValidId(id: string): void {
  if (!ID.test(id)) throw badRequest(`Invalid resource id '${id}'`);
}

export function requireResource(ctx: FhirContext, body: unknown, type: string): Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a FHIR resource (a JSON object)');
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') throw badRequest('The resource has no resourceType');
  if (resourceType !== type) throw badRequest(`resourceType '${resourceType}' does not match the URL type '${type}'`);
  return body as Resource;
}

/** An issue that makes a resource invalid: an error or fatal one (an issue without a severity is an error). */
export const isErrorIssue = (i: Issue): boolean => (i.severity ?? 'error') === 'error' || i.severity === 'fatal';

export function validateOrThrow(ctx: FhirContext, resource: Resource): void {
  const issues = ctx.validate(resource).filter(isErrorIssue);
  if (issues.length > 0) throw unprocessable(issues);
}

/**
 * The validation errors of several resources (a request's entries, a hook's prefetch), each prefixed with
 * the resource's label, for one 422 naming them all.
 */
export function validationErrors(validate: FhirContext['validate'], resources: readonly Resource[], label: (r: Resource, n: number) => string): Issue[] {
  return resources.flatMap((r, n) => validate(r).filter(isErrorIssue).map((i) => ({ ...i, diagnostics: `${label(r, n)}: ${i.diagnostics}` })));
}
