import { randomBytes } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { HttpRequest } from '../http/request.js';
import type { SessionStore } from '../store/session-store.js';
import { clearCookie, cookieName, setCookie, type CookieOptions } from './cookies.js';
import { hashSecret, type SecretHasher } from './secret-hash.js';

export const SESSION_COOKIE = 'session';
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type Caller = { userId: number; sessionHash: string; via: 'cookie' | 'bearer' };

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionCookie(sessionId: string, options: CookieOptions): string {
  return setCookie(SESSION_COOKIE, sessionId, SESSION_TTL_SECONDS, options);
}

export function clearedSessionCookie(options: CookieOptions): string {
  return clearCookie(SESSION_COOKIE, options);
}

export async function createSession(
  store: SessionStore,
  sessionKey: SecretHasher,
  userId: number,
  cookie: CookieOptions,
  nowMs = Date.now(),
) {
  const id = newSessionId();
  await store.create(hashSecret(sessionKey, id), userId, Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS);
  return { id, cookie: sessionCookie(id, cookie) };
}

/**
 * The stored session of `id`: under the current key first (one read), else under the staged and
 * retired keys (sessions opened before a key rotation), read in parallel.
 */
async function findSession(store: SessionStore, keys: SecretHasher, id: string) {
  const [first = '', ...rest] = keys.candidates(id);
  const session = await store.get(first);
  if (session) return { sessionHash: first, session };
  const older = await Promise.all(
    rest.map(async (sessionHash) => ({ sessionHash, session: await store.get(sessionHash) })),
  );
  const hit = older.find((candidate) => candidate.session !== undefined);
  return hit?.session ? { sessionHash: hit.sessionHash, session: hit.session } : undefined;
}

function originOf(request: HttpRequest): string | undefined {
  const origin = request.headers.origin;
  // `Origin: null` (sandboxed frames, data: URLs, some redirects) names no one: refused, never
  // replaced by a Referer the same page may control.
  if (origin !== undefined) return origin === 'null' ? undefined : origin;
  const referer = request.headers.referer;
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * Who is calling: the session from the cookie or `Authorization: Bearer`. A missing, malformed,
 * unknown or expired session is 401. A state-changing request authenticated by cookie must come from a
 * configured frontend origin (CSRF); bearer requests carry no ambient credential and need no check.
 * The cheap checks (present, well-formed) come before the session key is read or the table asked.
 */
/**
 * The session id the request presents (bearer first, else the cookie): the cheap half of
 * authenticate, with no I/O. Missing or malformed is 401.
 */
export function presentedSessionId(
  request: HttpRequest,
  cookie: CookieOptions,
): { id: string; via: 'bearer' | 'cookie' } {
  const authorization = request.headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const id = bearer ?? request.cookies[cookieName(SESSION_COOKIE, cookie)];
  if (!id) throw new UnauthorizedError('unauthenticated', 'Sign in with GitHub first.');
  if (!SESSION_ID.test(id))
    throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
  return { id, via: bearer ? 'bearer' : 'cookie' };
}

export async function authenticate(
  request: HttpRequest,
  deps: {
    store: SessionStore;
    /** Read only once the request carries a well-formed session: garbage never costs a secret read. */
    sessionKey: () => Promise<SecretHasher>;
    allowedOrigins: readonly string[];
    cookie: CookieOptions;
  },
): Promise<Caller> {
  const { id, via } = presentedSessionId(request, deps.cookie);
  const found = await findSession(deps.store, await deps.sessionKey(), id);
  if (!found) throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
  if (via === 'cookie' && !SAFE_METHODS.has(request.event.requestContext.http.method.toUpperCase())) {
    const origin = originOf(request);
    if (!origin || !deps.allowedOrigins.includes(origin)) {
      throw new ForbiddenError(
        'csrf_rejected',
        'Cross-site request refused: it must come from the platform frontend.',
      );
    }
  }
  return { userId: found.session.userId, sessionHash: found.sessionHash, via };
}
