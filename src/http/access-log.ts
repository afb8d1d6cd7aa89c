/**
 * One log line per request: request id, method, path, status, duration. Never the query string or the
 * body — search values are names, birth dates and identifiers (PHI); resource ids in paths are opaque.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

export function accessLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (!logger.isLevelEnabled('info')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ requestId: res.locals.requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
