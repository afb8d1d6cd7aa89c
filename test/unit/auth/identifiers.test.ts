/**
 * Client ids are handed to people and command lines (`npm run clients -- remove <client_id>`): a
 * base64url id starting with `-` was once taken for an option. Public identifiers are hex.
 */
import { describe, expect, it } from 'vitest';
import { randomIdentifier, randomToken } from '../../../src/auth/secrets.js';

describe('random identifiers', () => {
  it('when 5,000 client ids are drawn, then each is 32 lowercase hex characters and all differ', () => {
    const ids = Array.from({ length: 5000 }, () => randomIdentifier());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when base64url tokens are drawn, then some start with - or _ (why ids do not use them)', () => {
    const starts = new Set(Array.from({ length: 5000 }, () => randomToken(16)[0]));
    expect(starts.has('-') || starts.has('_')).toBe(true);
  });
});
