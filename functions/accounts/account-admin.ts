import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { domainEvent, type EventOrigin } from '../shared/events/domain-event.js';
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

/** The account as events name it. */
const named = (account: Pick<Account, 'id' | 'name'>) => ({ id: account.id, name: account.name });

/** The account's name for an event about it (the route checked the membership; a gone account is 404). */
async function accountNamed(accounts: AccountStore, accountId: string) {
  const account = await accounts.get(accountId);
  if (!account) throw new NotFoundError('account_not_found', 'No such account.');
  return named(account);
}

/**
 * POST /accounts: the creator becomes its owner (account.created in the same transaction); at most so
 * many accounts per user per hour.
 */
export function createAccount(
  accounts: AccountStore,
  input: { creator: GitHubUser; name: string; origin: EventOrigin },
  limits: AbuseLimits = abuseLimits(),
): Promise<Account> {
  const { creator, name, origin } = input;
  return limits.within('accountsPerHour', creator.id, () =>
    accounts.create(name, creator, (account) => [
      domainEvent('account.created', origin, [account.id], { account: named(account) }),
    ]),
  );
}

/**
 * PATCH /accounts/{id}/members/{userId}: the role rules of roles.ts, the owner count kept right.
 * `self` is the caller's membership (the route checked it).
 */
export async function changeMemberRole(
  accounts: AccountStore,
  input: { self: Member; accountId: string; userId: number; role: Role; origin: EventOrigin },
): Promise<Member> {
  const { self, accountId, role, origin } = input;
  if (self.role === 'member') throw new ForbiddenError('insufficient_role', 'Members cannot change roles.');
  const [target, account] = await Promise.all([
    input.userId === self.userId ? self : accounts.getMembership(accountId, input.userId),
    accountNamed(accounts, accountId),
  ]);
  if (!target) throw memberNotFound();
  if (!mayChangeRole(self, target, role))
    throw new ForbiddenError('insufficient_role', 'Only owners can make or unmake owners.');
  const event = domainEvent('member.role_changed', origin, [accountId], {
    account,
    member: { id: target.userId, login: target.login },
    role,
    previousRole: target.role,
  });
  try {
    return await accounts.changeRole(accountId, target, role, [event]);
  } catch (error) {
    throw refused(error, 'demoted');
  }
}

/** DELETE /accounts/{id}/members/{userId}: leave, or remove someone the caller's role allows. */
export async function removeMember(
  accounts: AccountStore,
  input: { self: Member; accountId: string; userId: number; origin: EventOrigin },
): Promise<void> {
  const { self, accountId, origin } = input;
  const [target, account] = await Promise.all([
    input.userId === self.userId ? self : accounts.getMembership(accountId, input.userId),
    accountNamed(accounts, accountId),
  ]);
  if (!target) throw memberNotFound();
  if (!mayRemove(self, target))
    throw new ForbiddenError('insufficient_role', 'Only owners can remove an owner.');
  // Leaving is the member's own doing; anyone else is removed by the caller.
  const member = { id: target.userId, login: target.login };
  const event =
    target.userId === self.userId
      ? domainEvent('member.left', origin, [accountId], { account, member })
      : domainEvent('member.removed', origin, [accountId], { account, member });
  try {
    await accounts.removeMember(accountId, target, [event]);
  } catch (error) {
    throw refused(error, 'removed');
  }
}

/**
 * PATCH /accounts/{id}: owners rename (the route checked the role); every copy of the name follows.
 * account.renamed goes with the rename (none when the name stays the same).
 */
export async function renameAccount(
  accounts: AccountStore,
  input: { accountId: string; name: string; origin: EventOrigin },
): Promise<Account> {
  const renamed = await accounts.rename(input.accountId, input.name, (previous) => [
    domainEvent('account.renamed', input.origin, [previous.id], {
      account: { id: previous.id, name: input.name },
      previousName: previous.name,
    }),
  ]);
  if (!renamed) throw new NotFoundError('account_not_found', 'No such account.');
  const account = await accounts.get(input.accountId);
  if (!account) throw new NotFoundError('account_not_found', 'No such account.');
  return account;
}

/** DELETE /accounts/{id}: owners delete (the route checked the role); account.deleted goes with it. */
export async function deleteAccount(
  accounts: AccountStore,
  input: { accountId: string; origin: EventOrigin },
): Promise<void> {
  await accounts.delete(input.accountId, (account) => [
    domainEvent('account.deleted', input.origin, [account.id], { account: named(account) }),
  ]);
}
