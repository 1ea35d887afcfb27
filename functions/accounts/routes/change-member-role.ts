import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { changeMemberRole as changeRole } from '../account-admin.js';
import { memberIdParam, roleChangeBody } from '../requests.js';

/** PATCH /accounts/{accountId}/members/{userId}: who may grant what is roles.ts's (members: 403). */
export const changeMemberRole = route({
  auth: 'member',
  user: true,
  params: { accountId: accountIdParam, userId: memberIdParam },
  body: roleChangeBody,
  handle: async ({ member: self, params: { accountId, userId }, body: { role }, user, request }) => {
    const origin = requestOrigin(request, user);
    const member = await changeRole(getServices().accounts, { self, accountId, userId, role, origin });
    return json(200, { userId: member.userId, login: member.login, role: member.role });
  },
});
