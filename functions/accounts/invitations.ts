import { ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError } from '../shared/errors.js';
import { domainEvent, type EventOrigin } from '../shared/events/domain-event.js';
import { abuseLimitReached, abuseLimits, type AbuseLimits } from '../shared/limits/abuse-limits.js';
import type { AccountStore, GitHubUser, Member, Role } from '../shared/store/account-store.js';
import {
  InvitationRefusedError,
  InvitationStore,
  PendingInvitationsFullError,
  type Invitation,
} from '../shared/store/invitation-store.js';
import { getServices } from '../shared/services.js';
import { findGitHubUser } from './github-users.js';
import { mayGrant } from './roles.js';

export type InvitationDeps = {
  accounts: AccountStore;
  invitations: InvitationStore;
  /** Who holds a login on GitHub now, asked as the inviter (undefined: no such user). */
  findGitHubUser: (inviterId: number, login: string) => Promise<GitHubUser | undefined>;
  /** Invitations sent per user per hour, pending invitations per account (the container's by default). */
  limits?: AbuseLimits;
};

/** An invitation as the API shows it. */
export function invitationView(invitation: Invitation) {
  return {
    id: invitation.id,
    account: { id: invitation.accountId, name: invitation.accountName },
    userId: invitation.userId,
    login: invitation.login,
    role: invitation.role,
    status: 'pending' as const,
    invitedBy: { userId: invitation.invitedBy.id, login: invitation.invitedBy.login },
    createdAt: invitation.createdAt,
    expiresAt: new Date(invitation.expiresAt * 1000).toISOString(),
  };
}

const notFound = () => new NotFoundError('invitation_not_found', 'No such invitation.');

/**
 * Membership by consent: owners and admins invite a GitHub user (resolved to their numeric id through
 * GitHub), the invitee accepts or declines. Nobody joins an account without accepting. The routes check
 * that inviters and revokers are owners or admins of the account (`manager`), and pass their membership.
 */
export class Invitations {
  constructor(private readonly deps: InvitationDeps) {}

  async invite(
    caller: GitHubUser,
    inviter: Member,
    accountId: string,
    login: string,
    role: Role,
    origin: EventOrigin,
  ): Promise<{ invitation: Invitation; renewed: boolean }> {
    const { accounts, invitations } = this.deps;
    if (!mayGrant(inviter.role, role))
      throw new ForbiddenError('insufficient_role', 'Only owners can invite an owner.');
    const invitee = await this.deps.findGitHubUser(caller.id, login);
    if (!invitee)
      throw new NotFoundError('github_user_not_found', `GitHub has no user with the login ${login}.`);
    const [account, member, pending] = await Promise.all([
      accounts.get(accountId),
      accounts.getMembership(accountId, invitee.id),
      invitations.get(accountId, invitee.id),
    ]);
    if (!account) throw new NotFoundError('account_not_found', 'No such account.');
    if (member) throw alreadyMember(invitee.login);
    // Renewing replaces the role: an admin cannot rewrite (or downgrade) an owner's invitation.
    if (pending && !mayGrant(inviter.role, pending.role))
      throw new ForbiddenError('insufficient_role', 'Only owners can change an invitation to be an owner.');
    const limits = this.deps.limits ?? abuseLimits();
    const maxPending = limits.settings.pendingInvitationsPerAccount;
    try {
      // Counted only when written: a refused or failed invitation gives its slot back.
      return await limits.within('invitationsPerHour', caller.id, () =>
        invitations.invite({
          account,
          invitee,
          role,
          invitedBy: caller,
          maxPending,
          // A renewal is invited again (new role, new expiry): member.invited each time.
          eventsOf: (invitation) => [
            domainEvent('member.invited', origin, [account.id], {
              account: { id: account.id, name: account.name },
              invitee: { id: invitation.userId, login: invitation.login },
              role: invitation.role,
              expiresAt: new Date(invitation.expiresAt * 1000).toISOString(),
            }),
          ],
        }),
      );
    } catch (error) {
      if (error instanceof PendingInvitationsFullError) {
        abuseLimitReached('pending_invitations', {
          accountId,
          userId: caller.id,
          max: maxPending,
          retryAfterSeconds: error.retryAfterSeconds,
        });
        throw new TooManyRequestsError(
          `This account already has ${maxPending} pending invitations: revoke some, or wait until they are answered or expire.`,
          error.retryAfterSeconds,
        );
      }
      if (error instanceof InvitationRefusedError) {
        if (error.reason === 'already_member') throw alreadyMember(invitee.login);
        throw new NotFoundError('account_not_found', 'No such account.');
      }
      throw error;
    }
  }

  listForAccount(accountId: string): Promise<Invitation[]> {
    return this.deps.invitations.listForAccount(accountId);
  }

  async revoke(self: Member, accountId: string, invitationId: string | undefined): Promise<void> {
    const target = InvitationStore.parseId(invitationId);
    if (!target || target.accountId !== accountId) throw notFound();
    const invitation = await this.deps.invitations.get(accountId, target.userId);
    if (!invitation) throw notFound();
    if (!mayGrant(self.role, invitation.role))
      throw new ForbiddenError('insufficient_role', 'Only owners can revoke an invitation to be an owner.');
    if (!(await this.deps.invitations.delete(accountId, target.userId))) throw notFound();
  }

  listMine(callerId: number): Promise<Invitation[]> {
    return this.deps.invitations.listForUser(callerId);
  }

  /** Only the invitee can accept: anyone else is told there is no such invitation. */
  async accept(caller: GitHubUser, invitationId: string | undefined, origin: EventOrigin) {
    const target = this.ownInvitation(caller.id, invitationId);
    try {
      return await this.deps.invitations.accept(target.accountId, caller, (joined) => [
        domainEvent('member.joined', origin, [joined.accountId], {
          account: { id: joined.accountId, name: joined.accountName },
          member: { id: caller.id, login: caller.login },
          role: joined.role,
        }),
      ]);
    } catch (error) {
      if (!(error instanceof InvitationRefusedError)) throw error;
      if (error.reason === 'already_member') throw alreadyMember(caller.login);
      throw notFound();
    }
  }

  async decline(caller: GitHubUser, invitationId: string | undefined, origin: EventOrigin): Promise<void> {
    const target = this.ownInvitation(caller.id, invitationId);
    const invitation = await this.deps.invitations.get(target.accountId, caller.id);
    if (!invitation) throw notFound();
    const declined = domainEvent('member.declined', origin, [invitation.accountId], {
      account: { id: invitation.accountId, name: invitation.accountName },
      invitee: { id: caller.id, login: caller.login },
    });
    // Gone meanwhile (revoked, expired, answered by another request): nothing declined, no event.
    if (!(await this.deps.invitations.decline(invitation, [declined]))) throw notFound();
  }

  private ownInvitation(callerId: number, invitationId: string | undefined) {
    const target = InvitationStore.parseId(invitationId);
    if (!target || target.userId !== callerId) throw notFound();
    return target;
  }
}

function alreadyMember(login: string): ConflictError {
  return new ConflictError('already_member', `${login} already belongs to this account.`);
}

/** The invitations of the container's table, resolving logins at GitHub with the inviter's token. */
export function invitationsService(): Invitations {
  const { accounts, invitations } = getServices();
  return new Invitations({ accounts, invitations, findGitHubUser });
}
