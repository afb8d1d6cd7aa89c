/**
 * Identifier and code system URIs used across the server.
 *
 * Systems the program defines itself live under PROGRAM_FHIR_BASE. They are placeholders
 * (`masshealth.example.org`) until the state publishes canonical URIs; change them here only,
 * together with docs/DOMAIN.md. Everything else is the official URI from HL7 terminology
 * (THO), the C4BB, US Core, PAS or HRex guides, or the external code system's registered URI.
 */

export const PROGRAM_FHIR_BASE = 'https://masshealth.example.org/fhir';

/** Identifier.system values. */
export const IDENTIFIER_SYSTEM = {
  /** NPPES National Provider Identifier (FHIR registered). */
  npi: 'http://hl7.org/fhir/sid/us-npi',
  /** IRS tax identification number (EIN/TIN). */
  tin: 'urn:oid:2.16.840.1.113883.4.4',
  /** MassHealth member ID (12 digits), on Patient (type MB) and Coverage.subscriberId. */
  memberId: `${PROGRAM_FHIR_BASE}/sid/member-id`,
  /** MassHealth 9-digit provider ID (PID). */
  providerId: `${PROGRAM_FHIR_BASE}/sid/provider-id`,
  /** MassHealth provider ID + service location, e.g. 110012345A (PID/SL). */
  pidSl: `${PROGRAM_FHIR_BASE}/sid/pid-sl`,
  /** Payer identifiers for the program and for other payers known to it (payer-to-payer). */
  payerId: `${PROGRAM_FHIR_BASE}/sid/payer-id`,
  /** Internal control number of an adjudicated claim or encounter (C4BB uniqueclaimid). */
  claimIcn: `${PROGRAM_FHIR_BASE}/sid/icn`,
  /** Tracking number assigned when a prior-authorization request is received. */
  paTrackingNumber: `${PROGRAM_FHIR_BASE}/sid/pa-tracking-number`,
  /** PA number assigned when a prior-authorization request is determined. */
  paNumber: `${PROGRAM_FHIR_BASE}/sid/pa-number`,
  /** PCC/PCP referral number. */
  referralNumber: `${PROGRAM_FHIR_BASE}/sid/referral-number`,
  /** Encounter (visit) identifier in the program's encounter data. */
  encounterId: `${PROGRAM_FHIR_BASE}/sid/encounter-id`,
  /** Attribution list (Group) identifier. */
  attributionList: `${PROGRAM_FHIR_BASE}/sid/attribution-list`,
  /** Consent record identifier. */
  consentId: `${PROGRAM_FHIR_BASE}/sid/consent-id`,
  /** Clinical document identifier. */
  documentId: `${PROGRAM_FHIR_BASE}/sid/document-id`,
} as const;

/** Code systems defined by the program (placeholders, see file comment). */
export const PROGRAM_CODE_SYSTEM = {
  /** MassHealth provider types, codes `PT-01` … (see domain/provider-types.ts). */
  providerType: `${PROGRAM_FHIR_BASE}/CodeSystem/provider-type`,
  /** Plan types: FFS, PCC, PCACO, MCO (see domain/plan-types.ts). */
  planType: `${PROGRAM_FHIR_BASE}/CodeSystem/plan-type`,
  /** MassHealth benefit packages (coverage types), used as Coverage.class:group. */
  benefitPackage: `${PROGRAM_FHIR_BASE}/CodeSystem/benefit-package`,
  /** MassHealth claim edit (EOB) codes such as 1200 and 1010 (see domain/denial-edits.ts). */
  claimEdit: `${PROGRAM_FHIR_BASE}/CodeSystem/claim-edit`,
  /** Prior-authorization decision status (see domain/prior-auth-rules.ts). */
  paDecision: `${PROGRAM_FHIR_BASE}/CodeSystem/pa-decision`,
  /** Specific prior-authorization denial reasons (CMS-0057-F: every denial carries a specific reason). */
  paDenialReason: `${PROGRAM_FHIR_BASE}/CodeSystem/pa-denial-reason`,
  /** Prior-authorization appeal status. */
  paAppealStatus: `${PROGRAM_FHIR_BASE}/CodeSystem/pa-appeal-status`,
  /** AuditEvent tags marking disclosures the program reports on (e.g. `patient-access-release`). */
  disclosure: `${PROGRAM_FHIR_BASE}/CodeSystem/disclosure`,
} as const;

/** External and HL7 code systems. */
export const CODE_SYSTEM = {
  // HL7 terminology (THO)
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  claimCareTeamRole: 'http://terminology.hl7.org/CodeSystem/claimcareteamrole',
  payeeType: 'http://terminology.hl7.org/CodeSystem/payeetype',
  diagnosisType: 'http://terminology.hl7.org/CodeSystem/ex-diagnosistype',
  relatedClaimRelationship: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  diagnosticServiceSection: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  consentAction: 'http://terminology.hl7.org/CodeSystem/consentaction',
  consentPolicy: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes',
  provenanceParticipantType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  dataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  ombRaceEthnicity: 'urn:oid:2.16.840.1.113883.6.238',
  // US Core
  usCoreConditionCategory: 'http://hl7.org/fhir/us/core/CodeSystem/condition-category',
  usCoreDocumentCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
  // CARIN Blue Button
  c4bbIdentifierType: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType',
  c4bbSupportingInfoType: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType',
  c4bbAdjudicationDiscriminator: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator',
  c4bbAdjudication: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication',
  c4bbPayerAdjudicationStatus: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus',
  c4bbClaimCareTeamRole: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole',
  c4bbClaimDiagnosisType: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimDiagnosisType',
  c4bbInstitutionalClaimSubType: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBInstitutionalClaimSubType',
  c4bbClaimProcedureType: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimProcedureType',
  // Da Vinci PAS and X12 (codes maintained by X12; PAS references them by these URIs)
  pasSupportingInfoType: 'http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASSupportingInfoType',
  x12ReviewAction: 'https://codesystem.x12.org/005010/306',
  x12ServiceType: 'https://codesystem.x12.org/005010/1365',
  x12ReviewDecisionReason: 'https://codesystem.x12.org/external/886',
  // Claims coding
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  cdt: 'http://www.ada.org/cdt',
  ndc: 'http://hl7.org/fhir/sid/ndc',
  placeOfService: 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set',
  nubcTypeOfBill: 'https://www.nubc.org/CodeSystem/TypeOfBill',
  nubcPointOfOrigin: 'https://www.nubc.org/CodeSystem/PointOfOrigin',
  nubcAdmissionType: 'https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit',
  nubcDischargeStatus: 'https://www.nubc.org/CodeSystem/PatDischargeStatus',
  nubcRevenue: 'https://www.nubc.org/CodeSystem/RevenueCodes',
  msDrg: 'https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software',
  presentOnAdmission: 'https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/HospitalAcqCond/Coding',
  carc: 'https://x12.org/codes/claim-adjustment-reason-codes',
  rarc: 'https://x12.org/codes/remittance-advice-remark-codes',
  ncpdpDispensedAsWritten: 'http://terminology.hl7.org/CodeSystem/NCPDPDispensedAsWrittenOrProductSelectionCode',
  ncpdpBrandGeneric: 'http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator',
  ncpdpPrescriptionOrigin: 'http://terminology.hl7.org/CodeSystem/NCPDPPrescriptionOriginCode',
  ncpdpCompound: 'http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode',
  adaToothNumber: 'http://terminology.hl7.org/CodeSystem/ADAUniversalToothDesignationSystem',
  nuccTaxonomy: 'http://nucc.org/provider-taxonomy',
  /** PHDSC Source of Payment Typology (US Core Coverage.type). */
  sourceOfPayment: 'https://nahdo.org/sopt',
  // Clinical coding
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  ucum: 'http://unitsofmeasure.org',
  // Da Vinci PDex (Provider Access $provider-member-match result Groups)
  /** Codes match | nomatch | consentconstraint (PDex PdexMultiMemberMatchResultCS). */
  pdexMultiMemberMatchResult: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS',
  /** Opt-out scope: global | provider-specific | purpose-specific | payer-specific | provider-category. */
  pdexOptOutScope: 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem/opt-out-scope',
} as const;
