import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { createPolicy as create } from '../policies.js';
import { newPolicyBody } from '../requests.js';

/** POST /accounts/{accountId}/service-access: owners grant a platform back-end tokens. */
export const createPolicy = route({
  auth: 'owner',
  user: true,
  params: { accountId: accountIdParam },
  // Parsed here, after the role check: only owners learn the body's rules.
  body: 'json',
  handle: async ({ user, params: { accountId }, request }) => {
    const policy = await create({
      accountId,
      user,
      body: newPolicyBody(request.body),
      origin: requestOrigin(request, user),
    });
    return json(201, policy);
  },
});
