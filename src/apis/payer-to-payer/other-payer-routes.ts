/**
 * Payer staff (`admin`) and a member's other payers (CMS-0057-F 42 CFR 431.61(b): at enrollment the
 * payer asks for the member's previous and concurrent payers, and requests their data only with the
 * member's opt-in):
 *  - `GET  /admin/members/{patient}/other-payers`: the member's other payers on file, each with the
 *    opt-in in force today (or null);
 *  - `POST /admin/members/{patient}/other-payers` `{payer, memberId, kind, start?, end?}`: records one
 *    (a Coverage, other-payer-coverage.ts), 201 with it;
 *  - `PUT  /admin/members/{patient}/payer-exchange` `{payer, choice: "in"|"out"}`: the member's opt-in
 *    or withdrawal, keyed in by staff on the member's behalf, for one of those payers only.
 * As with the Provider Access choice, the member stays the Consent's performer; a Provenance names the
 * staff member as `enterer` of what they wrote (the Coverage, the opt-in, the withdrawn opt-in).
 */
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { parsedInput as parsed } from '../../http/route-input.js';
import type { Coverage, Organization, Provenance, Resource } from '@medplum/fhirtypes';
import { route } from '../../http/audience.js';
import { badRequest, FhirError, notFound } from '../../fhir/outcome.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import type { VerifiedToken } from '../../auth/verify-token.js';
import { oauthJson } from '../../auth/routes/oauth-handler.js';
import type { OtherPayer } from './member-choice.js';
import { otherPayerCoverage, otherPayerInput } from './other-payer-coverage.js';
import type { PayerToPayerApi } from './payer-to-payer.js';

const patientId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'a Patient id');
const exchangeInput = z.object({ payer: z.string().regex(/^Organization\/[A-Za-z0-9\-.]{1,64}$/, 'Organization/<id>'), choice: z.enum(['in', 'out']) }).strict();

/** How an opt-in keyed in by staff says it was given (the signed statement's wording). */
export const STAFF_HOW = "payer staff on the member's behalf";


/** What staff see of one other payer. */
export function otherPayerView(p: OtherPayer) {
  const start = p.optIn?.provision?.period?.start;
  const end = p.optIn?.provision?.period?.end;
  return {
    payer: p.payer,
    name: p.name ?? null,
    kind: p.kind,
    memberId: p.memberId ?? null,
    coverage: p.coverage,
    period: p.period ?? null,
    optIn: p.optIn?.id ? { id: p.optIn.id, start: start ?? null, end: end ?? null } : null,
  };
}

export interface OtherPayerRouteDeps {
  api: PayerToPayerApi;
  /** The caller's token, refused unless it is payer staff's. */
  staff(req: Request): Promise<VerifiedToken>;
  /** PAYER_ORGANIZATION: this program, never recorded as a member's other payer. */
  payer: string;
  clock: () => Date;
}

export function otherPayerRoutes(deps: OtherPayerRouteDeps): (app: Express) => void {
  const { api, staff } = deps;
  const json = express.json({ limit: '16kb' });
  const admin = (method: 'get' | 'post' | 'put', path: string, description: string) => ({ method, path, audiences: ['admin'] as const, description });

  /** The current resource, or undefined when it is unknown or deleted (other failures go on). */
  async function current<T extends Resource = Resource>(type: string, id: string): Promise<T | undefined> {
    try {
      const r = await api.system({ method: 'GET', path: [type, id] });
      return (r.body ?? (r.json !== undefined ? JSON.parse(r.json) : undefined)) as T | undefined;
    } catch (err) {
      if (err instanceof FhirError && (err.status === 404 || err.status === 410)) return undefined;
      throw err;
    }
  }

  /** Who keyed it in: the staff user's FHIR identity when the token has one, and always a display. */
  async function entered(t: VerifiedToken, patient: string, targets: string[], activity: 'CREATE' | 'UPDATE'): Promise<void> {
    if (targets.length === 0) return;
    const provenance: Provenance = {
      resourceType: 'Provenance',
      target: targets.map((reference) => ({ reference })),
      recorded: deps.clock().toISOString(),
      activity: { coding: [{ system: CODE_SYSTEM.dataOperation, code: activity, display: activity === 'CREATE' ? 'create' : 'revise' }] },
      agent: [
        {
          type: { coding: [{ system: CODE_SYSTEM.provenanceParticipantType, code: 'enterer', display: 'Enterer' }] },
          who: { ...(t.fhirUser ? { reference: t.fhirUser } : {}), display: STAFF_HOW },
          onBehalfOf: { reference: `Patient/${patient}` },
        },
      ],
    };
    await api.system({ method: 'POST', path: ['Provenance'], body: provenance });
  }

  return (app) => {
    route(app, admin('get', '/admin/members/:patient/other-payers', "the member's previous and concurrent payers on file, each with the Payer-to-Payer opt-in in force"), oauthJson(async (req) => {
      await staff(req);
      const patient = parsed(patientId, req.params.patient);
      if (!(await current('Patient', patient))) throw notFound(`No member Patient/${patient}`);
      return (await api.choices.otherPayers(patient)).map(otherPayerView);
    }));

    route(app, admin('post', '/admin/members/:patient/other-payers', "record a member's previous or concurrent payer (a Coverage), as asked at enrollment"), json, oauthJson(async (req, res) => {
      const t = await staff(req);
      const patient = parsed(patientId, req.params.patient);
      const input = parsed(otherPayerInput, req.body);
      if (input.payer === deps.payer) throw badRequest(`${input.payer} is this program (PAYER_ORGANIZATION): record the member's other payers only`);
      if (!(await current('Patient', patient))) throw badRequest(`No member Patient/${patient}`);
      const org = await current<Organization>('Organization', input.payer.slice('Organization/'.length));
      if (!org) throw badRequest(`No ${input.payer}: add the other payer's Organization first`);
      const coverage = otherPayerCoverage(input, { patient, ...(org.name ? { payerName: org.name } : {}), today: deps.clock().toISOString().slice(0, 10) });
      const out = await api.system({ method: 'POST', path: ['Coverage'], body: coverage });
      const written = (out.body as Coverage | undefined) ?? coverage;
      if (written.id) await entered(t, patient, [`Coverage/${written.id}`], 'CREATE');
      if (out.headers.Location) res.setHeader('Location', out.headers.Location);
      res.status(201);
      return written;
    }));

    route(app, admin('put', '/admin/members/:patient/payer-exchange', "record a member's Payer-to-Payer opt-in or withdrawal for one of their other payers, on their behalf"), json, oauthJson(async (req) => {
      const t = await staff(req);
      const patient = parsed(patientId, req.params.patient);
      const { payer, choice } = parsed(exchangeInput, req.body);
      const before = (await api.choices.otherPayers(patient)).find((p) => p.payer === payer);
      if (!before) throw badRequest(`${payer} is not among the member's other payers: record it first (POST /admin/members/${patient}/other-payers)`);
      if (choice === 'in' && !before.optIn) {
        const consent = await api.choices.optIn(patient, payer, STAFF_HOW);
        if (consent.id) await entered(t, patient, [`Consent/${consent.id}`], 'CREATE');
      }
      if (choice === 'out' && (await api.choices.withdraw(patient, payer)) > 0 && before.optIn?.id) await entered(t, patient, [`Consent/${before.optIn.id}`], 'UPDATE');
      const after = (await api.choices.otherPayers(patient)).find((p) => p.payer === payer);
      return { patient, payer, choice, optIn: after ? otherPayerView(after).optIn : null };
    }));
  };
}
