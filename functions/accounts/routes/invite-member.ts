import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { invitationView, invitationsService } from '../invitations.js';
import { invitationBody } from '../requests.js';

/** POST /accounts/{accountId}/members: owners and admins invite a GitHub user (200 renews a pending one). */
export const inviteMember = route({
  auth: 'manager',
  user: true,
  params: { accountId: accountIdParam },
  body: invitationBody,
  handle: async ({ user, member, params: { accountId }, body: { login, role }, request }) => {
    // Membership (404) and role (403) are checked before GitHub is asked about the login.
    const { invitation, renewed } = await invitationsService().invite(
      user,
      member,
      accountId,
      login,
      role,
      requestOrigin(request, user),
    );
    return json(renewed ? 200 : 201, invitationView(invitation));
  },
});
