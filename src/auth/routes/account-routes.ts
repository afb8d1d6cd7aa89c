/**
 * The signed-in user's account page (the SMART `management_endpoint`): the apps they authorized, what
 * each may see, and "Remove access", which revokes the grant and so every token issued under it.
 * Forms carry the session's CSRF value; a mismatch changes nothing.
 */
import type { Express, Request, Response } from 'express';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../auth-deps.js';
import { endpoints } from '../auth-deps.js';
import { clearSessionCookie, sessionUser } from '../browser-session.js';
import { describeScope } from '../scopes.js';
import { accountPage } from '../../web/pages/account-page.js';
import { errorPage } from '../../web/pages/error-page.js';
import { fields, formBody, noStore } from './oauth-handler.js';

function html(res: Response, status: number, page: string): void {
  noStore(res);
  res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
  res.status(status).type('html').send(page);
}

export function accountRoutes(app: Express, auth: AuthDeps): void {
  const e = endpoints(auth.issuer);

  const signedIn = (req: Request) => sessionUser(auth, req.get('Cookie'));

  const render = async (req: Request, res: Response, notice?: string): Promise<void> => {
    const who = await signedIn(req);
    if (!who) return res.redirect(303, e.login);
    const grants = await auth.grants.forUser(who.user._id);
    const apps = [];
    for (const g of grants) {
      const client = await auth.clients.get(g.clientId);
      apps.push({ grantId: g._id, clientName: client?.name ?? 'An app that is no longer registered', scopes: g.scopes.map(describeScope), authorizedAt: g.createdAt });
    }
    html(
      res,
      200,
      accountPage({
        userName: who.user.name ?? who.user.login,
        apps,
        action: `${e.account}/revoke`,
        hidden: { csrf: who.session.csrf },
        logoutAction: `${e.account}/logout`,
        ...(notice ? { notice } : {}),
      }),
    );
  };

  route(app, { method: 'get', path: '/account', audiences: ['member', 'provider', 'admin'], description: 'account page: apps the user authorized' }, (req, res) => render(req, res));

  route(app, { method: 'post', path: '/account/revoke', audiences: ['member', 'provider', 'admin'], description: 'remove an app\'s access (revokes its grant)' }, formBody, async (req, res) => {
    const who = await signedIn(req);
    const f = fields(req.body);
    if (!who || f.csrf !== who.session.csrf) {
      html(res, 403, errorPage({ title: 'Nothing was changed', message: 'This form has expired. Open your account page and try again.' }));
      return;
    }
    const grant = f.grant_id ? await auth.grants.live(f.grant_id) : undefined;
    if (grant && grant.userId === who.user._id) await auth.grants.revoke(grant._id, 'removed by the user on the account page');
    const client = grant ? await auth.clients.get(grant.clientId) : undefined;
    await render(req, res, grant ? `${client?.name ?? 'The app'} can no longer see your information.` : undefined);
  });

  route(app, { method: 'post', path: '/account/logout', audiences: ['member', 'provider', 'admin'], description: 'sign out of the account page' }, formBody, (_req, res) => {
    res.setHeader('Set-Cookie', clearSessionCookie(auth));
    res.redirect(303, e.login);
  });
}
