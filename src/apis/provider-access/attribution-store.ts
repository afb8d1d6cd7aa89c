/**
 * The attribution store: which members are attributed to which provider organization, one document per
 * (list, member) in the document store, never one document per list (a list may hold 100,000 members,
 * and a MongoDB document is limited to 16 MB). The FHIR Group a provider reads is rendered from it
 * (attribution-groups.ts); the FHIR store keeps only the Group's header, so the Group is searchable.
 *
 * Two kinds of list share the store and the export engine:
 *  - `roster`: the standing attribution list of an organization (Da Vinci ATR / PDex provider group),
 *    built from PCC/PCP assignment and recent claims (attribution-builder.ts), changed by payer staff and
 *    by checked provider requests;
 *  - `match`: the matched Group answered by `Group/$provider-member-match` (PDex 2.2), kept 30 days.
 *
 * Member entries carry a period; a member is attributed on a day when the entry covers it and payer
 * staff have not removed it. Removed entries are kept (with who and why) so a rebuild does not add the
 * member back and the change stays visible.
 */
import type { DocumentCollection, DocumentStore, StoredDocument } from '../../store/document-port.js';

export type ListKind = 'roster' | 'match';

export interface AttributionList extends StoredDocument {
  /** The FHIR Group id. */
  _id: string;
  /** The attributed provider organization, `Organization/<id>`. */
  organization: string;
  /** The organization's NPI (Group.identifier, characteristic). */
  npi?: string;
  name: string;
  kind: ListKind;
  /** Match lists: the OAuth client whose request made it. */
  client?: string;
  createdAt: number;
  updatedAt: number;
}

/** Why a member is on a list. */
export type AttributionBasis = 'pcp' | 'claims' | 'provider-request' | 'staff' | 'match';

export interface AttributionMember extends StoredDocument {
  /** `<list>|<patient id>`: one entry per member per list. */
  _id: string;
  list: string;
  organization: string;
  /** The member's Patient id. */
  patient: string;
  /** The attributed provider: `Practitioner/…`, `PractitionerRole/…`, `Location/…` or `Organization/…`. */
  provider?: string;
  /** The Coverage the attribution rests on (ATR ext-coverageReference). */
  coverage?: string;
  /** YYYY-MM-DD, inclusive. */
  start: string;
  end?: string;
  basis: AttributionBasis[];
  /** Set when payer staff removed the member: builders never add it back; staff may. */
  removed?: { by: string; at: number; reason?: string };
  /** Match lists: the Patient resource the provider submitted (JSON), shown in the Group's `contained`. */
  submitted?: string;
  updatedAt: number;
}

export const LISTS = 'attribution-lists';
export const MEMBERS = 'attribution-members';

export const memberKey = (list: string, patient: string): string => `${list}|${patient}`;

/** Is the entry in force on this day (YYYY-MM-DD)? */
export function activeOn(entry: AttributionMember, day: string): boolean {
  return entry.removed === undefined && entry.start <= day && (entry.end === undefined || entry.end >= day);
}

export interface AttributionStore {
  lists: DocumentCollection<AttributionList>;
  members: DocumentCollection<AttributionMember>;
  /** The lists of an organization (its rosters and live match lists). */
  listsOf(organization: string): Promise<AttributionList[]>;
  /** Entries of a list in force on `day`, in batches in `_id` order (keyset paging; any size). */
  activeMembers(list: string, day: string, batch: number): AsyncIterable<AttributionMember[]>;
  /** Every entry of a list, removed and ended ones too, in batches. */
  allMembers(list: string, batch: number): AsyncIterable<AttributionMember[]>;
  /** A member's entries on every list. */
  entriesOf(patient: string): Promise<AttributionMember[]>;
  /** How many entries of a list are in force on `day`. */
  countActive(list: string, day: string): Promise<number>;
}

export function attributionStore(docs: DocumentStore): AttributionStore {
  const lists = docs.collection<AttributionList>(LISTS, { indexes: [['organization']] });
  const members = docs.collection<AttributionMember>(MEMBERS, { indexes: [['list', '_id'], ['patient']] });

  async function* pages(list: string, batch: number): AsyncIterable<AttributionMember[]> {
    let after: string | undefined;
    for (;;) {
      const filter = after === undefined ? { list } : { list, _id: { $gt: after } };
      const page = await members.find(filter, { sort: [['_id', 1]], limit: batch });
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]._id;
      if (page.length < batch) return;
    }
  }

  return {
    lists,
    members,
    listsOf: (organization) => lists.find({ organization }, { sort: [['_id', 1]], limit: 10_000 }),
    async *activeMembers(list, day, batch) {
      for await (const page of pages(list, batch)) {
        const active = page.filter((e) => activeOn(e, day));
        if (active.length > 0) yield active;
      }
    },
    allMembers: pages,
    entriesOf: (patient) => members.find({ patient }, { sort: [['_id', 1]], limit: 10_000 }),
    async countActive(list, day) {
      let n = 0;
      for await (const page of pages(list, 5_000)) n += page.filter((e) => activeOn(e, day)).length;
      return n;
    },
  };
}
