import { refreshToken } from '@octokit/oauth-methods';
import { RequestError } from '@octokit/request-error';
import { UnreadableAnswerError, withTimeout } from '../github/github.js';
import { logger } from '../logger.js';
import { getCrypto, getServices } from '../services.js';
import { provideIdempotency } from '../http/idempotency.js';
import type { HttpRequest } from '../http/request.js';
import { cookieOptionsFor } from './cookies.js';
import { authenticate, presentedSessionId, type Caller } from './sessions.js';
import { REFRESH_TIMEOUT_MS, UserTokens } from './user-tokens.js';

/**
 * Throws 401 when the request presents no well-formed session, with no I/O: a route that starts other
 * reads beside the session's (requireCaller) calls this first, so unauthenticated requests read nothing.
 */
export function requirePresentedSession(request: HttpRequest): void {
  presentedSessionId(request, cookieOptionsFor(getServices().config.apiBaseUrl));
}

/** Per request: the Idempotency-Key check (http/idempotency.ts) and the route both ask, one read. */
const callers = new WeakMap<HttpRequest['event'], Promise<Caller>>();

/** The session of the request, checked (401/403 otherwise). */
export function requireCaller(request: HttpRequest): Promise<Caller> {
  const known = callers.get(request.event);
  if (known) return known;
  const caller = authenticateCaller(request);
  callers.set(request.event, caller);
  return caller;
}

async function authenticateCaller(request: HttpRequest): Promise<Caller> {
  const { sessions, config } = getServices();
  const caller = await authenticate(request, {
    store: sessions,
    sessionKey: async () => (await getCrypto()).sessionKey,
    // The API's own origin counts too (a page served by the API itself, e.g. local tooling).
    allowedOrigins: [...config.frontendOrigins, new URL(config.apiBaseUrl).origin],
    cookie: cookieOptionsFor(config.apiBaseUrl),
  });
  // Known from here on: every later line of this request says whose it is.
  logger.appendKeys({ userId: caller.userId });
  return caller;
}

// Idempotency-Key (http/idempotency.ts) is scoped to the caller: who that is, is decided here.
provideIdempotency({
  callerId: async (request) => (await requireCaller(request)).userId,
  store: () => getServices().idempotency,
});

export function loginUrl(): string {
  return `${getServices().config.apiBaseUrl}/auth/login`;
}

export function callbackUrl(): string {
  return `${getServices().config.apiBaseUrl}/auth/callback`;
}

let userTokens: { cipher: unknown; value: UserTokens } | undefined;

/** The container's user-token service (refreshes through @octokit/oauth-methods under a lease). */
export async function getUserTokens(): Promise<UserTokens> {
  const { users, secrets, github } = getServices();
  const { cipher } = await getCrypto();
  if (userTokens?.cipher === cipher) return userTokens.value;
  const value = new UserTokens({
    users,
    cipher,
    loginUrl: loginUrl(),
    refresh: async (token) => {
      // Read before GitHub is asked: a failure here leaves the refresh token unspent.
      const app = await secrets.gitHubApp();
      try {
        const { authentication } = await refreshToken({
          clientType: 'github-app',
          clientId: app.clientId,
          clientSecret: app.clientSecret,
          refreshToken: token,
          // Its own, longer timeout: abandoning a slow answer would lose the pair GitHub rotated to.
          request: withTimeout(github, REFRESH_TIMEOUT_MS),
        });
        return authentication;
      } catch (error) {
        if (error instanceof RequestError || (error as Error).name === 'AbortError') throw error;
        // oauth-methods fails on a body cut off after GitHub answered (and rotated).
        throw new UnreadableAnswerError(error);
      }
    },
  });
  userTokens = { cipher, value };
  return value;
}
