/**
 * The member's side of the Payer-to-Payer opt-in (CMS-0057-F 42 CFR 431.61(b): data is asked of another
 * payer only after the member opts in; they may withdraw at any time; plain-language material says so):
 *  - `public`: `/payer-exchange`, the explanation (payer-exchange-page.ts), the same for every visitor;
 *  - `member`: `/account/payer-exchange`, after sign-in: their other payers on file, and per payer a
 *    form to opt in or withdraw (payer-exchange-choice-page.ts). Like `/account/provider-access`: no
 *    session → sign-in; a form without the session's CSRF value, with a choice other than in/out, or
 *    naming a payer that is not one of the member's → 403 and nothing changes.
 */
import type { Express, Request, Response } from 'express';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import type { AuthDeps } from '../../auth/auth-deps.js';
import { endpoints } from '../../auth/auth-deps.js';
import { sessionUser } from '../../auth/browser-session.js';
import { fields, formBody, noStore } from '../../auth/routes/oauth-handler.js';
import { errorPage } from '../../web/pages/error-page.js';
import { payerExchangeChoicePage, type ExchangePayerChoice } from '../../web/pages/payer-exchange-choice-page.js';
import { payerExchangePage } from '../../web/pages/payer-exchange-page.js';
import type { OtherPayer } from './member-choice.js';
import type { PayerToPayerApi } from './payer-to-payer.js';

/** How an opt-in made on the account page says it was given (the signed statement's wording). */
export const MEMBER_HOW = 'the member on their account page';


/** One entry per payer (a member may have several coverages with the same payer), in first-seen order. */
export function choicesByPayer(others: readonly OtherPayer[]): ExchangePayerChoice[] {
  const byPayer = new Map<string, ExchangePayerChoice & { kinds: Array<'previous' | 'concurrent'>; memberIds: string[] }>();
  for (const o of others) {
    const entry = byPayer.get(o.payer) ?? { payer: o.payer, ...(o.name ? { name: o.name } : {}), kinds: [], memberIds: [] };
    if (!entry.kinds.includes(o.kind)) entry.kinds.push(o.kind);
    if (o.memberId && !entry.memberIds.includes(o.memberId)) entry.memberIds.push(o.memberId);
    if (o.optIn && !entry.optIn) entry.optIn = { ...(o.optIn.provision?.period?.end ? { end: o.optIn.provision.period.end } : {}) };
    byPayer.set(o.payer, entry);
  }
  return [...byPayer.values()];
}

/** Mounts the public `/payer-exchange` page (rendered once: it depends only on the issuer). */
export function payerExchangePublicPage(app: Express, issuer: string): void {
  const page = payerExchangePage({ issuer });
  route(app, { method: 'get', path: '/payer-exchange', audiences: ['public'], description: 'plain-language page for members about the Payer-to-Payer exchange and opting in' }, (_req, res) => {
    // Same for every visitor and holds no personal data, so shared caches may keep it (RFC 9111 §5.2.2.9).
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    res.status(200).type('html').send(page);
  });
}

export function memberOptInRoutes(deps: { api: PayerToPayerApi; auth: AuthDeps }): (app: Express) => void {
  const { api, auth } = deps;
  const e = endpoints(auth.issuer);
  const action = `${e.account}/payer-exchange`;

  const page = (res: Response, status: number, body: string): void => {
    noStore(res);
    res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    res.status(status).type('html').send(body);
  };
  const render = async (req: Request, res: Response, notice?: string): Promise<void> => {
    const signed = await sessionUser(auth, req.get('Cookie'));
    if (!signed) return res.redirect(303, e.login);
    if (signed.user.kind !== 'member' || !signed.user.patientId) {
      page(res, 403, errorPage({ title: 'Members only', message: 'This page is for members choosing whether we get their records from their other health plans.' }));
      return;
    }
    const payers = choicesByPayer(await api.choices.otherPayers(signed.user.patientId));
    page(res, 200, payerExchangeChoicePage({ userName: signed.user.name ?? signed.user.login, payers, action, hidden: { csrf: signed.session.csrf }, accountUrl: e.account, ...(notice ? { notice } : {}) }));
  };

  return (app) => {
    payerExchangePublicPage(app, auth.issuer);
    route(app, { method: 'get', path: '/account/payer-exchange', audiences: ['member'], description: "the member's other health plans and their Payer-to-Payer opt-in for each" }, (req, res) => render(req, res));
    route(app, { method: 'post', path: '/account/payer-exchange', audiences: ['member'], description: "record the member's Payer-to-Payer opt-in (an hrex-consent Consent) or its withdrawal, for one of their other payers" }, formBody, async (req, res) => {
      const signed = await sessionUser(auth, req.get('Cookie'));
      const f = fields(req.body);
      const patient = signed?.user.kind === 'member' ? signed.user.patientId : undefined;
      const refuse = (): void => page(res, 403, errorPage({ title: 'Nothing was changed', message: 'This form has expired. Open the page again and try again.' }));
      if (!signed || !patient || f.csrf !== signed.session.csrf || (f.choice !== 'in' && f.choice !== 'out')) return refuse();
      // Only a payer on file for this member: a made-up one is refused like a forged form.
      const target = (await api.choices.otherPayers(patient)).find((p) => p.payer === f.payer);
      if (!target) return refuse();
      const name = target.name ?? 'your other health plan';
      if (f.choice === 'in') {
        if (!target.optIn) await api.choices.optIn(patient, target.payer, MEMBER_HOW);
        return render(req, res, `Done. We may now ask ${name} for your health records.`);
      }
      await api.choices.withdraw(patient, target.payer);
      return render(req, res, `Done. We will not ask ${name} for your health records.`);
    });
  };
}
