/**
 * Which data Provider Access releases (CMS-0057-F, 42 CFR 431.61(a)(2): the Patient Access data with a
 * date of service on or after 2016-01-01, "excluding provider remittances and enrollee cost-sharing
 * information", and prior authorizations other than for drugs):
 *  - member types: claims and encounters (CARIN BB ExplanationOfBenefit, reduced to the CARIN "Basis"
 *    view by domain/provider-access-data.ts), US Core clinical types, Coverage, the Patient, Provenance,
 *    and the PDex prior authorization views; not Consent (the member's own choices), PAS Claim /
 *    ClaimResponse (the PA views carry their outcome), or any payment or billing type;
 *  - drug prior authorizations (`use = preauthorization` with claim type `pharmacy`, or every item a
 *    drug code) are filtered out in the store query, through the program search parameter
 *    `drug-prior-auth` (search/definitions/program.json), so reads, searches and exports all leave
 *    them out; the export checks each EOB line again with the same rule in code;
 *  - directory types (organizations, practitioners, locations …) as for any caller.
 */
import { SHARED_REFERENCE_TYPES } from '../../auth/access-policy.js';
import type { FilterDocument } from '../../store/port.js';

/** The member types released, before intersecting with what the server stores. */
export const PROVIDER_ACCESS_TYPES: readonly string[] = [
  'Patient',
  'Coverage',
  'ExplanationOfBenefit',
  'Encounter',
  'Condition',
  'Observation',
  'DiagnosticReport',
  'AllergyIntolerance',
  'Immunization',
  'Procedure',
  'MedicationRequest',
  'MedicationDispense',
  'DocumentReference',
  'CarePlan',
  'CareTeam',
  'Goal',
  'ServiceRequest',
  'Device',
  'Specimen',
  'QuestionnaireResponse',
  'RelatedPerson',
  'Provenance',
];

export interface ProviderData {
  /** Member types released (those the server knows). */
  member: ReadonlySet<string>;
  directory: ReadonlySet<string>;
  /** ExplanationOfBenefit records that are drug prior authorizations. */
  drugPriorAuths: FilterDocument;
}

/** `compile(type, query)` turns a search into a store filter (the search engine's translator). */
export function providerData(knownTypes: ReadonlySet<string>, compile: (type: string, query: Array<[string, string]>) => FilterDocument): ProviderData {
  return {
    member: new Set(PROVIDER_ACCESS_TYPES.filter((t) => knownTypes.has(t))),
    directory: SHARED_REFERENCE_TYPES,
    drugPriorAuths: compile('ExplanationOfBenefit', [['drug-prior-auth', 'true']]),
  };
}

/** The filter a released type's records must also pass (undefined: none). */
export function providerDataFilter(data: ProviderData, type: string): FilterDocument | undefined {
  return type === 'ExplanationOfBenefit' ? { $nor: [data.drugPriorAuths] } : undefined;
}
