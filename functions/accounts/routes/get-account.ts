import { NotFoundError } from '../../shared/errors.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';

/** GET /accounts/{accountId}: the account and its members, for any member. */
export const getAccount = route({
  auth: 'member',
  params: { accountId: accountIdParam },
  handle: async ({ params: { accountId }, member }) => {
    const { accounts } = getServices();
    const [account, members] = await Promise.all([accounts.get(accountId), accounts.listMembers(accountId)]);
    if (!account) throw new NotFoundError('account_not_found', 'No such account.');
    return json(200, {
      id: account.id,
      name: account.name,
      role: member.role,
      createdAt: account.createdAt,
      members: members.map(({ userId, login, role }) => ({ userId, login, role })),
    });
  },
});
