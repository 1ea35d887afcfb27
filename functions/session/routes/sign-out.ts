import { cookieOptionsFor } from '../../shared/auth/cookies.js';
import { clearedSessionCookie } from '../../shared/auth/sessions.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { getServices } from '../../shared/services.js';

/** POST /auth/logout: the session is deleted and its cookie cleared. */
export const signOut = route({
  auth: 'session',
  idempotencyKey: false,
  handle: async ({ caller }) => {
    const { sessions, config } = getServices();
    await sessions.delete(caller.sessionHash);
    return noContent({}, [clearedSessionCookie(cookieOptionsFor(config.apiBaseUrl))]);
  },
});
