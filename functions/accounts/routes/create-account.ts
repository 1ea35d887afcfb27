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
  handle: async ({ user, body: name }) => {
    const account = await foundAccount(getServices().accounts, user, name);
    return json(201, { id: account.id, name: account.name, role: 'owner', createdAt: account.createdAt });
  },
});
