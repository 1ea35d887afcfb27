import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { invitationsService } from '../invitations.js';

/** POST /invitations/{invitationId}/decline: only the invitee declines (anyone else: 404). */
export const declineInvitation = route({
  auth: 'session',
  user: true,
  handle: async ({ user, request }) => {
    const origin = requestOrigin(request, user);
    await invitationsService().decline(user, request.pathParameters.invitationId, origin);
    return noContent();
  },
});
