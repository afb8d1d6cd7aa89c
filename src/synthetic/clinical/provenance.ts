/**
 * US Core Provenance for a member's clinical records: which organization authored them, and when the
 * record was last updated (US Core "Basic Provenance": the organization responsible for the most recent
 * action on the resource). One Provenance per authoring organization, targeting every US Core clinical
 * resource of the member that organization authored; written last, after everything it targets.
 */
import type { Provenance, Reference, Resource } from '@medplum/fhirtypes';
import { US_CORE_PROFILE } from '../../domain/profile-urls.js';
import { CODE_SYSTEM } from '../../domain/systems.js';
import { concept, refTo } from '../fhir-values.js';
import type { MemberRun } from '../member/member-context.js';

/** The clinical resource types US Core Provenance covers in the member's record (USCDI classes). */
const CLINICAL_TYPES: ReadonlySet<string> = new Set([
  'AllergyIntolerance',
  'CarePlan',
  'Condition',
  'DiagnosticReport',
  'DocumentReference',
  'Encounter',
  'Goal',
  'Immunization',
  'MedicationRequest',
  'Observation',
  'Procedure',
  'ServiceRequest',
]);

const US_CORE_PREFIX = 'http://hl7.org/fhir/us/core/StructureDefinition/';

function organizationId(ref: Reference | undefined): string | undefined {
  const literal = ref?.reference;
  return literal?.startsWith('Organization/') ? literal.slice('Organization/'.length) : undefined;
}

function encounterId(resource: Resource): string | undefined {
  const ref = 'encounter' in resource ? resource.encounter : resource.resourceType === 'DocumentReference' ? resource.context?.encounter?.[0] : undefined;
  const literal = ref && !Array.isArray(ref) ? ref.reference : undefined;
  return literal?.startsWith('Encounter/') ? literal.slice('Encounter/'.length) : undefined;
}

/** The organization that authored a record, from what the record itself says; undefined = the member's home practice. */
function authorOf(resource: Resource, encounterOrgs: ReadonlyMap<string, string>): string | undefined {
  switch (resource.resourceType) {
    case 'Encounter':
      return organizationId(resource.serviceProvider);
    case 'DocumentReference':
      return organizationId(resource.custodian) ?? encounterOrgs.get(encounterId(resource) ?? '');
    case 'Observation':
    case 'DiagnosticReport':
      return resource.performer?.map(organizationId).find((id) => id !== undefined) ?? encounterOrgs.get(encounterId(resource) ?? '');
    default:
      return encounterOrgs.get(encounterId(resource) ?? '');
  }
}

function isUsCoreClinical(resource: Resource): boolean {
  return CLINICAL_TYPES.has(resource.resourceType) && (resource.meta?.profile ?? []).some((p) => p.startsWith(US_CORE_PREFIX));
}

/** Writes one Provenance per organization that authored the member's clinical records. */
export function addProvenance(run: MemberRun, homeOrgId: string): void {
  const encounterOrgs = new Map<string, string>();
  const byOrg = new Map<string, Resource[]>();
  for (const resource of run.sink.resources) {
    if (!isUsCoreClinical(resource)) continue;
    const orgId = authorOf(resource, encounterOrgs) ?? homeOrgId;
    if (resource.resourceType === 'Encounter' && resource.id) encounterOrgs.set(resource.id, orgId);
    const list = byOrg.get(orgId);
    if (list) list.push(resource);
    else byOrg.set(orgId, [resource]);
  }
  for (const [orgId, targets] of byOrg) {
    // recorded: when the most recent of these records was last updated (each target's meta.lastUpdated).
    const recorded = targets.reduce((latest, r) => ((r.meta?.lastUpdated ?? '') > latest ? (r.meta?.lastUpdated ?? '') : latest), '');
    const provenance: Provenance = {
      resourceType: 'Provenance',
      id: run.sink.nextId('prov'),
      meta: { lastUpdated: recorded, profile: [US_CORE_PROFILE.provenance] },
      target: targets.map((r) => ({ reference: `${r.resourceType}/${r.id ?? ''}` })),
      recorded,
      agent: [{ type: concept(CODE_SYSTEM.provenanceParticipantType, 'author', 'Author'), who: refTo('Organization', orgId) }],
    };
    run.sink.add(provenance);
  }
}
