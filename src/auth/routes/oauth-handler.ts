/**
 * Express glue for the OAuth endpoints: an OAuthError becomes `{ error, error_description }` JSON
 * with its status and `Cache-Control: no-store` (RFC 6749 §5.1–5.2); anything else goes on to the
 * error middleware. Form bodies are parsed here, flat (no nested objects from `a[b]=c`).
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { OAuthError } from '../oauth-error.js';

export const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

/** A flat record of the string fields of a parsed form (arrays and other shapes are dropped). */
export function fields(source: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (source && typeof source === 'object') {
    for (const [k, v] of Object.entries(source)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

export function oauthJson(handler: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return async (req, res, next) => {
    noStore(res);
    try {
      const body = await handler(req, res);
      if (!res.headersSent) res.json(body);
    } catch (err) {
      if (!(err instanceof OAuthError)) return next(err);
      if (err.status === 401 && err.code === 'invalid_client' && /^basic /i.test(req.get('Authorization') ?? '')) res.setHeader('WWW-Authenticate', 'Basic realm="token"');
      res.status(err.status).json(err.toJSON());
    }
  };
}

/** CORS for endpoints browser apps call directly (token, registration, discovery): no cookies involved. */
export const openCors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
};
