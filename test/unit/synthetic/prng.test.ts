import { describe, expect, it } from 'vitest';
import { hashKey, Rng } from '../../../src/synthetic/prng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('seeded PRNG', () => {
  it('when two streams are derived from the same key, then they produce the same numbers', () => {
    expect(draws(Rng.derive(42, 'member', 7), 50)).toEqual(draws(Rng.derive(42, 'member', 7), 50));
  });

  it('when the seed or a label differs, then the numbers differ', () => {
    const a = draws(Rng.derive(42, 'member', 7), 20);
    expect(draws(Rng.derive(43, 'member', 7), 20)).not.toEqual(a);
    expect(draws(Rng.derive(42, 'member', 8), 20)).not.toEqual(a);
  });

  it('when keys are hashed, then the hash is stable and 32-bit', () => {
    expect(hashKey(1, 'a')).toBe(hashKey(1, 'a'));
    expect(hashKey(1, 'a')).not.toBe(hashKey(1, 'b'));
    expect(hashKey('x')).toBeGreaterThanOrEqual(0);
    expect(hashKey('x')).toBeLessThan(2 ** 32);
  });

  it('when integers are drawn in a range, then they stay inside it and cover it', () => {
    const rng = Rng.derive(1, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(3, 9);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(9);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  it('when values are drawn in [0, 1), then their mean is close to one half', () => {
    const rng = Rng.derive(9, 'uniform');
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += rng.next();
    expect(sum / 20_000).toBeGreaterThan(0.48);
    expect(sum / 20_000).toBeLessThan(0.52);
  });

  it('when a weighted pick is made, then zero-weight entries never come up', () => {
    const rng = Rng.derive(5, 'weighted');
    for (let i = 0; i < 500; i++) expect(rng.weighted([['a', 1], ['b', 0], ['c', 3]] as const)).not.toBe('b');
  });

  it('when a sample is taken, then its items are distinct', () => {
    const rng = Rng.derive(5, 'sample');
    const s = rng.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(s).size).toBe(4);
  });

  it('when picking from an empty list, then it fails loudly', () => {
    expect(() => Rng.derive(1).pick([])).toThrow(RangeError);
  });
});
