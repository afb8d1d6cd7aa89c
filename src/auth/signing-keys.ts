/**
 * The authorization server's signing keys: generated at first start into `<DATA_DIR>/keys/` (mode
 * 0600), never shipped in the repository. RS256 signs access and id tokens (OpenID Connect Core §15.1
 * makes RS256 the one algorithm every relying party supports); the public half is served as JWKS.
 * A second, symmetric key signs browser session cookies.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

export const TOKEN_ALG = 'RS256';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** Public JWKS served at /.well-known/jwks.json. */
  jwks: JSONWebKeySet;
  /** HMAC key for session cookies (HS256). */
  sessionKey: Uint8Array;
}

interface KeyFile {
  signing: JWK;
  session: string;
}

export async function loadOrCreateKeys(dataDir: string): Promise<{ keys: SigningKeys; created: boolean }> {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'auth-keys.json');
  let created = false;
  if (!existsSync(path)) {
    const { privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true, modulusLength: 2048 });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = TOKEN_ALG;
    jwk.use = 'sig';
    const secret = (await exportJWK(await generateSecret('HS256', { extractable: true }))).k as string;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, JSON.stringify({ signing: jwk, session: secret } satisfies KeyFile), { mode: 0o600, flag: 'wx' });
    created = true;
  }
  const file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  const privateKey = (await importJWK(file.signing, TOKEN_ALG)) as CryptoKey;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = file.signing;
  return {
    keys: {
      kid: file.signing.kid as string,
      privateKey,
      jwks: { keys: [publicJwk] },
      sessionKey: Buffer.from(file.session, 'base64url'),
    },
    created,
  };
}
