import { describe, expect, it } from 'vitest';
import { isValidNpi, npiCheckDigit, npiFromBase } from '../../../src/domain/npi.js';

describe('NPI check digit (Luhn with prefix 80840)', () => {
  it('when the NPI is the CMS example 1234567893, then it is valid', () => {
    expect(isValidNpi('1234567893')).toBe(true);
  });

  it('when the base is 123456789, then the check digit is 3', () => {
    expect(npiCheckDigit('123456789')).toBe(3);
    expect(npiFromBase('123456789')).toBe('1234567893');
  });

  it('when other well-formed NPIs are checked, then they pass', () => {
    // 1234567893 is the CMS check-digit example; 1245319599 appears in HL7 IG examples.
    for (const npi of ['1234567893', '1245319599', '1003000126']) {
      expect(isValidNpi(npi), npi).toBe(true);
    }
  });

  it('when one digit changes, then the NPI is rejected', () => {
    expect(isValidNpi('1234567890')).toBe(false);
    expect(isValidNpi('1234567883')).toBe(false);
  });

  it('when the value is not exactly 10 digits, then it is rejected', () => {
    for (const bad of ['', '123456789', '12345678931', '123456789X', ' 1234567893', '1234-56789']) {
      expect(isValidNpi(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('when any 9-digit base gets its check digit, then the result validates', () => {
    for (let i = 0; i < 200; i++) {
      const base = String(100_000_000 + i * 4_999_999).slice(0, 9);
      expect(isValidNpi(npiFromBase(base))).toBe(true);
    }
  });

  it('when the base is not 9 digits, then generation refuses it', () => {
    expect(() => npiCheckDigit('12345678')).toThrow(RangeError);
    expect(() => npiFromBase('12345678a')).toThrow(RangeError);
  });
});
