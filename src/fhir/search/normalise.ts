/**
 * String normalisation for string search (R4 search.html §3.1.1.4.7: case- and accent-insensitive).
 * Used both at write time (index values) and at search time (request values), so they always agree.
 */
export function normaliseString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();
}
