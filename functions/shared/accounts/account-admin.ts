import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { abuseLimits, type AbuseLimits } from '../limits/abuse-limits.js';
import {
  LastOwnerError,
  MemberChangedError,
  type Account,
  type AccountStore,
  type GitHubUser,
  type Member,
  type Role,
} from '../store/account-store.js';
import { requireMember } from './membership.js';
import { mayChangeRole, mayRemove } from './roles.js';

const OWNERS: readonly Role[] = ['owner'];

const memberNotFound = () => new NotFoundError('member_not_found', 'No such member.');

function refused(error: unknown, change: 'removed' | 'demoted'): unknown {
  if (error instanceof LastOwnerError) {
    return new ConflictError(
      'last_owner',
      `The last owner cannot be ${change}: make someone else an owner first.`,
    );
  }
  if (error instanceof MemberChangedError) {
    return new ConflictError('member_changed', 'The member changed meanwhile. Reload and try again.');
  }
  return error;
}

/** POST /accounts: the creator becomes its owner; at most so many accounts per user per hour. */
export function createAccount(
  accounts: AccountStore,
  creator: GitHubUser,
  name: string,
  limits: AbuseLimits = abuseLimits(),
): Promise<Account> {
  return limits.within('accountsPerHour', creator.id, () => accounts.create(name, creator));
}

/** PATCH /accounts/{id}/members/{userId}: the role rules of roles.ts, the owner count kept right. */
export async function changeMemberRole(
  accounts: AccountStore,
  input: { callerId: number; accountId: string; userId: number; role: Role },
): Promise<Member> {
  const self = await requireMember(accounts, input.accountId, input.callerId);
  if (self.role === 'member') throw new ForbiddenError('insufficient_role', 'Members cannot change roles.');
  const target =
    input.userId === self.userId ? self : await accounts.getMembership(input.accountId, input.userId);
  if (!target) throw memberNotFound();
  if (!mayChangeRole(self, target, input.role))
    throw new ForbiddenError('insufficient_role', 'Only owners can make or unmake owners.');
  try {
    return await accounts.changeRole(input.accountId, target, input.role);
  } catch (error) {
    throw refused(error, 'demoted');
  }
}

/** DELETE /accounts/{id}/members/{userId}: leave, or remove someone the caller's role allows. */
export async function removeMember(
  accounts: AccountStore,
  input: { callerId: number; accountId: string; userId: number },
): Promise<void> {
  const self = await requireMember(accounts, input.accountId, input.callerId);
  const target =
    input.userId === self.userId ? self : await accounts.getMembership(input.accountId, input.userId);
  if (!target) throw memberNotFound();
  if (!mayRemove(self, target))
    throw new ForbiddenError('insufficient_role', 'Only owners can remove an owner.');
  try {
    await accounts.removeMember(input.accountId, target);
  } catch (error) {
    throw refused(error, 'removed');
  }
}

/** PATCH /accounts/{id}: owners rename; every copy of the name follows. */
export async function renameAccount(
  accounts: AccountStore,
  input: { callerId: number; accountId: string; name: string },
): Promise<{ account: Account; role: Role }> {
  const self = await requireMember(accounts, input.accountId, input.callerId, OWNERS);
  if (!(await accounts.rename(input.accountId, input.name)))
    throw new NotFoundError('account_not_found', 'No such account.');
  const account = await accounts.get(input.accountId);
  if (!account) throw new NotFoundError('account_not_found', 'No such account.');
  return { account, role: self.role };
}

/** DELETE /accounts/{id}: owners delete; links, invitations and memberships go with it (GitHub untouched). */
export async function deleteAccount(
  accounts: AccountStore,
  input: { callerId: number; accountId: string },
): Promise<void> {
  await requireMember(accounts, input.accountId, input.callerId, OWNERS);
  await accounts.delete(input.accountId);
}
