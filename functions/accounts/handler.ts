import { createHttpHandler } from '../shared/http/http-handler.js';
import { acceptInvitation } from './routes/accept-invitation.js';
import { changeMemberRole } from './routes/change-member-role.js';
import { createAccount } from './routes/create-account.js';
import { declineInvitation } from './routes/decline-invitation.js';
import { deleteAccount } from './routes/delete-account.js';
import { getAccount } from './routes/get-account.js';
import { inviteMember } from './routes/invite-member.js';
import { listAccounts } from './routes/list-accounts.js';
import { listEvents } from './routes/list-events.js';
import { listInvitations } from './routes/list-invitations.js';
import { myInvitations } from './routes/my-invitations.js';
import { removeMember } from './routes/remove-member.js';
import { renameAccount } from './routes/rename-account.js';
import { revokeInvitation } from './routes/revoke-invitation.js';

/** Platform accounts, members and invitations: one module per route under routes/. */
export const handler = createHttpHandler({
  'POST /accounts': createAccount,
  'GET /accounts': listAccounts,
  'GET /accounts/{accountId}': getAccount,
  'PATCH /accounts/{accountId}': renameAccount,
  'DELETE /accounts/{accountId}': deleteAccount,
  'POST /accounts/{accountId}/members': inviteMember,
  'PATCH /accounts/{accountId}/members/{userId}': changeMemberRole,
  'DELETE /accounts/{accountId}/members/{userId}': removeMember,
  'GET /accounts/{accountId}/invitations': listInvitations,
  'GET /accounts/{accountId}/events': listEvents,
  'DELETE /accounts/{accountId}/invitations/{invitationId}': revokeInvitation,
  'GET /me/invitations': myInvitations,
  'POST /invitations/{invitationId}/accept': acceptInvitation,
  'POST /invitations/{invitationId}/decline': declineInvitation,
});
