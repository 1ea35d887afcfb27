import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { invitationView, invitationsService } from '../invitations.js';

/** GET /accounts/{accountId}/invitations: the account's pending invitations, for owners and admins. */
export const listInvitations = route({
  auth: 'manager',
  params: { accountId: accountIdParam },
  handle: async ({ params: { accountId } }) => {
    const pending = await invitationsService().listForAccount(accountId);
    return json(200, { invitations: pending.map(invitationView) });
  },
});
