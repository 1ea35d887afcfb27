import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { invitationsService } from '../invitations.js';

/** POST /invitations/{invitationId}/accept: only the invitee joins (anyone else: 404). */
export const acceptInvitation = route({
  auth: 'session',
  user: true,
  handle: async ({ user, request }) => {
    const origin = requestOrigin(request, user);
    const joined = await invitationsService().accept(user, request.pathParameters.invitationId, origin);
    return json(200, { id: joined.accountId, name: joined.accountName, role: joined.role });
  },
});
