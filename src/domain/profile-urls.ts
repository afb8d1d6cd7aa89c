/**
 * Canonical URLs of the profiles the generated and served resources claim in meta.profile.
 * The constants are unversioned (as CapabilityStatement.supportedProfile lists them); C4BB
 * resources claim both the plain canonical and the `|2.1.0` one, because C4BB 2.1.0 asks for
 * a versioned meta.profile (invariants *-meta-profile-version) while `_profile` searches and
 * most clients use the plain URL.
 */

const C4BB = 'http://hl7.org/fhir/us/carin-bb/StructureDefinition';

/** The C4BB release the data follows. */
export const C4BB_IG_VERSION = '2.1.0';

/** meta.profile entries for a C4BB profile: the canonical, and the canonical with its version. */
export function c4bbProfileClaims(canonical: string): string[] {
  return [canonical, `${canonical}|${C4BB_IG_VERSION}`];
}
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition';

export const C4BB_PROFILE = {
  patient: `${C4BB}/C4BB-Patient`,
  coverage: `${C4BB}/C4BB-Coverage`,
  organization: `${C4BB}/C4BB-Organization`,
  practitioner: `${C4BB}/C4BB-Practitioner`,
  eobInpatient: `${C4BB}/C4BB-ExplanationOfBenefit-Inpatient-Institutional`,
  eobOutpatient: `${C4BB}/C4BB-ExplanationOfBenefit-Outpatient-Institutional`,
  eobProfessional: `${C4BB}/C4BB-ExplanationOfBenefit-Professional-NonClinician`,
  eobPharmacy: `${C4BB}/C4BB-ExplanationOfBenefit-Pharmacy`,
  eobOral: `${C4BB}/C4BB-ExplanationOfBenefit-Oral`,
} as const;

export const US_CORE_PROFILE = {
  patient: `${US_CORE}/us-core-patient`,
  organization: `${US_CORE}/us-core-organization`,
  practitioner: `${US_CORE}/us-core-practitioner`,
  practitionerRole: `${US_CORE}/us-core-practitionerrole`,
  location: `${US_CORE}/us-core-location`,
  coverage: `${US_CORE}/us-core-coverage`,
  encounter: `${US_CORE}/us-core-encounter`,
  conditionEncounterDiagnosis: `${US_CORE}/us-core-condition-encounter-diagnosis`,
  conditionProblems: `${US_CORE}/us-core-condition-problems-health-concerns`,
  observationLab: `${US_CORE}/us-core-observation-lab`,
  vitalSigns: `${US_CORE}/us-core-vital-signs`,
  bloodPressure: `${US_CORE}/us-core-blood-pressure`,
  bodyWeight: `${US_CORE}/us-core-body-weight`,
  bodyHeight: `${US_CORE}/us-core-body-height`,
  bmi: `${US_CORE}/us-core-bmi`,
  heartRate: `${US_CORE}/us-core-heart-rate`,
  allergyIntolerance: `${US_CORE}/us-core-allergyintolerance`,
  immunization: `${US_CORE}/us-core-immunization`,
  procedure: `${US_CORE}/us-core-procedure`,
  medicationRequest: `${US_CORE}/us-core-medicationrequest`,
  diagnosticReportLab: `${US_CORE}/us-core-diagnosticreport-lab`,
  documentReference: `${US_CORE}/us-core-documentreference`,
  serviceRequest: `${US_CORE}/us-core-servicerequest`,
  observationClinicalResult: `${US_CORE}/us-core-observation-clinical-result`,
  observationScreeningAssessment: `${US_CORE}/us-core-observation-screening-assessment`,
  respiratoryRate: `${US_CORE}/us-core-respiratory-rate`,
  bodyTemperature: `${US_CORE}/us-core-body-temperature`,
  smokingStatus: `${US_CORE}/us-core-smokingstatus`,
  carePlan: `${US_CORE}/us-core-careplan`,
  goal: `${US_CORE}/us-core-goal`,
  provenance: `${US_CORE}/us-core-provenance`,
} as const;

export const DAVINCI_PROFILE = {
  pasClaim: 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claim',
  pasClaimResponse: 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claimresponse',
  /** PDex view of a prior authorization (an ExplanationOfBenefit with use = preauthorization). */
  pdexPriorAuthorization: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization',
  pdexProviderConsent: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-consent',
  pdexProviderGroup: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-group',
  hrexConsent: 'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-consent',
  /** PDex 2.2 Group/$provider-member-match request Parameters (ProviderMultiMemberMatchRequestParameters). */
  pdexProviderMemberMatchIn:
    'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/provider-parameters-multi-member-match-bundle-in',
  /** PDex 2.2 Group/$provider-member-match response Parameters (ProviderMultiMemberMatchResponseParameters). */
  pdexProviderMemberMatchOut:
    'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/provider-parameters-multi-member-match-bundle-out',
  /** PDex 2.2 ProviderMemberMatchGroup: the MatchedMembers Group of $provider-member-match. */
  pdexProviderMemberMatchGroup: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-member-match',
  /** PDex 2.2 ProviderMemberNoMatchGroup: the NonMatchedMembers Group of $provider-member-match. */
  pdexProviderMemberNoMatchGroup: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-member-no-match',
  /** PDex 2.2 MemberOptOut Group: the ConsentConstrainedMembers Group of $provider-member-match. */
  pdexMemberOptOut: 'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-member-opt-out',
  /** PDex 2.2 ProviderTreatmentAttestation: the provider's treatment-relationship Consent (part `Consent`). */
  pdexProviderTreatmentAttestation:
    'http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/provider-treatment-relationship-consent',
} as const;

/** HRex Consent policy URI for "regular" (non-sensitive) data (HRexConsentPolicy value set). */
export const HREX_CONSENT_POLICY_REGULAR =
  'http://hl7.org/fhir/us/davinci-hrex/StructureDefinition-hrex-consent.html#regular';
