import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { invitationsService } from '../invitations.js';

/** POST /invitations/{invitationId}/decline: only the invitee declines (anyone else: 404). */
export const declineInvitation = route({
  auth: 'session',
  handle: async ({ caller, request }) => {
    await invitationsService().decline(caller.userId, request.pathParameters.invitationId);
    return noContent();
  },
});
