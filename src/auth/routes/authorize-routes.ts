/**
 * The browser side of SMART App Launch: the authorization endpoint, the sign-in page and the consent
 * page. The member (or provider user, for an EHR launch) signs in, sees the app's name and what it
 * asks for in plain language, may untick scopes, and approves or denies. Only then is a code issued.
 */
import type { Express, Request, Response } from 'express';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../auth-deps.js';
import { endpoints } from '../auth-deps.js';
import { authorizationRequests, RedirectableError, startAuthorization, type AuthorizationRequest } from '../authorization-request.js';
import { issueCode } from '../authorization-code.js';
import { createSessionCookie, sessionUser } from '../browser-session.js';
import { OAuthError } from '../oauth-error.js';
import { parseScopes, describeScope } from '../scopes.js';
import type { UserRecord } from '../records.js';
import { loginPage } from '../../web/pages/login-page.js';
import { consentPage } from '../../web/pages/consent-page.js';
import { errorPage } from '../../web/pages/error-page.js';
import { fields, formBody, noStore } from './oauth-handler.js';
import type { LoginGuard } from '../login-guard.js';

export interface AuthorizePageDeps {
  auth: AuthDeps;
  loginGuard: LoginGuard;
  /** Display name of a patient for the consent page ("Jane Doe"); undefined if unknown. */
  patientName(id: string): Promise<string | undefined>;
}

function sendHtml(res: Response, status: number, page: string): void {
  noStore(res);
  // Pages carry no scripts; forms post only to this server (redirects to apps follow a 303).
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'");
  res.status(status).type('html').send(page);
}

function showError(res: Response, err: unknown): void {
  if (err instanceof RedirectableError) {
    res.redirect(303, err.location());
    return;
  }
  if (err instanceof OAuthError) {
    sendHtml(res, 400, errorPage({ title: 'This app could not be connected', message: `${err.description}. Please contact the app's developer.` }));
    return;
  }
  throw err;
}

const userKindFits = (request: AuthorizationRequest, user: UserRecord): boolean => (request.userKind === 'member' ? user.kind === 'member' : user.kind !== 'member');

export function authorizeRoutes(app: Express, deps: AuthorizePageDeps): void {
  const { auth } = deps;
  const e = endpoints(auth.issuer);
  const requests = authorizationRequests(auth);

  const authorize = async (req: Request, res: Response, q: Record<string, string | undefined>): Promise<void> => {
    try {
      const request = await startAuthorization(auth, q);
      const user = (await sessionUser(auth, req.get('Cookie')))?.user;
      const next = user && userKindFits(request, user) ? e.consent : e.login;
      res.redirect(303, `${next}?request=${encodeURIComponent(request._id)}`);
    } catch (err) {
      showError(res, err);
    }
  };
  route(app, { method: 'get', path: '/auth/authorize', audiences: ['public'], description: 'SMART authorization endpoint (RFC 6749 §4.1.1)' }, (req, res) => authorize(req, res, fields(req.query)));
  route(app, { method: 'post', path: '/auth/authorize', audiences: ['public'], description: 'SMART authorization endpoint by POST (authorize-post)' }, formBody, (req, res) => authorize(req, res, fields(req.body)));

  const pendingRequest = async (id: string | undefined): Promise<AuthorizationRequest> => {
    const request = id ? await requests.get(id) : undefined;
    if (!request) throw new OAuthError('invalid_request', 'this sign-in link has expired; go back to the app and start again');
    return request;
  };

  const renderLogin = async (res: Response, status: number, requestId: string | undefined, kind: 'member' | 'user', error?: string, values?: { login?: string; birthDate?: string }): Promise<void> => {
    const request = requestId ? await pendingRequest(requestId) : undefined;
    const client = request ? await auth.clients.get(request.clientId) : undefined;
    sendHtml(
      res,
      status,
      loginPage({
        action: e.login,
        hidden: { ...(request ? { request: request._id } : {}), kind },
        kind: request ? request.userKind : kind,
        ...(client ? { clientName: client.name } : {}),
        ...(error ? { error } : {}),
        ...(values ? { values } : {}),
      }),
    );
  };

  route(app, { method: 'get', path: '/auth/login', audiences: ['public'], description: 'sign-in page (members, provider users, payer staff)' }, async (req, res) => {
    const q = fields(req.query);
    try {
      await renderLogin(res, 200, q.request, q.kind === 'user' ? 'user' : 'member');
    } catch (err) {
      showError(res, err);
    }
  });

  route(app, { method: 'post', path: '/auth/login', audiences: ['public'], description: 'sign-in form submission' }, formBody, async (req, res) => {
    const f = fields(req.body);
    try {
      const request = f.request ? await pendingRequest(f.request) : undefined;
      const kind = request ? request.userKind : f.kind === 'user' ? 'user' : 'member';
      const login = (f.login ?? '').slice(0, 200);
      const values = { login, ...(f.birth_date ? { birthDate: f.birth_date.slice(0, 10) } : {}) };
      if (!(await deps.loginGuard.allowed(login))) {
        await renderLogin(res, 429, request?._id, kind, 'Too many attempts. Wait 15 minutes and try again.', values);
        return;
      }
      const user =
        kind === 'member'
          ? await auth.users.authenticate('member', login, f.password ?? '', f.birth_date)
          : ((await auth.users.authenticate('provider', login, f.password ?? '')) ?? (await auth.users.authenticate('staff', login, f.password ?? '')));
      if (!user) {
        await deps.loginGuard.failed(login);
        const what = kind === 'member' ? 'member ID, date of birth and password' : 'user name and password';
        await renderLogin(res, 401, request?._id, kind, `We could not sign you in. Check your ${what} and try again.`, values);
        return;
      }
      await deps.loginGuard.succeeded(login);
      res.setHeader('Set-Cookie', await createSessionCookie(auth, user._id));
      res.redirect(303, request ? `${e.consent}?request=${encodeURIComponent(request._id)}` : e.account);
    } catch (err) {
      showError(res, err);
    }
  });

  const signedInUser = async (req: Request, request: AuthorizationRequest): Promise<{ user: UserRecord; authTime: number } | undefined> => {
    const who = await sessionUser(auth, req.get('Cookie'));
    return who && userKindFits(request, who.user) ? { user: who.user, authTime: who.session.authTime } : undefined;
  };

  /** An EHR launch is bound to the user who opened it (see launch-contexts.ts). */
  const checkLaunchUser = (request: AuthorizationRequest, user: UserRecord): void => {
    if (request.launch && request.launch.userId !== user._id) throw new RedirectableError(request.redirectUri, request.state, new OAuthError('access_denied', 'the launch was opened by another user'));
  };

  route(app, { method: 'get', path: '/auth/consent', audiences: ['member', 'provider', 'admin'], description: 'consent page: the app, and what it asks for in plain language' }, async (req, res) => {
    try {
      const request = await pendingRequest(fields(req.query).request);
      const signedIn = await signedInUser(req, request);
      if (!signedIn) return res.redirect(303, `${e.login}?request=${encodeURIComponent(request._id)}`);
      checkLaunchUser(request, signedIn.user);
      const client = await auth.clients.get(request.clientId);
      if (!client) throw new OAuthError('invalid_request', 'the app is no longer registered');
      const patient = request.launch?.patient ?? signedIn.user.patientId;
      const patientName = patient ? await deps.patientName(patient) : undefined;
      const required = new Set(['launch', 'launch/patient', 'openid']);
      sendHtml(
        res,
        200,
        consentPage({
          action: e.consent,
          hidden: { request: request._id, csrf: request.csrf },
          clientName: client.name,
          ...(signedIn.user.name ? { userName: signedIn.user.name } : {}),
          ...(patientName ? { patientName } : {}),
          scopes: request.scopes.map((value) => ({ value, description: describeScope(value), required: required.has(value) })),
        }),
      );
    } catch (err) {
      showError(res, err);
    }
  });

  route(app, { method: 'post', path: '/auth/consent', audiences: ['member', 'provider', 'admin'], description: 'consent decision: approve (with the scopes left ticked) or deny' }, formBody, async (req, res) => {
    try {
      const f = fields(req.body);
      const request = await pendingRequest(f.request);
      const signedIn = await signedInUser(req, request);
      if (!signedIn || f.csrf !== request.csrf) throw new OAuthError('access_denied', 'the consent form did not come from this sign-in; start again from the app');
      checkLaunchUser(request, signedIn.user);
      const taken = await requests.take(request._id);
      if (!taken) throw new OAuthError('invalid_request', 'this consent was already answered');
      if (f.decision !== 'approve') throw new RedirectableError(request.redirectUri, request.state, new OAuthError('access_denied', 'the user did not allow access'));
      const approved = approvedScopes(req.body);
      const chosen = parseScopes(request.scopes.filter((s) => approved.includes(s)).join(' '));
      if (chosen.resource.length === 0 && !chosen.openid) throw new RedirectableError(request.redirectUri, request.state, new OAuthError('access_denied', 'no access was allowed'));
      if (request.userKind === 'member' && !signedIn.user.patientId) throw new OAuthError('access_denied', 'this member account has no member record');
      const code = await issueCode(auth, request, signedIn.user, approved, signedIn.authTime);
      const target = new URL(request.redirectUri);
      target.searchParams.set('code', code);
      target.searchParams.set('state', request.state);
      res.redirect(303, target.toString());
    } catch (err) {
      showError(res, err);
    }
  });
}

/** The ticked `scope` checkboxes (one value or many). */
function approvedScopes(body: unknown): string[] {
  const value = (body as Record<string, unknown> | undefined)?.scope;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
