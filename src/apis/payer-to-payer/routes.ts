/**
 * The Payer-to-Payer API's own routes (JSON, outside the FHIR base), for payer staff (`admin`):
 *  - `GET /admin/member-match/decisions[?outcome=matched|none|ambiguous][&patient=][&limit=]`: the
 *    recorded match decisions with their candidates' scores, field by field, and the consent result,
 *    newest first, to review match quality;
 *  - `GET /admin/member-match/rules`: the match rules in force (MEMBER_MATCH_RULES or the default);
 *  - `GET /admin/payer-links[?patient=]`: which other payers may currently read which members, and why.
 */
import type { Express, Request } from 'express';
import { z } from 'zod';
import { route } from '../../http/audience.js';
import { badRequest, forbidden } from '../../fhir/outcome.js';
import type { TokenVerifier } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import type { FilterDocument } from '../../store/port.js';
import type { PayerToPayerApi } from './payer-to-payer.js';

const decisionQuery = z.object({
  outcome: z.enum(['matched', 'none', 'ambiguous']).optional(),
  patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
const linkQuery = z.object({ patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional() });

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  return r.data;
}

export function payerToPayerRoutes(deps: { api: PayerToPayerApi; verify: TokenVerifier }): (app: Express) => void {
  const { api, verify } = deps;
  const staff = async (req: Request): Promise<void> => {
    const token = await verify(req.get('Authorization'));
    if (token.reach.kind !== 'all') throw forbidden('payer staff only');
  };
  const admin = (method: 'get', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });
  return (app) => {
    route(app, admin('get', '/admin/member-match/decisions', 'member-match decisions with their scores, newest first, for review'), oauthJson(async (req) => {
      await staff(req);
      const q = parsed(decisionQuery, req.query);
      const filter: FilterDocument = { ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.patient ? { patient: q.patient } : {}) };
      return api.finder.decisions.find(filter, { sort: [['at', -1]], limit: q.limit });
    }));
    route(app, admin('get', '/admin/member-match/rules', 'the member-match rules in force'), oauthJson(async (req) => {
      await staff(req);
      return api.matchConfig;
    }));
    route(app, admin('get', '/admin/payer-links', 'which other payers may read which members, until when, under which Consent'), oauthJson(async (req) => {
      await staff(req);
      const q = parsed(linkQuery, req.query);
      return api.links.links.find(q.patient ? { patient: q.patient } : {}, { sort: [['linkedAt', -1]], limit: 1_000 });
    }));
  };
}
