/**
 * The Payer-to-Payer API's own routes (outside the FHIR base):
 *  - payer staff (`admin`, JSON), to review matching:
 *    - `GET /admin/member-match/decisions[?outcome=matched|none|ambiguous][&patient=][&limit=]`: the
 *      recorded match decisions with their candidates' scores, field by field, and the consent result,
 *      newest first, to review match quality;
 *    - `GET /admin/member-match/rules`: the match rules in force (MEMBER_MATCH_RULES or the default);
 *    - `GET /admin/payer-links[?patient=]`: which other payers may currently read which members, and why;
 *  - payer staff (`admin`, JSON), a member's other payers and opt-in: other-payer-routes.ts;
 *  - members (`member`, pages) choosing, and anyone (`public`) reading about it: member-opt-in-routes.ts.
 * Errors are OperationOutcomes (the error middleware); token problems are OAuth errors as everywhere.
 */
import type { Express } from 'express';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { parsedInput } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../../auth/auth-deps.js';
import type { TokenVerifier } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import type { FilterDocument } from '../../store/port.js';
import type { PayerToPayerApi } from './payer-to-payer.js';
import { memberOptInRoutes } from './member-opt-in-routes.js';
import { otherPayerRoutes } from './other-payer-routes.js';

const decisionQuery = z.object({
  outcome: z.enum(['matched', 'none', 'ambiguous']).optional(),
  patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
const linkQuery = z.object({ patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional() });

const parsed = <T>(schema: z.ZodType<T>, value: unknown): T => parsedInput(schema, value, 'query');

export interface PayerToPayerRouteDeps {
  api: PayerToPayerApi;
  verify: TokenVerifier;
  /** The sign-in sessions of the member page, and the issuer its links use. */
  auth: AuthDeps;
  /** PAYER_ORGANIZATION (`Organization/<id>`): this program, never recorded as a member's other payer. */
  payer: string;
}

export function payerToPayerRoutes(deps: PayerToPayerRouteDeps): (app: Express) => void {
  const { api, verify } = deps;
  const staff = staffGuard(verify);
  const otherPayers = otherPayerRoutes({ api, staff, payer: deps.payer, clock: deps.auth.clock });
  const memberPages = memberOptInRoutes({ api, auth: deps.auth });
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
    otherPayers(app);
    memberPages(app);
  };
}
