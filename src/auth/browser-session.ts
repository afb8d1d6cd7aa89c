/**
 * The browser session of the login, consent and account pages: an HS256-signed JWT in an HttpOnly,
 * SameSite=Lax cookie (Secure when the server is reached over https). It names the user and carries a
 * random CSRF value that every form on the account page must echo back.
 */
import { jwtVerify, SignJWT } from 'jose';
import type { AuthDeps } from './auth-deps.js';
import { randomToken } from './secrets.js';
import type { UserRecord } from './records.js';

export const SESSION_COOKIE = 'smart_session';

export interface BrowserSession {
  userId: string;
  csrf: string;
  /** Epoch seconds of the sign-in (OpenID Connect auth_time). */
  authTime: number;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export async function createSessionCookie(deps: AuthDeps, userId: string): Promise<string> {
  const now = Math.floor(deps.clock().getTime() / 1000);
  const jwt = await new SignJWT({ csrf: randomToken(18) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(deps.issuer)
    .setAudience(`${deps.issuer}/session`)
    .setIssuedAt(now)
    .setExpirationTime(now + deps.lifetimes.session)
    .sign(deps.keys.sessionKey);
  return cookie(deps, jwt, deps.lifetimes.session);
}

export function clearSessionCookie(deps: AuthDeps): string {
  return cookie(deps, '', 0);
}

function cookie(deps: AuthDeps, value: string, maxAge: number): string {
  const secure = deps.issuer.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
}

export async function readSession(deps: AuthDeps, cookieHeader: string | undefined): Promise<BrowserSession | undefined> {
  const value = readCookie(cookieHeader, SESSION_COOKIE);
  if (!value) return undefined;
  try {
    const { payload } = await jwtVerify(value, deps.keys.sessionKey, {
      algorithms: ['HS256'],
      issuer: deps.issuer,
      audience: `${deps.issuer}/session`,
      currentDate: deps.clock(),
    });
    if (typeof payload.sub !== 'string' || typeof payload.csrf !== 'string') return undefined;
    return { userId: payload.sub, csrf: payload.csrf, authTime: payload.iat as number };
  } catch {
    return undefined;
  }
}

/** The signed-in user behind the request's session cookie, with the session, or undefined. */
export async function sessionUser(deps: AuthDeps, cookieHeader: string | undefined): Promise<{ session: BrowserSession; user: UserRecord } | undefined> {
  const session = await readSession(deps, cookieHeader);
  const user = session ? await deps.users.get(session.userId) : undefined;
  return session && user ? { session, user } : undefined;
}
