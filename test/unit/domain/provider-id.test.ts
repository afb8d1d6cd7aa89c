import { describe, expect, it } from 'vitest';
import { formatPidSl, isValidPidSl, isValidProviderId, isValidServiceLocation, parsePidSl } from '../../../src/domain/provider-id.js';

describe('MassHealth provider ID and service location (PID/SL)', () => {
  it('when the provider ID is 9 digits, then it is valid', () => {
    expect(isValidProviderId('110012345')).toBe(true);
  });

  it('when the provider ID is not exactly 9 digits, then it is invalid', () => {
    for (const bad of ['11001234', '1100123456', '11001234A', '', ' 110012345']) {
      expect(isValidProviderId(bad), bad).toBe(false);
    }
  });

  it('when a PID/SL is the canonical 10-character form, then it is valid', () => {
    expect(isValidPidSl('110012345A')).toBe(true);
    expect(isValidPidSl('1100123451')).toBe(true);
  });

  it('when a PID/SL has a separator, lower case or a missing location, then the strict check rejects it', () => {
    for (const bad of ['110012345-A', '110012345a', '110012345', '110012345AB', '11001234A']) {
      expect(isValidPidSl(bad), bad).toBe(false);
    }
  });

  it('when a PID and a service location are formatted, then the result is the canonical PID/SL', () => {
    expect(formatPidSl('110012345', 'a')).toBe('110012345A');
  });

  it('when either part is invalid, then formatting refuses it', () => {
    expect(() => formatPidSl('11001234', 'A')).toThrow(RangeError);
    expect(() => formatPidSl('110012345', 'AB')).toThrow(RangeError);
    expect(() => formatPidSl('110012345', '-')).toThrow(RangeError);
  });

  it('when user input has a separator or lower case, then parsing returns the parts', () => {
    expect(parsePidSl('110012345A')).toEqual({ providerId: '110012345', serviceLocation: 'A' });
    expect(parsePidSl(' 110012345-b ')).toEqual({ providerId: '110012345', serviceLocation: 'B' });
    expect(parsePidSl('110012345 / C')).toEqual({ providerId: '110012345', serviceLocation: 'C' });
  });

  it('when input is not a PID/SL, then parsing returns undefined', () => {
    expect(parsePidSl('1100123A')).toBeUndefined();
    expect(parsePidSl('110012345')).toBeUndefined();
    expect(parsePidSl('hello')).toBeUndefined();
  });

  it('when the service location is one letter or digit, then it is valid', () => {
    expect(isValidServiceLocation('A')).toBe(true);
    expect(isValidServiceLocation('7')).toBe(true);
    expect(isValidServiceLocation('a')).toBe(false);
  });
});
