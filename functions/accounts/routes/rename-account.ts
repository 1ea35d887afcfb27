import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { renameAccount as rename } from '../account-admin.js';
import { accountNameBody } from '../requests.js';

/** PATCH /accounts/{accountId}: owners rename the account (the name is checked before the role). */
export const renameAccount = route({
  auth: 'owner',
  user: true,
  params: { accountId: accountIdParam },
  body: accountNameBody,
  handle: async ({ params: { accountId }, body: name, member, user, request }) => {
    const origin = requestOrigin(request, user);
    const account = await rename(getServices().accounts, { accountId, name, origin });
    return json(200, { id: account.id, name: account.name, role: member.role, createdAt: account.createdAt });
  },
});
