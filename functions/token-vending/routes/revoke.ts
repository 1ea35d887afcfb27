import { noContent } from '../../shared/http/responses.js';
import { serviceRoute } from '../../shared/http/service-route.js';
import { parseRevokeRequest } from '../vend-request.js';
import { revokeToken } from '../revoke-token.js';
import { reportRefusal } from '../vend-token.js';

/** DELETE /service/tokens `{ token }`: IAM-authorized (SigV4); 204 once GitHub no longer accepts it. */
export const revoke = serviceRoute({
  body: parseRevokeRequest,
  handle: async ({ caller, body: { token }, request }) => {
    try {
      await revokeToken({ caller, token, requestId: request.requestId });
      return noContent();
    } catch (error) {
      reportRefusal(error, { principal: caller.roleArn });
      throw error;
    }
  },
});
