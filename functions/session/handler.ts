import { requireCaller } from '../shared/auth/context.js';
import { cookieOptionsFor } from '../shared/auth/cookies.js';
import { clearedSessionCookie } from '../shared/auth/sessions.js';
import { UnauthorizedError } from '../shared/errors.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { getServices } from '../shared/services.js';
import { AccountStore } from '../shared/store/account-store.js';

export const handler = createHttpHandler({
  'GET /me': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const { users, table } = getServices();
      const user = await users.getProfile(caller.userId);
      if (!user) throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
      const accounts = await new AccountStore(table).listForUser(caller.userId);
      return json(200, { user, accounts });
    },
  },
  'POST /auth/logout': {
    idempotencyKey: false,
    handle: async (request) => {
      const caller = await requireCaller(request);
      await getServices().sessions.delete(caller.sessionHash);
      return noContent({}, [clearedSessionCookie(cookieOptionsFor(getServices().config.apiBaseUrl))]);
    },
  },
});
