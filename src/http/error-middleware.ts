/**
 * The one place errors become HTTP responses: a FhirError is rendered as its OperationOutcome and
 * status; body-parser failures map to 400/413/415; anything else is logged with the request id (never
 * the body: it may hold PHI) and answered with a bare 500 outcome.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { FhirError, badRequest, internalError, outcome, tooLarge, unsupportedMediaType } from '../fhir/outcome.js';

interface HttpishError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function toFhirError(err: unknown, requestId: string): FhirError {
  if (err instanceof FhirError) return err;
  const e = err as HttpishError;
  if (e?.type === 'entity.too.large') return tooLarge('The request body is larger than the server accepts');
  if (e?.type === 'entity.parse.failed') return badRequest('The request body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return unsupportedMediaType('Unsupported body encoding or charset');
  if (e?.type === 'request.aborted') return badRequest('The request was aborted');
  if (err instanceof URIError) return badRequest('The URL has malformed percent-encoding');
  if (e?.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new FhirError(e.status, { code: 'invalid', diagnostics: 'Bad request' });
  return internalError(requestId);
}

export function errorMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.locals.requestId ?? '');
    const fhirError = toFhirError(err, requestId);
    if (fhirError.status >= 500) {
      logger.error({ err, requestId, method: req.method, path: req.path }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(fhirError.headers)) res.setHeader(k, v);
    res.status(fhirError.status).type('application/fhir+json; charset=utf-8').send(JSON.stringify(outcome(fhirError.issues)));
  };
}
