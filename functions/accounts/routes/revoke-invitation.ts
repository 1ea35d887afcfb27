import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { invitationsService } from '../invitations.js';

/**
 * DELETE /accounts/{accountId}/invitations/{invitationId}: owners and admins revoke. The invitation id
 * is read after the role check (a non-member learns nothing of ids), by invitations.ts.
 */
export const revokeInvitation = route({
  auth: 'manager',
  params: { accountId: accountIdParam },
  handle: async ({ member, params: { accountId }, request }) => {
    await invitationsService().revoke(member, accountId, request.pathParameters.invitationId);
    return noContent();
  },
});
