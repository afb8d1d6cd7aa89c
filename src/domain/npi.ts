/**
 * National Provider Identifier check digit.
 *
 * An NPI is 10 digits: a 9-digit identifier followed by a Luhn check digit computed over the
 * card-issuer prefix 80840 followed by the 9 digits (45 CFR 162.406; CMS "Requirements for
 * the NPI check digit", ISO/IEC 7812). NPPES currently issues NPIs starting with 1 or 2, but
 * that is an allocation policy, not part of the check, so it is not enforced here.
 */

const NPI_PREFIX = '80840';
const NPI_PATTERN = /^\d{10}$/;
const BASE_PATTERN = /^\d{9}$/;

/** Luhn check digit for a payload of digits (the digit that would be appended to it). */
function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walking from the right, the rightmost payload digit is doubled (it sits next to the check digit).
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The check digit for a 9-digit NPI base. Throws if the base is not 9 digits. */
export function npiCheckDigit(base: string): number {
  if (!BASE_PATTERN.test(base)) {
    throw new RangeError('An NPI base must be exactly 9 digits');
  }
  return luhnCheckDigit(NPI_PREFIX + base);
}

/** The full 10-digit NPI for a 9-digit base. */
export function npiFromBase(base: string): string {
  return base + String(npiCheckDigit(base));
}

/** True when the value is 10 digits and its last digit is the Luhn check digit (prefix 80840). */
export function isValidNpi(value: string): boolean {
  if (!NPI_PATTERN.test(value)) return false;
  return npiCheckDigit(value.slice(0, 9)) === value.charCodeAt(9) - 48;
}
