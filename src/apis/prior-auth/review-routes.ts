/**
 * The reviewers' endpoints (payer staff):
 *  - JSON, with a staff token (`admin`):
 *    - `GET  /admin/pa-queue`: pended requests, soonest due first (hours left, overdue, extended, appeal);
 *    - `POST /admin/pa-requests/{id}/decision` `{ decision, reason?, note?, quantities? }`;
 *    - `POST /admin/pa-requests/{id}/extension` `{ reason, days? }` (standard requests, once, ≤ 14 days);
 *    - `GET  /admin/pa-alerts`: deadline alerts raised (due-soon, overdue), newest first;
 *    - `POST /admin/pa-deadlines/run`: run the deadline scheduler now;
 *  - a page for signed-in staff (`/review/prior-auth`, no scripts, CSRF-protected forms) doing the same.
 * `{id}` is the ClaimResponse id. Errors are OperationOutcomes (404 unknown, 409 not pended, 422 a
 * denial without a specific reason or an extension the rules do not allow).
 */
import express, { type Express, type Request, type Response } from 'express';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { PAGE_CONTENT_SECURITY_POLICY, parsedInput as parsed } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import { badRequest, FhirError } from '../../fhir/outcome.js';
import type { TokenVerifier, VerifiedToken } from '../../auth/verify-token.js';
import { oauthJson, fields, formBody, noStore } from '../../auth/routes/oauth-handler.js';
import type { AuthDeps } from '../../auth/auth-deps.js';
import { endpoints } from '../../auth/auth-deps.js';
import { sessionUser } from '../../auth/browser-session.js';
import { PA_DENIAL_REASONS } from '../../domain/prior-auth-rules.js';
import { errorPage } from '../../web/pages/error-page.js';
import { paReviewPage } from '../../web/pages/pa-review-page.js';
import type { Review } from './review.js';
import type { PaDeadlines } from './deadlines.js';

const ID = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);
const decisionBody = z.object({
  decision: z.enum(['approved', 'partially-approved', 'denied']),
  reason: z.enum(PA_DENIAL_REASONS.map((r) => r.code) as [string, ...string[]]).optional(),
  note: z.string().max(1_000).optional(),
  quantities: z.record(z.string().regex(/^\d{1,4}$/), z.number().min(0).max(1_000_000)).optional(),
});
const extensionBody = z.object({ reason: z.string().trim().min(1).max(500), days: z.number().int().min(1).max(14).optional() });


export function reviewRoutes(deps: { review: Review; deadlines: PaDeadlines; verify: TokenVerifier; auth: AuthDeps }): (app: Express) => void {
  const staff = staffGuard(deps.verify);
  const who = (t: VerifiedToken): string => t.fhirUser ?? t.subject;
  const json = express.json({ limit: '64kb' });
  const admin = (method: 'get' | 'post', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });
  const e = endpoints(deps.auth.issuer);
  const pagePath = '/review/prior-auth';

  const page = (res: Response, status: number, body: string): void => {
    noStore(res);
    res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    res.status(status).type('html').send(body);
  };
  const render = async (req: Request, res: Response, notice?: string): Promise<void> => {
    const signed = await sessionUser(deps.auth, req.get('Cookie'));
    if (!signed) return res.redirect(303, e.login);
    if (signed.user.kind !== 'staff') return page(res, 403, errorPage({ title: 'Payer staff only', message: 'The review queue is for the program\'s reviewers.' }));
    page(res, 200, paReviewPage({ userName: signed.user.name ?? signed.user.login, entries: await deps.review.queue(), reasons: PA_DENIAL_REASONS, action: pagePath, hidden: { csrf: signed.session.csrf }, ...(notice ? { notice } : {}) }));
  };
  /** A form post from the page: signed-in staff with the session's CSRF token, else 403 and nothing changes. */
  const formAction = (act: (id: string, f: Record<string, string | undefined>, reviewer: string) => Promise<string>) => async (req: Request, res: Response): Promise<void> => {
    const signed = await sessionUser(deps.auth, req.get('Cookie'));
    const f = fields(req.body);
    const id = ID.safeParse(req.params.id);
    if (!signed || signed.user.kind !== 'staff' || f.csrf !== signed.session.csrf || !id.success) {
      return page(res, 403, errorPage({ title: 'Nothing was changed', message: 'This form has expired. Open the queue again and try again.' }));
    }
    try {
      await render(req, res, await act(id.data, f, `${signed.user.name ?? signed.user.login} (staff)`));
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      await render(req, res, `Nothing was changed: ${err.message}`);
    }
  };

  return (app) => {
    route(app, admin('get', '/admin/pa-queue', 'pended prior-authorization requests, soonest deadline first'), oauthJson(async (req) => {
      await staff(req);
      return deps.review.queue();
    }));
    route(app, admin('post', '/admin/pa-requests/:id/decision', 'decide a pended prior-authorization request (a denial with a specific reason)'), json, oauthJson(async (req) => {
      const token = await staff(req);
      const body = parsed(decisionBody, req.body);
      return deps.review.decide(parsed(ID, req.params.id), { ...body, reason: body.reason as never, reviewer: who(token) });
    }));
    route(app, admin('post', '/admin/pa-requests/:id/extension', "extend a standard request's review timeframe (once, up to 14 days)"), json, oauthJson(async (req) => {
      const token = await staff(req);
      const body = parsed(extensionBody, req.body);
      return deps.review.extend(parsed(ID, req.params.id), { reason: body.reason, reviewer: who(token), ...(body.days ? { days: body.days } : {}) });
    }));
    route(app, admin('get', '/admin/pa-alerts', 'prior-authorization deadline alerts raised, newest first'), oauthJson(async (req) => {
      await staff(req);
      return deps.deadlines.alerts.find({}, { sort: [['raisedAt', -1]], limit: 1_000 });
    }));
    route(app, admin('post', '/admin/pa-deadlines/run', 'run the prior-authorization deadline scheduler now'), oauthJson(async (req) => {
      await staff(req);
      return deps.deadlines.tick();
    }));
    route(app, { method: 'get', path: pagePath, audiences: ['admin'], description: 'the reviewers\' work queue page (signed-in staff)' }, (req, res) => render(req, res));
    route(app, { method: 'post', path: `${pagePath}/:id/decision`, audiences: ['admin'], description: 'record a reviewer decision from the queue page' }, formBody, formAction(async (id, f, reviewer) => {
      const decision = f.decision === 'approved' || f.decision === 'denied' ? f.decision : undefined;
      if (!decision) throw badRequest('Choose approve or deny');
      const reason = PA_DENIAL_REASONS.find((r) => r.code === f.reason)?.code;
      const done = await deps.review.decide(id, { decision, ...(reason ? { reason } : {}), ...(f.note ? { note: f.note.slice(0, 1_000) } : {}), reviewer });
      return `Recorded: ${done.disposition ?? decision}`;
    }));
    route(app, { method: 'post', path: `${pagePath}/:id/extension`, audiences: ['admin'], description: 'extend a standard request\'s timeframe from the queue page' }, formBody, formAction(async (id, f, reviewer) => {
      const reason = (f.reason ?? '').trim();
      if (!reason) throw badRequest('Give the reason for the extension');
      await deps.review.extend(id, { reason: reason.slice(0, 500), reviewer });
      return 'The timeframe was extended by 14 days.';
    }));
  };
}
