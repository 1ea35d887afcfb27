import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { abuseLimits, type AbuseLimits } from '../shared/limits/abuse-limits.js';
import {
  LastOwnerError,
  MemberChangedError,
  type Account,
  type AccountStore,
  type GitHubUser,
  type Member,
  type Role,
} from '../shared/store/account-store.js';
import { mayChangeRole, mayRemove } from './roles.js';

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

/**
 * PATCH /accounts/{id}/members/{userId}: the role rules of roles.ts, the owner count kept right.
 * `self` is the caller's membership (the route checked it).
 */
export async function changeMemberRole(
  accounts: AccountStore,
  input: { self: Member; accountId: string; userId: number; role: Role },
): Promise<Member> {
  const { self } = input;
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
  input: { self: Member; accountId: string; userId: number },
): Promise<void> {
  const { self } = input;
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

/** PATCH /accounts/{id}: owners rename (the route checked the role); every copy of the name follows. */
export async function renameAccount(
  accounts: AccountStore,
  input: { accountId: string; name: string },
): Promise<Account> {
  if (!(await accounts.rename(input.accountId, input.name)))
    throw new NotFoundError('account_not_found', 'No such account.');
  const account = await accounts.get(input.accountId);
  if (!account) throw new NotFoundError('account_not_found', 'No such account.');
  return account;
}
