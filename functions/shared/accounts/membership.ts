import { ForbiddenError, NotFoundError } from '../errors.js';
import type { AccountStore, Member, Role } from '../store/account-store.js';

/**
 * The caller's membership of the account they act on. Not a member: 404, as if the account did not
 * exist (nothing about other accounts leaks). A member without the needed role: 403.
 */
export async function requireMember(
  accounts: AccountStore,
  accountId: string,
  userId: number,
  roles?: readonly Role[],
): Promise<Member> {
  const member = await accounts.getMembership(accountId, userId);
  if (!member) throw new NotFoundError('account_not_found', 'No such account.');
  if (roles && !roles.includes(member.role)) {
    throw new ForbiddenError(
      'insufficient_role',
      `This needs the ${roles.join(' or ')} role in the account.`,
    );
  }
  return member;
}

export const MANAGERS: readonly Role[] = ['owner', 'admin'];
export const OWNERS: readonly Role[] = ['owner'];
