/**
 * MassHealth provider identifiers.
 *
 * A MassHealth provider ID (PID) is 9 digits; each place the provider delivers services is a
 * service location (SL), written after the PID as one character: PID/SL, e.g. `110012345A`
 * (Provider Online Service Center job aids: "Enter 9 digits for the Provider ID"; EDI: "the
 * 10-character provider ID/service location"). Access in the POSC is granted per PID/SL.
 */

const PID_PATTERN = /^\d{9}$/;
const SL_PATTERN = /^[A-Z0-9]$/;
const PID_SL_PATTERN = /^(\d{9})([A-Z0-9])$/;
/** Lenient input form: optional separator and lower case, e.g. "110012345-a" or "110012345 / A". */
const PID_SL_INPUT = /^\s*(\d{9})\s*[-/ ]?\s*([A-Za-z0-9])\s*$/;

export interface PidSl {
  providerId: string;
  serviceLocation: string;
}

/** True for a 9-digit MassHealth provider ID. */
export function isValidProviderId(value: string): boolean {
  return PID_PATTERN.test(value);
}

/** True for a single service-location character (A–Z or 0–9, upper case). */
export function isValidServiceLocation(value: string): boolean {
  return SL_PATTERN.test(value);
}

/** True for the canonical 10-character PID/SL form, e.g. `110012345A`. */
export function isValidPidSl(value: string): boolean {
  return PID_SL_PATTERN.test(value);
}

/** The canonical PID/SL string. Throws on an invalid provider ID or service location. */
export function formatPidSl(providerId: string, serviceLocation: string): string {
  const sl = serviceLocation.toUpperCase();
  if (!isValidProviderId(providerId)) throw new RangeError('A provider ID must be exactly 9 digits');
  if (!isValidServiceLocation(sl)) throw new RangeError('A service location must be one letter or digit');
  return providerId + sl;
}

/** Parses user input (separators and lower case tolerated) into its parts, or undefined. */
export function parsePidSl(input: string): PidSl | undefined {
  const match = PID_SL_INPUT.exec(input);
  if (!match) return undefined;
  return { providerId: match[1], serviceLocation: match[2].toUpperCase() };
}
