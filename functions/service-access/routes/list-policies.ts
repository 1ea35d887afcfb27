import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { listPolicies as list } from '../policies.js';

/** GET /accounts/{accountId}/service-access: owners and admins see the account's grants. */
export const listPolicies = route({
  auth: 'manager',
  params: { accountId: accountIdParam },
  handle: async ({ params: { accountId } }) => json(200, { policies: await list(accountId) }),
});
