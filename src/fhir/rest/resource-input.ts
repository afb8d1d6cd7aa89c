/**
 * Checks on a resource body before any write: it is a JSON object of the expected, known type, its id
 * (if any) is a valid FHIR id, and it passes validation (R4 structure + declared profiles) → 422.
 */
import type { Resource } from '@medplum/fhirtypes';
import { badRequest, notFound, unprocessable } from '../outcome.js';
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

export function validateOrThrow(ctx: FhirContext, resource: Resource): void {
  const issues = ctx.validate(resource).filter((i) => (i.severity ?? 'error') === 'error' || i.severity === 'fatal');
  if (issues.length > 0) throw unprocessable(issues);
}
