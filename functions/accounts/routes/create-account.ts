import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { getServices } from '../../shared/services.js';
import { createAccount as foundAccount } from '../account-admin.js';
import { accountNameBody } from '../requests.js';

/** POST /accounts: the caller founds an account and owns it (within the accounts-per-hour limit). */
export const createAccount = route({
  auth: 'session',
  user: true,
  body: accountNameBody,
  handle: async ({ user, body: name, request }) => {
    const account = await foundAccount(getServices().accounts, {
      creator: user,
      name,
      origin: requestOrigin(request, user),
    });
    return json(201, { id: account.id, name: account.name, role: 'owner', createdAt: account.createdAt });
  },
});
