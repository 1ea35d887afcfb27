import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { renameAccount as rename } from '../account-admin.js';
import { accountNameBody } from '../requests.js';

/** PATCH /accounts/{accountId}: owners rename the account (the name is checked before the role). */
export const renameAccount = route({
  auth: 'owner',
  params: { accountId: accountIdParam },
  body: accountNameBody,
  handle: async ({ params: { accountId }, body: name, member }) => {
    const account = await rename(getServices().accounts, { accountId, name });
    return json(200, { id: account.id, name: account.name, role: member.role, createdAt: account.createdAt });
  },
});
