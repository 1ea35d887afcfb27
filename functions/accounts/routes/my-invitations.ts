import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { invitationView, invitationsService } from '../invitations.js';

/** GET /me/invitations: the invitations waiting for the caller. */
export const myInvitations = route({
  auth: 'session',
  handle: async ({ caller }) => {
    const pending = await invitationsService().listMine(caller.userId);
    return json(200, { invitations: pending.map(invitationView) });
  },
});
