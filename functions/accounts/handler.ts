import * as z from 'zod/mini';
import {
  changeMemberRole,
  createAccount,
  deleteAccount,
  removeMember,
  renameAccount,
} from '../shared/accounts/account-admin.js';
import { parseAccountName } from '../shared/accounts/account-name.js';
import { findGitHubUser } from '../shared/accounts/github-users.js';
import { Invitations, invitationView } from '../shared/accounts/invitations.js';
import { requireMember } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { NotFoundError, UnauthorizedError } from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { accountIdParam, numericParam, parseBody } from '../shared/http/validate.js';
import { getServices } from '../shared/services.js';
import { AccountStore, type GitHubUser } from '../shared/store/account-store.js';
import { InvitationStore } from '../shared/store/invitation-store.js';

const ROLE = z.enum(['owner', 'admin', 'member']);
const named = z.strictObject({ name: z.string() });
const newInvitation = z.strictObject({
  login: z
    .string()
    .check(
      z.trim(),
      z.regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'must be a GitHub login'),
    ),
  role: ROLE,
});
const roleChange = z.strictObject({ role: ROLE });

const accounts = () => new AccountStore(getServices().table);
const invitations = () =>
  new Invitations({
    accounts: accounts(),
    invitations: new InvitationStore(getServices().table),
    findGitHubUser,
  });

/** The signed-in caller with their current GitHub login (display data for what they write). */
async function signedInUser(request: HttpRequest): Promise<GitHubUser> {
  const caller = await requireCaller(request);
  const profile = await getServices().users.getProfile(caller.userId);
  if (!profile) throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
  return { id: profile.id, login: profile.login };
}

const memberId = (request: HttpRequest) =>
  numericParam(request.pathParameters.userId, 'member_not_found', 'No such member.');

export const handler = createHttpHandler({
  'POST /accounts': {
    body: 'json',
    handle: async (request) => {
      const user = await signedInUser(request);
      const name = parseAccountName(parseBody(named, request.body).name);
      const account = await createAccount(accounts(), user, name);
      return json(201, { id: account.id, name: account.name, role: 'owner', createdAt: account.createdAt });
    },
  },
  'GET /accounts': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      return json(200, { accounts: await accounts().listForUser(caller.userId) });
    },
  },
  'GET /accounts/{accountId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const store = accounts();
      const member = await requireMember(store, accountId, caller.userId);
      const [account, members] = await Promise.all([store.get(accountId), store.listMembers(accountId)]);
      if (!account) throw new NotFoundError('account_not_found', 'No such account.');
      return json(200, {
        id: account.id,
        name: account.name,
        role: member.role,
        createdAt: account.createdAt,
        members: members.map(({ userId, login, role }) => ({ userId, login, role })),
      });
    },
  },
  'PATCH /accounts/{accountId}': {
    body: 'json',
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const name = parseAccountName(parseBody(named, request.body).name);
      const { account, role } = await renameAccount(accounts(), { callerId: caller.userId, accountId, name });
      return json(200, { id: account.id, name: account.name, role, createdAt: account.createdAt });
    },
  },
  'DELETE /accounts/{accountId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      await deleteAccount(accounts(), { callerId: caller.userId, accountId });
      return noContent();
    },
  },
  'POST /accounts/{accountId}/members': {
    body: 'json',
    handle: async (request) => {
      const user = await signedInUser(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const { login, role } = parseBody(newInvitation, request.body);
      // Membership (404) and role (403) are checked before GitHub is asked about the login.
      const { invitation, renewed } = await invitations().invite(user, accountId, login, role);
      return json(renewed ? 200 : 201, invitationView(invitation));
    },
  },
  'PATCH /accounts/{accountId}/members/{userId}': {
    body: 'json',
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const userId = memberId(request);
      const { role } = parseBody(roleChange, request.body);
      const member = await changeMemberRole(accounts(), { callerId: caller.userId, accountId, userId, role });
      return json(200, { userId: member.userId, login: member.login, role: member.role });
    },
  },
  'DELETE /accounts/{accountId}/members/{userId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      await removeMember(accounts(), { callerId: caller.userId, accountId, userId: memberId(request) });
      return noContent();
    },
  },
  'GET /accounts/{accountId}/invitations': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const pending = await invitations().listForAccount(caller.userId, accountId);
      return json(200, { invitations: pending.map(invitationView) });
    },
  },
  'DELETE /accounts/{accountId}/invitations/{invitationId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      await invitations().revoke(caller.userId, accountId, request.pathParameters.invitationId);
      return noContent();
    },
  },
  'GET /me/invitations': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const pending = await invitations().listMine(caller.userId);
      return json(200, { invitations: pending.map(invitationView) });
    },
  },
  'POST /invitations/{invitationId}/accept': {
    handle: async (request) => {
      const user = await signedInUser(request);
      const joined = await invitations().accept(user, request.pathParameters.invitationId);
      return json(200, { id: joined.accountId, name: joined.accountName, role: joined.role });
    },
  },
  'POST /invitations/{invitationId}/decline': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      await invitations().decline(caller.userId, request.pathParameters.invitationId);
      return noContent();
    },
  },
});
