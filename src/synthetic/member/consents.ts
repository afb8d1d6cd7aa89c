/**
 * Member data-sharing choices as Consent resources:
 * - Provider Access opt-out: Da Vinci PDex pdex-provider-consent, provision.type = deny
 *   (members are in by default; absence of a record means permit).
 * - Payer-to-Payer opt-in: Da Vinci HRex hrex-consent, provision.type = permit, the program as
 *   source (performer) and the other payer as recipient (IRCP), backed by the signed form
 *   (sourceReference → DocumentReference).
 */
import type { Consent, DocumentReference } from '@medplum/fhirtypes';
import { DAVINCI_PROFILE, HREX_CONSENT_POLICY_REGULAR } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { addDays, businessInstant, maxDay, randomDay } from '../dates.js';
import { concept, refTo } from '../fhir-values.js';
import { DOCUMENT_TYPES } from '../tables/clinical-codes.js';
import type { MemberRun } from './member-context.js';

const PRIVACY = concept(CODE_SYSTEM.consentScope, 'patient-privacy', 'Privacy Consent');
const DISCLOSURE = [concept(CODE_SYSTEM.actCode, 'IDSCL', 'information disclosure')];
const DISCLOSE = [concept(CODE_SYSTEM.consentAction, 'disclose', 'Disclose')];

function signedOn(run: MemberRun): string {
  const from = maxDay(run.profile.coverages[0].start, addDays(run.nowDay, -3 * 365));
  return randomDay(run.rng, from, addDays(run.nowDay, -1));
}

/** What every member-signed consent shares: an active privacy consent by the member about their own data. */
function memberConsent(run: MemberRun, id: string, at: string, profile: string): Consent {
  return {
    resourceType: 'Consent',
    id,
    meta: { lastUpdated: at, profile: [profile] },
    identifier: [{ system: IDENTIFIER_SYSTEM.consentId, value: id.toUpperCase() }],
    status: 'active',
    scope: PRIVACY,
    category: DISCLOSURE,
    patient: refTo('Patient', run.profile.id),
    dateTime: at,
    performer: [refTo('Patient', run.profile.id)],
  };
}

export function addProviderAccessOptOut(run: MemberRun): void {
  const day = signedOn(run);
  const at = businessInstant(run.rng, day);
  const id = run.sink.nextId('cns');
  const payer = refTo('Organization', run.ctx.directory.payer.id, 'MassHealth');
  const consent: Consent = {
    ...memberConsent(run, id, at, DAVINCI_PROFILE.pdexProviderConsent),
    organization: [payer],
    policyRule: concept(CODE_SYSTEM.consentPolicy, 'cric', 'Common Rule Informed Consent'),
    provision: {
      type: 'deny',
      period: { start: day },
      actor: [{ role: concept(CODE_SYSTEM.provenanceParticipantType, 'performer', 'Performer'), reference: payer }],
      action: DISCLOSE,
    },
  };
  run.sink.add(consent);
}

export function addPayerToPayerOptIn(run: MemberRun): void {
  const { rng } = run;
  const day = signedOn(run);
  const at = businessInstant(rng, day);
  const otherPayer = rng.pick(run.ctx.directory.otherPayers);
  const docId = run.sink.nextId('doc');
  const text = `Member authorization for MassHealth to share claims, encounter, clinical and prior authorization data with ${otherPayer.name} (payer-to-payer exchange, CMS-0057-F).\nSynthetic demo data - not a real patient.`;
  const form: DocumentReference = {
    resourceType: 'DocumentReference',
    id: docId,
    meta: { lastUpdated: at },
    identifier: [{ system: IDENTIFIER_SYSTEM.documentId, value: docId.toUpperCase() }],
    status: 'current',
    type: concept(CODE_SYSTEM.loinc, DOCUMENT_TYPES.consent.code, DOCUMENT_TYPES.consent.display),
    subject: refTo('Patient', run.profile.id),
    date: at,
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text, 'utf8').toString('base64'), title: 'Payer-to-payer data sharing authorization' } }],
  };
  run.sink.add(form);
  const id = run.sink.nextId('cns');
  const consent: Consent = {
    ...memberConsent(run, id, at, DAVINCI_PROFILE.hrexConsent),
    sourceReference: refTo('DocumentReference', docId),
    policy: [{ uri: HREX_CONSENT_POLICY_REGULAR }],
    provision: {
      type: 'permit',
      period: { start: day, end: addDays(day, 5 * 365) },
      actor: [
        { role: concept(CODE_SYSTEM.provenanceParticipantType, 'performer', 'Performer'), reference: refTo('Organization', run.ctx.directory.payer.id, 'MassHealth') },
        { role: concept(CODE_SYSTEM.participationType, 'IRCP', 'information recipient'), reference: refTo('Organization', otherPayer.id, otherPayer.name) },
      ],
      action: DISCLOSE,
    },
  };
  run.sink.add(consent);
}
