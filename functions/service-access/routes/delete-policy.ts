import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { deletePolicy as remove } from '../policies.js';
import { policyIdParam } from '../requests.js';

/** DELETE /accounts/{accountId}/service-access/{policyId}: owners revoke a grant (tokens already vended live on). */
export const deletePolicy = route({
  auth: 'owner',
  user: true,
  params: { accountId: accountIdParam, policyId: policyIdParam },
  handle: async ({ user, params: { accountId, policyId }, request }) => {
    await remove({ accountId, policyId, origin: requestOrigin(request, user) });
    return noContent();
  },
});
