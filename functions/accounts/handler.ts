import * as z from 'zod/mini';
import { MANAGERS, requireMember } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../shared/errors.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { accountIdParam, numericParam, parseBody } from '../shared/http/validate.js';
import { getServices } from '../shared/services.js';
import { AccountStore, LastOwnerError } from '../shared/store/account-store.js';

const newAccount = z.strictObject({ name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)) });
const newMember = z.strictObject({
  login: z
    .string()
    .check(
      z.trim(),
      z.regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'must be a GitHub login'),
    ),
  role: z.enum(['admin', 'member']),
});

const accounts = () => new AccountStore(getServices().table);

export const handler = createHttpHandler({
  'POST /accounts': {
    body: 'json',
    handle: async (request) => {
      const caller = await requireCaller(request);
      const { name } = parseBody(newAccount, request.body);
      const profile = await getServices().users.getProfile(caller.userId);
      if (!profile)
        throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
      const account = await accounts().create(name, profile);
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
  'POST /accounts/{accountId}/members': {
    body: 'json',
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const store = accounts();
      await requireMember(store, accountId, caller.userId, MANAGERS);
      const { login, role } = parseBody(newMember, request.body);
      const user = await getServices().users.findByLogin(login);
      if (!user) {
        throw new NotFoundError(
          'user_not_found',
          `${login} has not signed in to the platform yet: ask them to sign in first.`,
        );
      }
      const account = await store.get(accountId);
      if (!account) throw new NotFoundError('account_not_found', 'No such account.');
      const member = await store.addMember(account, user, role);
      if (!member)
        throw new ConflictError('already_member', `${user.login} already belongs to this account.`);
      return json(201, { userId: member.userId, login: member.login, role: member.role });
    },
  },
  'DELETE /accounts/{accountId}/members/{userId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const userId = numericParam(request.pathParameters.userId, 'member_not_found', 'No such member.');
      const store = accounts();
      const self = await requireMember(store, accountId, caller.userId);
      const target = await store.getMembership(accountId, userId);
      if (!target) throw new NotFoundError('member_not_found', 'No such member.');
      // Anyone may leave; owners remove anyone; admins remove admins and members, not owners.
      const allowed =
        userId === caller.userId ||
        self.role === 'owner' ||
        (self.role === 'admin' && target.role !== 'owner');
      if (!allowed) throw new ForbiddenError('insufficient_role', 'Only owners can remove an owner.');
      try {
        await store.removeMember(accountId, target);
      } catch (error) {
        if (error instanceof LastOwnerError) {
          throw new ConflictError(
            'last_owner',
            'The last owner cannot be removed: make someone else an owner first.',
          );
        }
        throw error;
      }
      return noContent();
    },
  },
});
