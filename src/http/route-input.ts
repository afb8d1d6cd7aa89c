/**
 * Route input checked with zod, for the JSON and page routes outside the FHIR base: a value that does not
 * fit the schema is a 400 OperationOutcome naming each problem (`path: message`; `whole` names the value
 * itself when the problem is not in one field).
 */
import type { z } from 'zod';
import { badRequest } from '../fhir/outcome.js';

export function parsedInput<T>(schema: z.ZodType<T>, value: unknown, whole = 'body'): T {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`).join('; '));
  return r.data;
}

/**
 * The Content-Security-Policy of every server-rendered page: no scripts, our stylesheet only, never framed.
 */
export const PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'";
