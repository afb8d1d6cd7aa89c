/**
 * `care-date`: the search parameter (definitions/program.json) holding each record's dates of service
 * — when care was given, a claim's billable and service periods, when a result or document was produced.
 * The engine uses it for the `start`/`end` of Patient/$everything; the access policy uses it for the
 * windows of data each API releases (domain/data-windows.ts).
 */
export const CARE_DATE_PARAM = 'care-date';
