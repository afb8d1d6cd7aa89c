/**
 * Password and client-secret hashing (scrypt, node:crypto) and random tokens. Hashes are stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so parameters can be raised later without breaking old hashes.
 * Comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string | undefined): Promise<boolean> {
  const parts = stored?.split('$') ?? [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // Still spend the time, so an unknown login is not distinguishable by timing.
    await derive(secret, Buffer.alloc(16), N, R, P);
    return false;
  }
  const [, n, r, p, salt, hash] = parts;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random, URL-safe token with `bytes` of entropy (codes, refresh tokens, ids, secrets). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * A random public identifier (client_id): hex, so it never starts with `-` (which a command line
 * takes for an option) or `_`, and reads the same in URLs, forms and logs.
 */
export function randomIdentifier(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Lookup key of a bearer secret (authorization code, refresh token): stored by its SHA-256, so a
 * copy of the document store does not hand out live credentials.
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
