/**
 * Attribution lists: one Group per provider organization (Da Vinci PDex provider group, based
 * on the ATR Group). The attributed organization is named by its NPI in Group.identifier and in
 * Group.characteristic (valueReference with the NPI identifier); each member entry references
 * the Patient, the Coverage and the attributed clinician, with the attribution period.
 *
 * All attributed members are listed, including members who opted out of Provider Access: the
 * opt-out (a Consent) is enforced when the list is used, not by editing the list.
 */
import type { Group, GroupMember } from '@medplum/fhirtypes';
import { IG_EXTENSION } from '../domain/extensions.js';
import { DAVINCI_PROFILE } from '../domain/profile-urls.js';
import { IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../domain/systems.js';
import { instant } from './dates.js';
import { concept, refTo, typedIdentifier } from './fhir-values.js';
import type { AttributionEntry } from './member/member-context.js';
import type { ProviderDirectory } from './provider-directory.js';

export function attributionGroups(directory: ProviderDirectory, entries: ReadonlyMap<string, AttributionEntry[]>, now: Date): Group[] {
  const nowDay = now.toISOString().slice(0, 10);
  const groups: Group[] = [];
  const orgIds = Array.from(entries.keys()).sort();
  for (const orgId of orgIds) {
    const org = directory.org(orgId);
    const list = entries.get(orgId) ?? [];
    const member = list.map((e): GroupMember => {
      const m: GroupMember = {
        extension: [
          { url: IG_EXTENSION.atrChangeType, valueCode: 'nochange' },
          { url: IG_EXTENSION.atrCoverageReference, valueReference: refTo('Coverage', e.coverageId) },
          { url: IG_EXTENSION.atrAttributedProvider, valueReference: e.practitionerId ? refTo('Practitioner', e.practitionerId) : refTo('Organization', orgId) },
        ],
        entity: refTo('Patient', e.patientId),
        period: e.end === undefined ? { start: e.start } : { start: e.start, end: e.end },
        inactive: e.end !== undefined && e.end < nowDay,
      };
      return m;
    });
    const npi = org.npi ?? '';
    groups.push({
      resourceType: 'Group',
      id: `grp-attr-${orgId.replace(/^org-/, '')}`,
      meta: { lastUpdated: instant(now.getTime() - 3_600_000), profile: [DAVINCI_PROFILE.pdexProviderGroup] },
      extension: [{ url: IG_EXTENSION.atrContractValidityPeriod, valuePeriod: { start: '2016-01-01' } }],
      identifier: [typedIdentifier(IDENTIFIER_SYSTEM.npi, npi, 'NPI', 'National provider identifier'), { system: IDENTIFIER_SYSTEM.attributionList, value: `ATTR-${npi}` }],
      active: true,
      type: 'person',
      actual: true,
      name: `Attributed members - ${org.name}`,
      quantity: member.length,
      managingEntity: refTo('Organization', directory.payer.id, 'MassHealth'),
      characteristic: [
        {
          code: concept(PROGRAM_CODE_SYSTEM.attribution, 'attributed-organization', 'Attributed provider organization'),
          valueReference: { reference: `Organization/${orgId}`, identifier: { system: IDENTIFIER_SYSTEM.npi, value: npi }, display: org.name },
          exclude: false,
        },
      ],
      member,
    });
  }
  return groups;
}

