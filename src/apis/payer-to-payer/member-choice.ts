/**
 * Our members' Payer-to-Payer choices, the requesting side (CMS-0057-F 42 CFR 431.61(b)(2): the new
 * payer asks for the previous and concurrent payers at enrollment, and requests their data only with the
 * member's opt-in).
 *  - Other payers on file: Coverage resources of the member whose payor is another payer's
 *    Organization (recorded at enrollment by staff): `previous` when the coverage has ended, `concurrent`
 *    while it is active. Their `subscriberId` is the member's ID at that payer.
 *  - The opt-in is an HRex hrex-consent Consent, exactly the one sent to that payer with `$member-match`:
 *    the member as performer, that payer as source (`performer` actor), us as recipient (`IRCP`),
 *    policy `#regular`, permit, disclose, for EXCHANGE_YEARS from the day it is given, backed by a
 *    DocumentReference stating what the member agreed to and how (`sourceReference`).
 *  - Withdrawing sets the member's active opt-ins for that payer to `inactive` (and, since hrex-consent
 *    fixes status to active, drops the profile claim). No opt-in in force, no request to that payer.
 */
import type { Consent, Coverage, DocumentReference, Identifier, Organization, Reference } from '@medplum/fhirtypes';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { memberDisclosureConsent } from '../../domain/disclosure-consent.js';
import type { FhirRequest, FhirResponse } from '../../fhir/rest/types.js';
import type { ResourceStore } from '../../store/port.js';
import { HREX_POLICY } from './exchange-consent.js';
import { EXCHANGE_YEARS } from './payer-data.js';

export interface OtherPayer {
  /** `Organization/<id>`. */
  payer: string;
  name?: string;
  identifiers: Identifier[];
  coverage: string;
  /** The member's ID at that payer (Coverage.subscriberId). */
  memberId?: string;
  kind: 'previous' | 'concurrent';
  period?: { start?: string; end?: string };
  /** The member's opt-in for this payer in force today, if any. */
  optIn?: Consent;
}

export interface MemberChoiceDeps {
  store: ResourceStore;
  /** Our payer Organization. */
  payer: { reference: string; display?: string };
  system(req: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>): Promise<FhirResponse>;
  clock: () => Date;
}

const PERFORMER = { system: CODE_SYSTEM.provenanceParticipantType, code: 'performer' };
const RECIPIENT = { system: CODE_SYSTEM.participationType, code: 'IRCP' };
const dayOf = (d: Date): string => d.toISOString().slice(0, 10);
const yearsAfter = (day: string, years: number): string => `${Number(day.slice(0, 4)) + years}${day.slice(4)}`;
const roleIs = (a: { role?: { coding?: Array<{ system?: string; code?: string }> } }, r: { system: string; code: string }) => (a.role?.coding ?? []).some((c) => c.code === r.code);

/** Is this Consent an exchange opt-in for `payer` as source (by reference or one of its identifiers)? */
function isOptInFor(c: Consent, payer: { reference: string; identifiers: Identifier[] }): boolean {
  if (!(c.meta?.profile ?? []).includes(DAVINCI_PROFILE.hrexConsent) || c.provision?.type !== 'permit') return false;
  return (c.provision.actor ?? []).some((a) => {
    if (!roleIs(a, PERFORMER)) return false;
    if (a.reference?.reference === payer.reference) return true;
    const id = a.reference?.identifier;
    return id?.value !== undefined && payer.identifiers.some((i) => i.value === id.value && i.system === id.system);
  });
}

export function memberChoices(deps: MemberChoiceDeps) {
  async function organization(reference: string): Promise<Organization | undefined> {
    const r = await deps.store.current('Organization', reference.slice('Organization/'.length));
    return r && !r.del ? (r.res as Organization) : undefined;
  }

  async function consentsOf(patient: string): Promise<Consent[]> {
    const { records } = await deps.store.find({ filter: { type: 'Consent', 'sp.patient': `Patient/${patient}` }, sort: [['_id', 1]], limit: 10_000 });
    return records.map((r) => r.res as Consent);
  }

  /** The member's other payers (from Coverage), each with its opt-in in force today. */
  async function otherPayers(patient: string): Promise<OtherPayer[]> {
    const today = dayOf(deps.clock());
    const { records } = await deps.store.find({ filter: { type: 'Coverage', 'sp.beneficiary': `Patient/${patient}` }, sort: [['_id', 1]], limit: 1_000 });
    const consents = (await consentsOf(patient)).filter((c) => c.status === 'active' && (c.provision?.period?.end ?? '9999') >= today && (c.provision?.period?.start ?? '') <= today);
    const out: OtherPayer[] = [];
    for (const r of records) {
      const cov = r.res as Coverage;
      const payer = cov.payor?.[0]?.reference;
      if (!payer?.startsWith('Organization/') || payer === deps.payer.reference) continue;
      const org = await organization(payer);
      const identifiers = org?.identifier ?? [];
      const ended = cov.status === 'cancelled' || (cov.period?.end !== undefined && cov.period.end < today);
      const optIn = consents.filter((c) => isOptInFor(c, { reference: payer, identifiers })).sort((a, b) => ((a.dateTime ?? '') < (b.dateTime ?? '') ? 1 : -1))[0];
      out.push({
        payer,
        ...(org?.name ? { name: org.name } : {}),
        identifiers,
        coverage: cov.id as string,
        ...(cov.subscriberId ? { memberId: cov.subscriberId } : {}),
        kind: ended ? 'previous' : 'concurrent',
        ...(cov.period ? { period: cov.period } : {}),
        ...(optIn ? { optIn } : {}),
      });
    }
    return out;
  }

  /** Records the member's opt-in for `payer` (a signed-statement DocumentReference and the hrex-consent Consent). */
  async function optIn(patient: string, payer: string, how: string): Promise<Consent> {
    const org = await organization(payer);
    if (!org) throw new Error(`No Organization ${payer}`);
    const us = await organization(deps.payer.reference);
    const now = deps.clock();
    const day = dayOf(now);
    const name = org.name ?? payer;
    const statement: DocumentReference = {
      resourceType: 'DocumentReference',
      status: 'current',
      type: { coding: [{ system: CODE_SYSTEM.loinc, code: '59284-0', display: 'Consent Document' }] },
      subject: { reference: `Patient/${patient}` },
      date: now.toISOString(),
      description: `Payer-to-payer opt-in (${how})`,
      content: [
        {
          attachment: {
            contentType: 'text/plain',
            title: 'Payer-to-payer data exchange authorization',
            data: Buffer.from(
              `The member asked ${deps.payer.display ?? 'the program'} to obtain their claims, encounter, clinical and prior authorization data of the last ${EXCHANGE_YEARS} years from ${name} (CMS-0057-F payer-to-payer exchange). Recorded ${now.toISOString()} (${how}).`,
              'utf8',
            ).toString('base64'),
          },
        },
      ],
    };
    const doc = await deps.system({ method: 'POST', path: ['DocumentReference'], body: statement });
    const docId = (doc.body as DocumentReference | undefined)?.id;
    const party = (reference: string, o: Organization | undefined): Reference<Organization> => ({
      reference,
      ...(o?.identifier?.[0] ? { identifier: o.identifier[0] } : {}),
      ...(o?.name ? { display: o.name } : {}),
    });
    const consent: Consent = {
      ...memberDisclosureConsent(DAVINCI_PROFILE.hrexConsent, patient, now),
      ...(docId ? { sourceReference: { reference: `DocumentReference/${docId}` } } : {}),
      policy: [{ uri: HREX_POLICY.regular }],
      provision: {
        type: 'permit',
        period: { start: day, end: yearsAfter(day, EXCHANGE_YEARS) },
        actor: [
          { role: { coding: [{ ...PERFORMER, display: 'Performer' }] }, reference: party(payer, org) },
          { role: { coding: [{ ...RECIPIENT, display: 'information recipient' }] }, reference: party(deps.payer.reference, us) },
        ],
        action: [{ coding: [{ system: CODE_SYSTEM.consentAction, code: 'disclose', display: 'Disclose' }] }],
      },
    };
    const out = await deps.system({ method: 'POST', path: ['Consent'], body: consent });
    return (out.body as Consent | undefined) ?? consent;
  }

  /** Withdraws the member's opt-ins for `payer`: each active one becomes inactive. How many were. */
  async function withdraw(patient: string, payer: string): Promise<number> {
    const org = await organization(payer);
    const target = { reference: payer, identifiers: org?.identifier ?? [] };
    let n = 0;
    for (const c of await consentsOf(patient)) {
      if (c.status !== 'active' || !isOptInFor(c, target)) continue;
      // hrex-consent fixes status to active: a withdrawn opt-in no longer claims the profile.
      const profile = (c.meta?.profile ?? []).filter((p) => p !== DAVINCI_PROFILE.hrexConsent);
      const meta = { ...c.meta, ...(profile.length > 0 ? { profile } : {}) };
      if (profile.length === 0) delete meta.profile;
      await deps.system({ method: 'PUT', path: ['Consent', c.id as string], body: { ...c, meta, status: 'inactive' } });
      n++;
    }
    return n;
  }

  return { otherPayers, optIn, withdraw };
}

export type MemberChoices = ReturnType<typeof memberChoices>;
