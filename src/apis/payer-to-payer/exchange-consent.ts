/**
 * Can we comply with the Consent another payer sends with `$member-match` / `$bulk-member-match`?
 * (HRex hrex-consent; PDex payer-to-payer: "member matched, policy compatible with what we can
 * segment, period currently valid, requesting payer matches"; docs/research/payer-to-payer.md §1, §3.)
 *
 * Accepted: status active; provision permit; a period that has started and not ended (both dates
 * required, as hrex-consent requires); exactly one policy, `…hrex-consent.html#regular` (no sensitive
 * data: records with a sensitive security label are withheld) or `#sensitive` (everything); our
 * payer as the source (`performer`) and the requesting payer as the recipient (`IRCP`), each named
 * by identifier (or, for us, by our Organization reference); if actions are given, `disclose`.
 * Anything else is refused with the reason, which the operation returns in a 422 OperationOutcome.
 * The program requires the Consent (HRex 1.1.0 made it optional): a match answer without the member's
 * permission would already disclose that the person is our member.
 */
import type { Consent, Identifier, Reference } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../../domain/systems.js';

export const HREX_POLICY = {
  regular: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#regular',
  sensitive: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#sensitive',
} as const;

export type ExchangePolicy = keyof typeof HREX_POLICY;

export type ConsentCheck = { accepted: true; policy: ExchangePolicy; start: string; end: string } | { accepted: false; reason: string };

export interface PartyIds {
  /** `Organization/<id>` when the party is one of our Organization resources. */
  reference?: string;
  identifiers: Identifier[];
}

const day = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);

/** The policy a URI names, tolerating http/https and a trailing slash, or undefined. */
export function policyOf(uri: string | undefined): ExchangePolicy | undefined {
  const u = uri?.trim().replace(/^https:/, 'http:');
  for (const [name, canonical] of Object.entries(HREX_POLICY) as Array<[ExchangePolicy, string]>) if (u === canonical) return name;
  return undefined;
}

/** Does a Consent actor reference name this party (by one of its identifiers, or by its reference)? */
function names(ref: Reference | undefined, party: PartyIds): boolean {
  if (!ref) return false;
  if (party.reference && ref.reference !== undefined && (ref.reference === party.reference || ref.reference.endsWith(`/${party.reference}`))) return true;
  const id = ref.identifier;
  return id?.value !== undefined && party.identifiers.some((i) => i.value === id.value && (i.system === undefined || id.system === undefined || i.system === id.system));
}

const hasCode = (concept: { coding?: Array<{ system?: string; code?: string }> } | undefined, system: string, code: string): boolean =>
  (concept?.coding ?? []).some((c) => c.code === code && (c.system === undefined || c.system === system));

export function checkExchangeConsent(consent: Consent | undefined, o: { today: string; us: PartyIds; requester: PartyIds }): ConsentCheck {
  const refuse = (reason: string): ConsentCheck => ({ accepted: false, reason });
  if (!consent || consent.resourceType !== 'Consent') return refuse('A Consent is required: the program shares a member\'s data with another payer only with the member\'s permission');
  if (consent.status !== 'active') return refuse(`The Consent is ${consent.status ?? 'without a status'}, not active`);
  const provision = consent.provision;
  if (provision?.type !== 'permit') return refuse('The Consent does not permit the exchange (provision.type must be permit)');
  const start = day(provision.period?.start);
  const end = day(provision.period?.end);
  if (!start || !end) return refuse('The Consent must give the period it is valid for (provision.period start and end)');
  if (start > o.today) return refuse(`The Consent is not in force until ${start}`);
  if (end < o.today) return refuse(`The Consent expired on ${end}`);
  const policies = consent.policy ?? [];
  if (policies.length !== 1) return refuse('The Consent must name exactly one policy (hrex-consent #regular or #sensitive)');
  const policy = policyOf(policies[0].uri);
  if (!policy) return refuse(`The Consent's policy ${policies[0].uri ?? '(none)'} is not one this payer can comply with (hrex-consent #regular or #sensitive)`);
  const actors = provision.actor ?? [];
  const source = actors.filter((a) => hasCode(a.role, CODE_SYSTEM.provenanceParticipantType, 'performer'));
  const recipient = actors.filter((a) => hasCode(a.role, CODE_SYSTEM.participationType, 'IRCP'));
  if (!source.some((a) => names(a.reference, o.us))) return refuse('The Consent does not name this payer as the source of the data (provision.actor with role performer)');
  if (!recipient.some((a) => names(a.reference, o.requester))) return refuse('The Consent does not name the requesting payer as the recipient (provision.actor with role IRCP)');
  const actions = provision.action ?? [];
  if (actions.length > 0 && !actions.some((a) => hasCode(a, CODE_SYSTEM.consentAction, 'disclose'))) return refuse('The Consent does not permit disclosure (provision.action disclose)');
  return { accepted: true, policy, start, end };
}
