import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { deleteAccount as remove } from '../account-admin.js';

/** DELETE /accounts/{accountId}: owners delete; links, invitations and memberships go with it (GitHub untouched). */
export const deleteAccount = route({
  auth: 'owner',
  user: true,
  params: { accountId: accountIdParam },
  handle: async ({ params: { accountId }, user, request }) => {
    await remove(getServices().accounts, { accountId, origin: requestOrigin(request, user) });
    return noContent();
  },
});
