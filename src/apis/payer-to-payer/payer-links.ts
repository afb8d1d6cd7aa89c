/**
 * Payer links: which member another payer matched (`$member-match` / `$bulk-member-match`) with a
 * Consent we can comply with, and until when. A payer client reaches a member's data only through a
 * link in force (the Consent's period); one document per (client, member), replaced by a newer match.
 */
import type { DocumentStore, StoredDocument } from '../../store/document-port.js';
import type { ExchangePolicy } from './exchange-consent.js';

export interface PayerLink extends StoredDocument {
  /** `<client>|<patient id>`. */
  _id: string;
  client: string;
  /** The requesting payer's Organization (as registered with its client). */
  organization: string;
  patient: string;
  policy: ExchangePolicy;
  /** The Consent's period, YYYY-MM-DD inclusive. */
  start: string;
  end: string;
  /** The decision that made the link (member-match-decisions). */
  decision: string;
  /** The Consent and the requester's own Coverage (CoverageToLink) as they sent them (JSON). */
  consent: string;
  coverageToLink?: string;
  linkedAt: number;
}

export const PAYER_LINKS = 'payer-links';
export const linkKey = (client: string, patient: string): string => `${client}|${patient}`;

export function payerLinks(docs: DocumentStore) {
  const links = docs.collection<PayerLink>(PAYER_LINKS, { indexes: [['client'], ['patient']] });
  return {
    links,
    /** The client's link to this member in force on `day`, if any. */
    async inForce(client: string, patient: string, day: string): Promise<PayerLink | undefined> {
      const link = await links.get(linkKey(client, patient));
      return link && link.start <= day && link.end >= day ? link : undefined;
    },
  };
}

export type PayerLinks = ReturnType<typeof payerLinks>;
