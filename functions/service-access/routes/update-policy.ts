import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { updatePolicy as update } from '../policies.js';
import { policyChangeBody, policyIdParam } from '../requests.js';

/** PATCH /accounts/{accountId}/service-access/{policyId}: owners change any of a policy's fields. */
export const updatePolicy = route({
  auth: 'owner',
  user: true,
  params: { accountId: accountIdParam, policyId: policyIdParam },
  body: 'json',
  handle: async ({ user, params: { accountId, policyId }, request }) => {
    const policy = await update({
      accountId,
      policyId,
      body: policyChangeBody(request.body),
      origin: requestOrigin(request, user),
    });
    return json(200, policy);
  },
});
