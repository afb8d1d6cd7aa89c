/**
 * Staff routes of the requesting side (JSON, outside the FHIR base):
 *  - `GET /admin/payer-requests[?patient=][&status=pending|done|no-match|refused|failed]`: each member and
 *    payer's request with every step (token, match, import; failures with the reason), newest due first;
 *  - `POST /admin/payer-requests/{patient}/{payer}/retry`: make a request due again;
 *  - `POST /admin/payer-requests/run`: run the scheduler now (discover opt-ins, attempt what is due);
 *    answers what it did.
 */
import type { Express } from 'express';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { route } from '../../http/audience.js';
import { parsedInput } from '../../http/route-input.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { TokenVerifier } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import type { FilterDocument } from '../../store/port.js';
import { requestKey, type Outbound } from './outbound.js';
import type { PayerScheduler } from './scheduler.js';

const listQuery = z.object({
  patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
  status: z.enum(['pending', 'done', 'no-match', 'refused', 'failed']).optional(),
});

export function outboundRoutes(deps: { outbound: Outbound; scheduler: PayerScheduler; verify: TokenVerifier }): (app: Express) => void {
  const staff = staffGuard(deps.verify);
  const admin = (method: 'get' | 'post', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });
  return (app) => {
    route(app, admin('get', '/admin/payer-requests', 'Payer-to-Payer requests to other payers, with every step'), oauthJson(async (req) => {
      await staff(req);
      const q = parsedInput(listQuery, req.query, 'query');
      const filter: FilterDocument = { ...(q.patient ? { patient: q.patient } : {}), ...(q.status ? { status: q.status } : {}) };
      return deps.outbound.requests.find(filter, { sort: [['due', -1]], limit: 1_000 });
    }));
    route(app, admin('post', '/admin/payer-requests/:patient/:payer/retry', 'make a finished or failed request due again (its data is replaced, not duplicated)'), oauthJson(async (req) => {
      await staff(req);
      const ids = z.object({ patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/), payer: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/) }).safeParse(req.params);
      if (!ids.success) throw badRequest('patient and payer ids expected');
      const key = requestKey(ids.data.patient, `Organization/${ids.data.payer}`);
      const current = await deps.outbound.requests.get(key);
      if (!current) throw notFound(`No request for Patient/${ids.data.patient} and Organization/${ids.data.payer}`);
      const again = await deps.outbound.requests.update(key, { status: current.status }, { status: 'pending', attempts: 0, due: Date.now() });
      if (!again) throw badRequest('The request changed meanwhile; try again');
      return again;
    }));
    route(app, admin('post', '/admin/payer-requests/run', 'run the Payer-to-Payer scheduler now'), oauthJson(async (req) => {
      await staff(req);
      return deps.scheduler.tick();
    }));
  };
}
