import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { getServices } from '../../shared/services.js';

/** GET /accounts: the caller's accounts. */
export const listAccounts = route({
  auth: 'session',
  handle: async ({ caller }) =>
    json(200, { accounts: await getServices().accounts.listForUser(caller.userId) }),
});
