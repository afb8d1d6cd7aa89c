/**
 * The prior-authorization rules as data, edited by payer staff (`admin`, JSON) and published (`public`):
 *  - `GET  /admin/pa-rules`: the rule set in force, with its version;
 *  - `PUT  /admin/pa-rules`: replace the whole set (`{ rules, comment?, version? }`);
 *  - `PUT  /admin/pa-rules/services/{id}`: add or change one item/service (`{ service, comment?, version? }`);
 *  - `DELETE /admin/pa-rules/services/{id}`: remove one (`?comment=&version=`);
 *  - `PUT  /admin/pa-rules/{referral|orp|screening}`: change one program rule (`{ rule, comment?, version? }`);
 *  - `GET  /admin/pa-rules/versions`, `GET /admin/pa-rules/versions/{n}`: every version, who and why;
 *  - `GET  /prior-auth/services.json`: the published list of items and services that need PA (no login).
 * `version` is the version the editor read: a save on top of a newer one is refused with 409. A change
 * that leaves the set invalid is refused with 422, every problem named.
 */
import express, { type Express, type Request } from 'express';
import { staffGuard } from '../../auth/staff-token.js';
import { z } from 'zod';
import { parsedInput as parsed } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { TokenVerifier, VerifiedToken } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import { publishedServices, SERVICE_CODE_SYSTEM_NAMES, SERVICE_CODE_SYSTEMS, type PaRuleSet, type PaServiceRule } from '../../domain/pa-requirements.js';
import type { PaRulesStore } from './pa-rules-store.js';

const editMeta = z.object({ comment: z.string().max(2_000).optional(), version: z.coerce.number().int().min(0).optional() });
const ID = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);


/** The published form of a service rule (what a provider or the public reads). */
export function publishedService(r: PaServiceRule) {
  return {
    id: r.id,
    category: r.category,
    codeSystem: SERVICE_CODE_SYSTEM_NAMES[r.system],
    codeSystemUri: SERVICE_CODE_SYSTEMS[r.system],
    code: r.code,
    display: r.display,
    planTypes: r.planTypes,
    effectiveFrom: r.from,
    ...(r.to ? { effectiveTo: r.to } : {}),
    ...(r.paFreeQuantity !== undefined ? { paNeededAbove: r.paFreeQuantity } : {}),
    ...(r.questionnaire ? { documentation: r.questionnaire } : {}),
    ...(r.notes ? { notes: r.notes } : {}),
  };
}

/** The items and services that need PA on `day`, as published (services.json, the metrics page), from the current rules. */
export async function servicesNeedingPa(rules: PaRulesStore, day: string): Promise<ReturnType<typeof publishedService>[]> {
  const current = await rules.current();
  return current ? publishedServices(current.rules, day).map(publishedService) : [];
}

export function paRulesRoutes(deps: { rules: PaRulesStore; verify: TokenVerifier; clock: () => Date }): (app: Express) => void {
  const staff = staffGuard(deps.verify);
  const by = (t: VerifiedToken): string => t.fhirUser ?? (t.subject !== t.clientId ? `${t.subject} (${t.clientId})` : t.clientId);
  const json = express.json({ limit: '2mb' });
  const admin = (method: 'get' | 'put' | 'delete', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });

  const save = async (req: Request, change: (current: PaRuleSet | undefined) => PaRuleSet, meta: { comment?: string; version?: number }) => {
    const token = await staff(req);
    return deps.rules.save(change, { by: by(token), ...(meta.comment !== undefined ? { comment: meta.comment } : {}), ...(meta.version !== undefined ? { expectVersion: meta.version } : {}) });
  };
  const existing = (current: PaRuleSet | undefined): PaRuleSet => {
    if (!current) throw notFound('No prior-authorization rules have been saved yet: PUT /admin/pa-rules first');
    return current;
  };

  return (app) => {
    route(app, admin('get', '/admin/pa-rules', 'the prior-authorization rules in force, with their version'), oauthJson(async (req) => {
      await staff(req);
      const current = await deps.rules.latest();
      if (!current) throw notFound('No prior-authorization rules have been saved yet');
      return current;
    }));
    route(app, admin('put', '/admin/pa-rules', 'replace the whole rule set (a new version)'), json, oauthJson(async (req) => {
      const body = parsed(editMeta.extend({ rules: z.unknown() }), req.body);
      return save(req, () => body.rules as PaRuleSet, body);
    }));
    route(app, admin('get', '/admin/pa-rules/versions', 'every version of the rules: when, who, why'), oauthJson(async (req) => {
      await staff(req);
      return deps.rules.history(1_000);
    }));
    route(app, admin('get', '/admin/pa-rules/versions/:n', 'one version of the rules, as it was'), oauthJson(async (req) => {
      await staff(req);
      const n = parsed(z.coerce.number().int().min(1), req.params.n);
      const v = await deps.rules.version(n);
      if (!v) throw notFound(`No version ${n} of the rules`);
      return v;
    }));
    route(app, admin('put', '/admin/pa-rules/services/:id', 'add or change one item or service needing PA (a new version)'), json, oauthJson(async (req) => {
      const id = parsed(ID, req.params.id);
      const body = parsed(editMeta.extend({ service: z.record(z.string(), z.unknown()) }), req.body);
      if (body.service.id !== undefined && body.service.id !== id) throw badRequest(`service.id (${String(body.service.id)}) differs from the path (${id})`);
      const service = { ...body.service, id } as unknown as PaServiceRule;
      return save(req, (current) => {
        const rules = existing(current);
        const at = rules.services.findIndex((s) => s.id === id);
        const services = at < 0 ? [...rules.services, service] : rules.services.map((s, i) => (i === at ? service : s));
        return { ...rules, services };
      }, body);
    }));
    route(app, admin('delete', '/admin/pa-rules/services/:id', 'remove one item or service from the list (a new version)'), oauthJson(async (req) => {
      const id = parsed(ID, req.params.id);
      const meta = parsed(editMeta, req.query);
      return save(req, (current) => {
        const rules = existing(current);
        if (!rules.services.some((s) => s.id === id)) throw notFound(`No service ${id} in the rules`);
        return { ...rules, services: rules.services.filter((s) => s.id !== id) };
      }, meta);
    }));
    route(app, admin('put', '/admin/pa-rules/:part', 'change the referral, ORP or pre-admission screening rule (a new version)'), json, oauthJson(async (req) => {
      const part = parsed(z.enum(['referral', 'orp', 'screening']), req.params.part);
      const body = parsed(editMeta.extend({ rule: z.record(z.string(), z.unknown()) }), req.body);
      return save(req, (current) => ({ ...existing(current), [part]: body.rule }), body);
    }));
    route(app, { method: 'get', path: '/prior-auth/services.json', audiences: ['public'], description: 'the published list of items and services that need prior authorization' }, oauthJson(async () => {
      const current = await deps.rules.current();
      const day = deps.clock().toISOString().slice(0, 10);
      return { version: current?.version ?? 0, updated: current?.at, asOf: day, services: await servicesNeedingPa(deps.rules, day) };
    }));
  };
}
