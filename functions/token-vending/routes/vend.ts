import { json } from '../../shared/http/responses.js';
import { serviceRoute } from '../../shared/http/service-route.js';
import { parseVendRequest, serviceAccountParam } from '../vend-request.js';
import { reportRefusal, vendToken } from '../vend-token.js';

/** POST /service/accounts/{accountId}/tokens: IAM-authorized (SigV4); 201 with the narrowed token. */
export const vend = serviceRoute({
  params: { accountId: serviceAccountParam },
  body: parseVendRequest,
  handle: async ({ caller, params: { accountId }, body, request }) => {
    try {
      return json(201, await vendToken({ caller, accountId, request: body, requestId: request.requestId }));
    } catch (error) {
      reportRefusal(error, { principal: caller.roleArn, accountId });
      throw error;
    }
  },
});
