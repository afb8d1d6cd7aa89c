/**
 * How far back each API releases member data (CMS-0057-F, 45 CFR 431.60 / 42 CFR 422.119 as amended):
 * the Patient Access API (and the Provider Access API, which shares its content) covers data with a
 * date of service on or after 2016-01-01. The date of service is the `care-date` search parameter
 * (src/fhir/search/care-date.ts): a record counts as in the window when any of its care
 * dates ends on or after the floor; records without one (Patient, directory resources) always are.
 */
export const PATIENT_ACCESS_FROM = '2016-01-01';
