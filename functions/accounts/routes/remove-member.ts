import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { removeMember as remove } from '../account-admin.js';
import { memberIdParam } from '../requests.js';

/** DELETE /accounts/{accountId}/members/{userId}: leave, or remove someone the caller's role allows. */
export const removeMember = route({
  auth: 'member',
  user: true,
  params: { accountId: accountIdParam, userId: memberIdParam },
  handle: async ({ member: self, params: { accountId, userId }, user, request }) => {
    await remove(getServices().accounts, { self, accountId, userId, origin: requestOrigin(request, user) });
    return noContent();
  },
});
