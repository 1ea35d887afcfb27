import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';

/** DELETE /accounts/{accountId}: owners delete; links, invitations and memberships go with it (GitHub untouched). */
export const deleteAccount = route({
  auth: 'owner',
  params: { accountId: accountIdParam },
  handle: async ({ params: { accountId } }) => {
    await getServices().accounts.delete(accountId);
    return noContent();
  },
});
