import { UnauthorizedError } from '../../shared/errors.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { getServices } from '../../shared/services.js';

/** GET /me: the signed-in user and their accounts. */
export const me = route({
  auth: 'session',
  handle: async ({ caller }) => {
    const { users, accounts } = getServices();
    const user = await users.getProfile(caller.userId);
    if (!user) throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
    return json(200, { user, accounts: await accounts.listForUser(caller.userId) });
  },
});
