/**
 * What the Payer-to-Payer exchange releases to another payer for a matched member with a Consent in
 * force (CMS-0057-F 42 CFR 431.61(b); MISSION.md; docs/research/payer-to-payer.md §3):
 *  - the member types (below): claims and encounters as the CARIN "Basis" view (no remittances, no
 *    cost-sharing: domain/provider-access-data.ts), US Core clinical data, Coverage, the Patient,
 *    Provenance; prior authorizations except denied ones and drugs (the program is stricter here than
 *    PDex, which excludes drugs only: a deliberate choice, see the README);
 *  - dates of service within the last five years (records without any, such as the Patient, pass);
 *  - under the hrex-consent `#regular` policy, nothing labelled sensitive (meta.security: the v3-ActCode
 *    sensitivity codes below, or v3-Confidentiality R / V); `#sensitive` releases those too.
 * Each rule is a store filter, so reads, searches, `$everything` and exports agree.
 */
import { careDateFloorFilter, type PolicyDeps } from '../../auth/access-policy.js';
import type { SearchRegistry } from '../../fhir/search/registry.js';
import type { FilterDocument } from '../../store/port.js';
import type { ExchangePolicy } from './exchange-consent.js';

/** The member types released, before intersecting with what the server stores. */
export const PAYER_EXCHANGE_TYPES: readonly string[] = [
  'Patient',
  'Coverage',
  'ExplanationOfBenefit',
  'Encounter',
  'AllergyIntolerance',
  'CarePlan',
  'CareTeam',
  'Condition',
  'DiagnosticReport',
  'DocumentReference',
  'Goal',
  'Immunization',
  'MedicationDispense',
  'MedicationRequest',
  'Observation',
  'Procedure',
  'ServiceRequest',
  'Provenance',
];

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
/** Security labels that make a record sensitive (HL7 v3 ActCode sensitivity and confidentiality codes). */
export const SENSITIVE_LABELS: readonly string[] = [
  ...['ETH', 'PSY', 'PSYTHPN', 'HIV', 'SDV', 'SEX', 'STD', 'BH', 'GDIS', 'SICKLE', 'SUD', 'MH'].map((c) => `${ACT_CODE}|${c}`),
  `${CONFIDENTIALITY}|R`,
  `${CONFIDENTIALITY}|V`,
];

const YEAR_MS = 365.25 * 86_400_000;
export const EXCHANGE_YEARS = 5;

export interface PayerData {
  member: ReadonlySet<string>;
  /** The filter a released type's records must pass under this policy, at this instant (undefined: none). */
  filter(type: string, policy: ExchangePolicy, now: Date): FilterDocument | undefined;
}

export function payerData(registry: SearchRegistry, policy: PolicyDeps): PayerData {
  const member = new Set(PAYER_EXCHANGE_TYPES.filter((t) => registry.resourceTypes.has(t)));
  const drug = policy.compileQuery('ExplanationOfBenefit', [['drug-prior-auth', 'true']]);
  const denied = policy.compileQuery('ExplanationOfBenefit', [['prior-auth-denied', 'true']]);
  const sensitive = new Map<string, FilterDocument>();
  const sensitiveOf = (type: string): FilterDocument => {
    let f = sensitive.get(type);
    if (!f) sensitive.set(type, (f = policy.compileQuery(type, [['_security', SENSITIVE_LABELS.join(',')]])));
    return f;
  };
  return {
    member,
    filter(type, consentPolicy, now) {
      const parts: FilterDocument[] = [];
      const floor = careDateFloorFilter(registry, type, now.getTime() - EXCHANGE_YEARS * YEAR_MS);
      if (floor) parts.push(floor);
      if (type === 'ExplanationOfBenefit') parts.push({ $nor: [drug, denied] });
      if (consentPolicy === 'regular') parts.push({ $nor: [sensitiveOf(type)] });
      return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
    },
  };
}
