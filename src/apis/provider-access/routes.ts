/**
 * The Provider Access API's own routes (JSON, outside the FHIR base):
 *  - payer staff (`admin`): attribution lists and their members (list, add, remove; every change
 *    recorded as an AuditEvent), a rebuild from PCC/PCP assignment and claims, provider requests to
 *    review, and a member's Provider Access choice made on their behalf;
 *  - providers (`provider`): a request to attribute a member (the payer's check: enrolled today and a
 *    claim from the organization within the claims window, or already its PCC/PCP; otherwise the request
 *    waits for staff), and the organization's Primary User limiting its backend clients to PID/SLs;
 *  - members (`member`): their choice on the account page, `/account/provider-access` (provider-access-choice-page.ts).
 * Errors are OperationOutcomes (the error middleware); token problems are OAuth errors as everywhere.
 */
import express, { type Express, type Request, type Response } from 'express';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { PAGE_CONTENT_SECURITY_POLICY, parsedInput as parsed } from '../../http/route-input.js';
import type { AuditEvent } from '@medplum/fhirtypes';
import { route } from '../../http/audience.js';
import { badRequest, forbidden, notFound } from '../../fhir/outcome.js';
import type { AuthDeps } from '../../auth/auth-deps.js';
import { endpoints } from '../../auth/auth-deps.js';
import { sessionUser } from '../../auth/browser-session.js';
import type { TokenVerifier, VerifiedToken } from '../../auth/verify-token.js';
import { fields, formBody, noStore, oauthJson } from '../../auth/routes/oauth-handler.js';
import { providerAccessChoicePage } from '../../web/pages/provider-access-choice-page.js';
import { errorPage } from '../../web/pages/error-page.js';
import { memberKey, type AttributionMember } from './attribution-store.js';
import { enrolledOn, PATIENT_ID } from './member-status.js';
import type { ProviderAccessApi } from './provider-access.js';
import { dayOf } from './treatment.js';
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';

const patientId = z.string().regex(PATIENT_ID, 'a Patient id');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const providerRef = z.string().regex(/^(Practitioner|PractitionerRole|Location|Organization)\/[A-Za-z0-9\-.]{1,64}$/);
const addInput = z.object({ patient: patientId, provider: providerRef.optional(), coverage: z.string().regex(PATIENT_ID).optional(), start: day.optional(), end: day.optional(), reason: z.string().max(500).optional() });
const requestInput = z.object({ patient: patientId, provider: providerRef.optional(), reason: z.string().max(500).optional() });
const locationsInput = z.object({ locations: z.array(z.string().regex(/^\d{9}[A-Z]$/, 'a PID/SL')).max(500).nullable() });
const choiceInput = z.object({ choice: z.enum(['in', 'out']) });

/** A provider's attribution request the payer's check did not settle: waits for staff. */
interface AttributionRequest extends StoredDocument {
  organization: string;
  patient: string;
  provider?: string;
  reason?: string;
  requestedBy: string;
  requestedAt: number;
  status: 'pending' | 'approved' | 'denied';
  decidedBy?: string;
}


export interface RouteDeps {
  api: ProviderAccessApi;
  auth: AuthDeps;
  verify: TokenVerifier;
  docs: DocumentStore;
  claimsMonths: number;
}

export function providerAccessRoutes(deps: RouteDeps): (app: Express) => void {
  const { api, auth, verify } = deps;
  const requests = deps.docs.collection<AttributionRequest>('attribution-requests', { indexes: [['organization'], ['status']] });
  const json = express.json({ limit: '64kb' });
  const e = endpoints(auth.issuer);

  const staff = staffGuard(verify);
  const who = (t: VerifiedToken): string => (t.fhirUser ? t.fhirUser : `${t.subject}@${t.clientId}`);

  /** One AuditEvent per attribution change: who changed which member on which list, and why. */
  async function audit(t: VerifiedToken, action: AuditEvent['action'], list: string, patient: string, what: string, reason?: string): Promise<void> {
    const event: AuditEvent = {
      resourceType: 'AuditEvent',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: action === 'D' ? 'delete' : 'update' }],
      action,
      recorded: new Date().toISOString(),
      outcome: '0',
      outcomeDesc: what,
      agent: [{ who: t.fhirUser ? { reference: t.fhirUser } : { identifier: { system: `${auth.issuer}/subjects`, value: t.subject } }, requestor: true }],
      source: { observer: { display: auth.issuer } },
      entity: [
        { what: { reference: `Patient/${patient}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' } },
        { what: { reference: `Group/${list}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' }, ...(reason ? { description: reason.slice(0, 500) } : {}) },
      ],
    };
    await api.system({ method: 'POST', path: ['AuditEvent'], body: event });
  }

  async function addMember(list: string, input: z.infer<typeof addInput>, basis: AttributionMember['basis'][number], by: string): Promise<AttributionMember> {
    const l = await api.attribution.lists.get(list);
    if (!l || l.kind !== 'roster') throw notFound(`No attribution list ${list}`);
    const patient = await api.system({ method: 'GET', path: ['Patient', input.patient] }).catch(() => undefined);
    if (!patient || patient.status !== 200) throw badRequest(`No member Patient/${input.patient}`);
    const old = await api.attribution.members.get(memberKey(list, input.patient));
    const now = Date.now();
    const entry: AttributionMember = {
      _id: memberKey(list, input.patient),
      list,
      organization: l.organization,
      patient: input.patient,
      ...(input.provider ? { provider: input.provider } : old?.provider ? { provider: old.provider } : {}),
      ...(input.coverage ? { coverage: input.coverage } : old?.coverage ? { coverage: old.coverage } : {}),
      start: input.start ?? dayOf(now),
      ...(input.end ? { end: input.end } : {}),
      basis: [...new Set([...(old?.removed ? [] : (old?.basis ?? [])), basis])],
      updatedAt: now,
    };
    if (entry.end !== undefined && entry.end < entry.start) throw badRequest('end is before start');
    await api.attribution.members.put(entry);
    await api.publish({ ...l, updatedAt: now });
    void by;
    return entry;
  }

  return (app) => {
    const admin = (method: 'get' | 'post' | 'put' | 'delete', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });

    route(app, admin('get', '/admin/attribution/lists', 'attribution lists (Provider Access), optionally of one organization'), oauthJson(async (req) => {
      await staff(req);
      const org = typeof req.query.organization === 'string' ? req.query.organization : undefined;
      if (org !== undefined && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(org)) throw badRequest('organization is Organization/<id>');
      const lists = org ? await api.attribution.listsOf(org) : await api.attribution.lists.find({}, { sort: [['_id', 1]], limit: 10_000 });
      const today = dayOf(Date.now());
      return Promise.all(lists.map(async (l) => ({ ...l, members: await api.attribution.countActive(l._id, today) })));
    }));

    route(app, admin('get', '/admin/attribution/lists/:list/members', 'the entries of a list (removed and ended ones too), paged by ?after=<patient>'), oauthJson(async (req) => {
      await staff(req);
      const list = parsed(patientId, req.params.list);
      const after = req.query.after === undefined ? undefined : parsed(patientId, req.query.after);
      const limit = Math.min(Number(req.query.limit ?? 500) || 500, 5_000);
      if (!(await api.attribution.lists.get(list))) throw notFound(`No attribution list ${list}`);
      const filter = after === undefined ? { list } : { list, _id: { $gt: memberKey(list, after) } };
      return api.attribution.members.find(filter, { sort: [['_id', 1]], limit });
    }));

    route(app, admin('post', '/admin/attribution/lists/:list/members', 'add a member to a list (or change their entry); audited'), json, oauthJson(async (req, res) => {
      const t = await staff(req);
      const list = parsed(patientId, req.params.list);
      const input = parsed(addInput, req.body);
      const entry = await addMember(list, input, 'staff', who(t));
      await audit(t, 'U', list, input.patient, 'member added to the attribution list by payer staff', input.reason);
      res.status(201);
      return entry;
    }));

    route(app, admin('delete', '/admin/attribution/lists/:list/members/:patient', 'remove a member from a list (kept as removed; rebuilds do not add them back); audited'), oauthJson(async (req) => {
      const t = await staff(req);
      const list = parsed(patientId, req.params.list);
      const patient = parsed(patientId, req.params.patient);
      const reason = typeof req.query.reason === 'string' ? req.query.reason.slice(0, 500) : undefined;
      const old = await api.attribution.members.get(memberKey(list, patient));
      if (!old || old.removed) throw notFound('That member is not on the list');
      const removed = { ...old, removed: { by: who(t), at: Date.now(), ...(reason ? { reason } : {}) }, updatedAt: Date.now() };
      await api.attribution.members.put(removed);
      const l = await api.attribution.lists.get(list);
      if (l) await api.publish(l);
      await audit(t, 'D', list, patient, 'member removed from the attribution list by payer staff', reason);
      return removed;
    }));

    route(app, admin('post', '/admin/attribution/rebuild', 'rebuild the attribution lists from PCC/PCP assignment and claims now'), oauthJson(async (req) => {
      const t = await staff(req);
      return api.rebuild(who(t));
    }));

    route(app, admin('get', '/admin/attribution/requests', 'provider attribution requests waiting for review'), oauthJson(async (req) => {
      await staff(req);
      return requests.find({ status: 'pending' }, { sort: [['requestedAt', 1]], limit: 1_000 });
    }));

    route(app, admin('post', '/admin/attribution/requests/:id/:decision', 'approve or deny a provider attribution request; audited'), oauthJson(async (req) => {
      const t = await staff(req);
      const decision = parsed(z.enum(['approve', 'deny']), req.params.decision);
      const request = await requests.get(String(req.params.id));
      if (!request || request.status !== 'pending') throw notFound('No pending request with that id');
      if (decision === 'approve') {
        const list = (await api.attribution.listsOf(request.organization)).find((l) => l.kind === 'roster');
        if (!list) throw badRequest('The organization has no attribution list yet');
        await addMember(list._id, { patient: request.patient, ...(request.provider ? { provider: request.provider } : {}) }, 'provider-request', who(t));
        await audit(t, 'U', list._id, request.patient, 'provider attribution request approved by payer staff', request.reason);
      }
      const updated = await requests.update(request._id, { status: 'pending' }, { status: decision === 'approve' ? 'approved' : 'denied', decidedBy: who(t) });
      return updated;
    }));

    route(app, admin('put', '/admin/members/:patient/provider-access', "record a member's Provider Access choice on their behalf (in or out)"), json, oauthJson(async (req) => {
      const t = await staff(req);
      const patient = parsed(patientId, req.params.patient);
      const { choice } = parsed(choiceInput, req.body);
      await api.setChoice(patient, choice, { ...(t.fhirUser ? { reference: t.fhirUser } : {}), display: 'payer staff on the member\'s behalf' });
      return { patient, choice: await api.choice(patient) };
    }));

    // Providers.
    const providerDecl = (method: 'get' | 'post' | 'put', path: string, description: string) => ({ method, path, audiences: ['provider'] as const, description });
    const providerUser = async (req: Request) => {
      const t = await verify(req.get('Authorization'));
      const user = await auth.users.get(t.subject);
      if (user?.kind === 'provider' && user.organization) return { token: t, organization: user.organization, primary: user.primary === true, locations: user.locations };
      const client = await auth.clients.get(t.clientId);
      if (t.subject === t.clientId && client?.role === 'provider' && client.organization) return { token: t, organization: client.organization, primary: false, locations: client.locations };
      throw forbidden('provider organizations only');
    };

    route(app, providerDecl('post', '/provider/attribution-requests', 'ask the payer to attribute a member to the organization (checked against enrollment and claims)'), json, oauthJson(async (req, res) => {
      const caller = await providerUser(req);
      const input = parsed(requestInput, req.body);
      const enrolled = await enrolledOn(api.store, [input.patient], dayOf(Date.now()), api.payerOrganization);
      const history = enrolled.has(input.patient) && (await api.hasClaimsFrom(input.patient, caller.organization));
      const list = (await api.attribution.listsOf(caller.organization)).find((l) => l.kind === 'roster');
      if (history && list) {
        await addMember(list._id, { patient: input.patient, ...(input.provider ? { provider: input.provider } : {}) }, 'provider-request', who(caller.token));
        res.status(201);
        return { status: 'added', list: list._id };
      }
      const request: AttributionRequest = {
        _id: crypto.randomUUID(),
        organization: caller.organization,
        patient: input.patient,
        ...(input.provider ? { provider: input.provider } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        requestedBy: who(caller.token),
        requestedAt: Date.now(),
        status: 'pending',
      };
      await requests.insert(request);
      res.status(202);
      return { status: 'pending-review', request: request._id, why: 'No recent claim from your organization for this member (or the member is not enrolled today): payer staff will review the request.' };
    }));

    route(app, providerDecl('get', '/provider/clients', "the Primary User lists the organization's backend clients"), oauthJson(async (req) => {
      const caller = await providerUser(req);
      if (!caller.primary) throw forbidden("only the organization's Primary User manages its clients");
      return (await auth.clients.list()).filter((c) => c.organization === caller.organization).map(({ secretHash: _s, ...c }) => c);
    }));

    route(app, providerDecl('put', '/provider/clients/:id/locations', 'the Primary User limits a backend client to some PID/SLs (null: the whole organization)'), json, oauthJson(async (req) => {
      const caller = await providerUser(req);
      if (!caller.primary) throw forbidden("only the organization's Primary User manages its clients");
      const client = await auth.clients.get(String(req.params.id));
      if (!client || client.organization !== caller.organization) throw notFound('No such client of your organization');
      const { locations } = parsed(locationsInput, req.body);
      const outside = (locations ?? []).filter((l) => !(caller.locations ?? []).includes(l));
      if (outside.length > 0) throw badRequest(`not PID/SLs of your organization: ${outside.join(', ')}`);
      const updated = await auth.clients.setLocations(client._id, locations ?? undefined);
      if (!updated) throw notFound('No such client');
      const { secretHash: _s, ...shown } = updated;
      return shown;
    }));

    // Members: the choice on the account page.
    const page = (res: Response, status: number, html: string): void => {
      noStore(res);
      res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
      res.status(status).type('html').send(html);
    };
    const render = async (req: Request, res: Response, notice?: string): Promise<void> => {
      const signed = await sessionUser(auth, req.get('Cookie'));
      if (!signed) return res.redirect(303, `${e.login}`);
      if (signed.user.kind !== 'member' || !signed.user.patientId) {
        page(res, 403, errorPage({ title: 'Members only', message: 'This page is for members choosing whether their providers may get their information.' }));
        return;
      }
      const choice = await api.choice(signed.user.patientId);
      page(res, 200, providerAccessChoicePage({ userName: signed.user.name ?? signed.user.login, choice, action: `${e.account}/provider-access`, hidden: { csrf: signed.session.csrf }, accountUrl: e.account, ...(notice ? { notice } : {}) }));
    };
    route(app, { method: 'get', path: '/account/provider-access', audiences: ['member'], description: 'the member\'s Provider Access choice (opt out or back in)' }, (req, res) => render(req, res));
    route(app, { method: 'post', path: '/account/provider-access', audiences: ['member'], description: 'record the member\'s Provider Access choice (a PDex Consent)' }, formBody, async (req, res) => {
      const signed = await sessionUser(auth, req.get('Cookie'));
      const f = fields(req.body);
      if (!signed || f.csrf !== signed.session.csrf || signed.user.kind !== 'member' || !signed.user.patientId || (f.choice !== 'in' && f.choice !== 'out')) {
        page(res, 403, errorPage({ title: 'Nothing was changed', message: 'This form has expired. Open the page again and try again.' }));
        return;
      }
      await api.setChoice(signed.user.patientId, f.choice, { reference: `Patient/${signed.user.patientId}` });
      await render(req, res, f.choice === 'out' ? 'Done. Your providers can no longer get your information through the Provider Access API.' : 'Done. Your providers can again get your information through the Provider Access API.');
    });
  };
}
