/**
 * FHIR Groups of the attribution store. The FHIR store keeps each list's Group *header* (no members:
 * searchable by identifier, characteristic, name, managing entity); a read of the Group renders its
 * members from the store, in `_id` order:
 *  - roster lists: Da Vinci PDex `pdex-provider-group` (based on ATR): `member.entity` → Patient,
 *    `member.period`, ATR `ext-coverageReference` and `ext-attributedProvider`, `ext-changeType`;
 *  - match lists: PDex `pdex-provider-member-match` members (`entity` → the payer's Patient, the
 *    submitted Patient in `contained`, referenced by the `base-ext-match-parameters` extension).
 * Entries no longer in force are left out of the rendered Group (it lists today's attribution).
 */
import type { Group, GroupMember, Resource } from '@medplum/fhirtypes';
import { IG_EXTENSION } from '../../domain/extensions.js';
import { DAVINCI_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../../domain/systems.js';
import { activeOn, type AttributionList, type AttributionMember } from './attribution-store.js';

export interface PayerRef {
  reference: string;
  display?: string;
}

/** The PDex code of a provider attribution Group (PdexMemberAttributionCS). */
const PDEX_MEMBER_ATTRIBUTION = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMemberAttributionCS';

/** The roster Group as stored in the FHIR store: everything but the members. */
export function rosterGroupHeader(list: AttributionList, quantity: number, payer: PayerRef): Group {
  const identifier: Group['identifier'] = [{ system: IDENTIFIER_SYSTEM.attributionList, value: list._id }];
  if (list.npi) {
    identifier.unshift({
      system: IDENTIFIER_SYSTEM.npi,
      value: list.npi,
      type: { coding: [{ system: CODE_SYSTEM.identifierType, code: 'NPI', display: 'National provider identifier' }] },
    });
  }
  return {
    resourceType: 'Group',
    id: list._id,
    meta: { profile: [DAVINCI_PROFILE.pdexProviderGroup] },
    identifier,
    active: true,
    type: 'person',
    actual: true,
    code: { coding: [{ system: PDEX_MEMBER_ATTRIBUTION, code: 'pdexprovidergroup', display: 'PDex member attribution group' }] },
    name: list.name,
    quantity,
    managingEntity: payer,
    characteristic: [
      {
        // PDex 2.1.0 pdex-provider-group fixes every characteristic's code; the value is the attributed organization.
        code: { coding: [{ system: PDEX_MEMBER_ATTRIBUTION, code: 'pdexprovidergroup', display: 'PDex Provider Group' }] },
        valueReference: { reference: list.organization, ...(list.npi ? { identifier: { system: IDENTIFIER_SYSTEM.npi, value: list.npi } } : {}) },
        exclude: false,
      },
    ],
  };
}

/** One roster member entry as ATR lists it. */
export function rosterMember(e: AttributionMember): GroupMember {
  const extension: GroupMember['extension'] = [{ url: IG_EXTENSION.atrChangeType, valueCode: 'nochange' }];
  if (e.coverage) extension.push({ url: IG_EXTENSION.atrCoverageReference, valueReference: { reference: `Coverage/${e.coverage}` } });
  extension.push({ url: IG_EXTENSION.atrAttributedProvider, valueReference: { reference: e.provider ?? e.organization } });
  return { extension, entity: { reference: `Patient/${e.patient}` }, period: e.end === undefined ? { start: e.start } : { start: e.start, end: e.end }, inactive: false };
}

/** The PDex extension naming the submitted Patient a matched member came from. */
export const MATCH_PARAMETERS_EXTENSION = 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/base-ext-match-parameters';

/** The full Group: the stored header with the list's members in force on `day` (and, for match lists, the submitted Patients). */
export function groupWithMembers(header: Group, list: AttributionList, entries: readonly AttributionMember[], day: string): Group {
  const active = entries.filter((e) => activeOn(e, day));
  // R4 JSON has no empty arrays: a list whose entries all ended has no `member` at all.
  if (list.kind === 'roster') return { ...header, quantity: active.length, ...(active.length > 0 ? { member: active.map(rosterMember) } : {}) };
  const contained: Resource[] = [];
  const member = active.map((e): GroupMember => {
    const m: GroupMember = { entity: { reference: `Patient/${e.patient}` }, period: { start: e.start, ...(e.end ? { end: e.end } : {}) } };
    if (e.submitted) {
      const submitted = JSON.parse(e.submitted) as Resource;
      const id = submitted.id ?? `m${contained.length}`;
      contained.push({ ...submitted, id });
      // PDex ProviderMemberMatchGroup: the matchedMember extension sits on member.entity.
      m.entity.extension = [{ url: MATCH_PARAMETERS_EXTENSION, valueReference: { reference: `#${id}` } }];
    }
    return m;
  });
  // PDex pdex-provider-member-match needs member 1..*: the stored header (no members) and an emptied
  // list do not claim it; a rendered list with members does.
  const meta = member.length > 0 ? { ...header.meta, profile: [DAVINCI_PROFILE.pdexProviderMemberMatchGroup] } : header.meta;
  return { ...header, ...(meta ? { meta } : {}), quantity: active.length, ...(contained.length > 0 ? { contained } : {}), ...(member.length > 0 ? { member } : {}) };
}

/** The PDex result code of a match Group (PdexMultiMemberMatchResultCS). */
const PDEX_MATCH_RESULT = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS';

/** A match list's Group as stored in the FHIR store (no members, so it claims no profile; see groupWithMembers). */
export function matchGroupHeader(list: AttributionList, quantity: number, payer: PayerRef): Group {
  const { meta: _roster, ...roster } = rosterGroupHeader(list, quantity, payer);
  const match = { coding: [{ system: PDEX_MATCH_RESULT, code: 'match', display: 'Matched' }] };
  return { ...roster, code: match, characteristic: roster.characteristic?.map((c) => ({ ...c, code: match })) };
}
