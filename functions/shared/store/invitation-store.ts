import { ConditionFailedError, ServiceUnavailableError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { outboxOperation } from './event-outbox.js';
import { membershipItem, refreshLogins, type GitHubUser, type Role } from './account-store.js';
import { keys, prefixes } from './keys.js';
import { ITEM_ABSENT, type Table, type TransactOperation } from './table.js';

/** Invitations last 7 days (docs/how-it-works.md); renewing one starts the 7 days again. */
export const INVITATION_LIFETIME_SECONDS = 7 * 24 * 3600;

export type Invitation = {
  /** `<accountId>.<githubUserId>`: one pending invitation per person and account. */
  id: string;
  accountId: string;
  accountName: string;
  userId: number;
  /** The invitee's GitHub login when invited (refreshed when they sign in): display data only. */
  login: string;
  role: Role;
  invitedBy: GitHubUser;
  createdAt: string;
  /** Epoch seconds (the table's TTL attribute). */
  expiresAt: number;
};

export type InvitationStoreOptions = {
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
};

/** Why writing an invitation or accepting one did not happen. */
export type InvitationRefusal = 'already_member' | 'account_not_found' | 'invitation_not_found';

export class InvitationRefusedError extends Error {
  constructor(readonly reason: InvitationRefusal) {
    super(reason);
  }
}

/** A new invitation would exceed the account's cap of pending invitations; nothing was written. */
export class PendingInvitationsFullError extends Error {
  constructor(
    readonly maxPending: number,
    /** Until the soonest pending invitation expires (revoking one frees a place at once). */
    readonly retryAfterSeconds: number,
  ) {
    super(`The account already has ${maxPending} pending invitations.`);
  }
}

/**
 * Rounds of count-and-write one new invitation may lose before giving up (each lost round is another
 * invitation written, so a cap of 50 is reached well within this).
 */
const MAX_INVITE_ATTEMPTS = 60;

/** Conflicting-transaction answers (or a busy DynamoDB) tolerated before answering 503. */
const MAX_CONFLICTS = 8;

/** A short, jittered wait after DynamoDB reported conflicting transactions on the account. */
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));

const ID = /^([A-Za-z0-9_-]{1,64})\.([1-9][0-9]{0,19})$/;

/**
 * Pending invitations (`ACCOUNT#<accountId>` / `INVITE#<githubUserId>`, GSI1 `USER#<id>` / `INVITE#…`).
 * Expiry is checked here against this store's clock on every read and in every write's condition:
 * DynamoDB's TTL removes expired items days late.
 */
export class InvitationStore {
  private readonly now: () => number;

  constructor(
    private readonly table: Table,
    options: InvitationStoreOptions = {},
  ) {
    // Read at each call, not kept: one store serves the container (services.ts) while time passes.
    this.now = options.now ?? (() => Date.now());
  }

  static id(accountId: string, userId: number): string {
    return `${accountId}.${userId}`;
  }

  /** The account and invitee an id names, or undefined for anything that cannot be an id. */
  static parseId(id: string | undefined): { accountId: string; userId: number } | undefined {
    const match = id ? ID.exec(id) : null;
    if (!match?.[1] || !match[2]) return undefined;
    return { accountId: match[1], userId: Number(match[2]) };
  }

  async get(accountId: string, userId: number): Promise<Invitation | undefined> {
    const item = await this.table.get(keys.invitation(accountId, userId));
    return item ? this.live(item) : undefined;
  }

  async listForAccount(accountId: string): Promise<Invitation[]> {
    const items = await this.table.queryPartition(keys.account(accountId).PK, prefixes.invitation);
    return this.liveSorted(items);
  }

  async listForUser(userId: number): Promise<Invitation[]> {
    const items = await this.table.queryGsi1(keys.invitation('', userId).GSI1PK, prefixes.invitation);
    return this.liveSorted(items);
  }

  /**
   * Invites `invitee`, or renews their pending invitation (new role, inviter and 7 days from now; the
   * id and creation time stay). Refused when they are already a member or the account is gone, and
   * (PendingInvitationsFullError) when a new invitation would make more than `maxPending` pending.
   *
   * The cap is a count of the account's live invitations (at most `maxPending` of them, plus expired
   * ones TTL has not removed yet), made exact under concurrency by a sequence on the account item:
   * every new invitation bumps it in its own transaction, on condition that it is still what was read
   * before counting. So no new invitation lands between a count and the write it allowed; accepting,
   * declining, revoking or expiring only lower the count, and need no bookkeeping.
   */
  async invite(input: {
    account: { id: string; name: string };
    invitee: GitHubUser;
    role: Role;
    invitedBy: GitHubUser;
    maxPending?: number;
    /** Events written in the invitation's transaction (the outbox). */
    eventsOf?: (invitation: Invitation) => readonly DomainEvent[];
  }): Promise<{ invitation: Invitation; renewed: boolean }> {
    const { account, invitee } = input;
    // Each lost race means another invitation was written (or one just came or went): bounded.
    let conflicts = 0;
    for (let attempt = 1; ; attempt++) {
      const pending = await this.get(account.id, invitee.id);
      const nowMs = this.now();
      const invitation: Invitation = {
        id: InvitationStore.id(account.id, invitee.id),
        accountId: account.id,
        accountName: account.name,
        userId: invitee.id,
        login: invitee.login,
        role: input.role,
        invitedBy: { id: input.invitedBy.id, login: input.invitedBy.login },
        createdAt: pending?.createdAt ?? new Date(nowMs).toISOString(),
        expiresAt: Math.floor(nowMs / 1000) + INVITATION_LIFETIME_SECONDS,
      };
      const accountCheck =
        pending || input.maxPending === undefined
          ? { check: keys.account(account.id), condition: { expression: 'attribute_exists(PK)' } }
          : await this.pendingSlot(account.id, input.maxPending);
      try {
        await this.table.transactWrite([
          {
            put: { ...keys.invitation(account.id, invitee.id), ...invitation },
            // Renewing needs the invitation still pending; a new one, none (or an expired leftover).
            condition: pending
              ? {
                  expression: 'attribute_exists(PK) AND expiresAt > :now',
                  values: { ':now': this.nowSeconds() },
                }
              : {
                  expression: 'attribute_not_exists(PK) OR expiresAt <= :now',
                  values: { ':now': this.nowSeconds() },
                },
          },
          { check: keys.membership(account.id, invitee.id), condition: ITEM_ABSENT },
          accountCheck,
          ...(input.eventsOf?.(invitation) ?? []).map((event) => outboxOperation(event)),
        ]);
        return { invitation, renewed: pending !== undefined };
      } catch (error) {
        const busy = error instanceof ServiceUnavailableError;
        if (!(error instanceof ConditionFailedError) && !busy) throw error;
        const failed = error instanceof ConditionFailedError ? error.failedOperations : [];
        if (failed.includes(1) || (await this.table.get(keys.membership(account.id, invitee.id))))
          throw new InvitationRefusedError('already_member');
        if (!(await this.table.get(keys.account(account.id))))
          throw new InvitationRefusedError('account_not_found');
        // The invitation or the account's sequence moved meanwhile (or DynamoDB reported a conflicting
        // transaction): count again.
        if (busy) conflicts++;
        if (attempt >= MAX_INVITE_ATTEMPTS || conflicts > MAX_CONFLICTS) throw error;
        if (busy) await pause(conflicts);
      }
    }
  }

  /**
   * The account item's part of a new invitation's transaction: bump the sequence read before the count,
   * on condition it did not move. Over the cap: PendingInvitationsFullError, nothing written.
   */
  private async pendingSlot(accountId: string, maxPending: number): Promise<TransactOperation> {
    const account = await this.table.get(keys.account(accountId));
    if (!account) throw new InvitationRefusedError('account_not_found');
    const seen = typeof account.invitationSeq === 'number' ? account.invitationSeq : undefined;
    // After the sequence: an invitation counted here was written before the sequence we read moved.
    const live = (
      await this.table.queryPartition(keys.account(accountId).PK, prefixes.invitation, { consistent: true })
    )
      .map((item) => this.live(item))
      .filter((invitation): invitation is Invitation => invitation !== undefined);
    if (live.length >= maxPending) {
      const soonest = Math.min(...live.map((invitation) => invitation.expiresAt));
      throw new PendingInvitationsFullError(maxPending, Math.max(1, soonest - this.nowSeconds()));
    }
    return {
      update: keys.account(accountId),
      expression: 'SET invitationSeq = if_not_exists(invitationSeq, :zero) + :one',
      values: { ':zero': 0, ':one': 1 },
      condition:
        seen === undefined
          ? { expression: 'attribute_exists(PK) AND attribute_not_exists(invitationSeq)' }
          : { expression: 'invitationSeq = :seen', values: { ':seen': seen } },
    };
  }

  /**
   * The invitee joins: in one transaction the live invitation is consumed, the membership written (with
   * the account's current name and the invitee's current login) and, for an owner, the owner count
   * raised. The account's name is a condition, so a rename in between is retried rather than copied stale.
   */
  async accept(
    accountId: string,
    invitee: GitHubUser,
    eventsOf: (joined: {
      accountId: string;
      accountName: string;
      role: Role;
    }) => readonly DomainEvent[] = () => [],
  ): Promise<{ accountId: string; accountName: string; role: Role }> {
    for (let attempt = 0; ; attempt++) {
      const [invitation, account] = await Promise.all([
        this.get(accountId, invitee.id),
        this.table.get(keys.account(accountId)),
      ]);
      if (!invitation) throw new InvitationRefusedError('invitation_not_found');
      if (!account) throw new InvitationRefusedError('account_not_found');
      const accountName = String(account.name);
      const sameName = {
        expression: '#name = :name',
        names: { '#name': 'name' },
        values: { ':name': accountName },
      };
      const operations: TransactOperation[] = [
        {
          delete: keys.invitation(accountId, invitee.id),
          condition: {
            // Still live, and still for the role read (not revoked and re-sent meanwhile).
            expression: 'attribute_exists(PK) AND expiresAt > :now AND #role = :role',
            names: { '#role': 'role' },
            values: { ':now': this.nowSeconds(), ':role': invitation.role },
          },
        },
        {
          put: {
            ...membershipItem(
              { id: accountId, name: accountName },
              invitee,
              invitation.role,
              new Date(this.now()),
            ),
            ...(account.nameVersion === undefined ? {} : { nameVersion: Number(account.nameVersion) }),
          },
          condition: ITEM_ABSENT,
        },
        invitation.role === 'owner'
          ? {
              update: keys.account(accountId),
              expression: 'SET ownerCount = ownerCount + :one',
              values: { ':one': 1 },
              condition: sameName,
            }
          : { check: keys.account(accountId), condition: sameName },
        ...eventsOf({ accountId, accountName, role: invitation.role }).map((event) => outboxOperation(event)),
      ];
      try {
        await this.table.transactWrite(operations);
        return { accountId, accountName, role: invitation.role };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (await this.table.get(keys.membership(accountId, invitee.id))) {
          await this.delete(accountId, invitee.id);
          throw new InvitationRefusedError('already_member');
        }
        // The invitation expired or went, or the account was renamed or deleted: read again.
        if (attempt >= 2) throw new InvitationRefusedError('invitation_not_found');
      }
    }
  }

  /**
   * The invitee declines `invitation`: it is deleted, with `events`, in one transaction conditioned on it
   * being still live and for the role read. False when it is no longer (nothing written).
   */
  async decline(invitation: Invitation, events: readonly DomainEvent[]): Promise<boolean> {
    try {
      await this.table.transactWrite([
        {
          delete: keys.invitation(invitation.accountId, invitation.userId),
          condition: {
            expression: 'attribute_exists(PK) AND expiresAt > :now AND #role = :role',
            names: { '#role': 'role' },
            values: { ':now': this.nowSeconds(), ':role': invitation.role },
          },
        },
        ...events.map((event) => outboxOperation(event)),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Ends a pending invitation (declined or revoked); false when there was none. */
  async delete(accountId: string, userId: number): Promise<boolean> {
    const removed = await this.table.delete(keys.invitation(accountId, userId));
    return removed !== undefined && this.live(removed) !== undefined;
  }

  /** Shows the invitee's current GitHub login on their pending invitations. */
  async refreshLogin(user: GitHubUser): Promise<void> {
    const items = await this.table.queryGsi1(keys.invitation('', user.id).GSI1PK, prefixes.invitation);
    await refreshLogins(this.table, items, user.login);
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private live(item: Record<string, unknown>): Invitation | undefined {
    const expiresAt = Number(item.expiresAt);
    if (!(expiresAt > this.nowSeconds())) return undefined;
    const invitedBy = item.invitedBy as { id: unknown; login: unknown };
    return {
      id: InvitationStore.id(String(item.accountId), Number(item.userId)),
      accountId: String(item.accountId),
      accountName: String(item.accountName),
      userId: Number(item.userId),
      login: String(item.login),
      role: item.role as Role,
      invitedBy: { id: Number(invitedBy.id), login: String(invitedBy.login) },
      createdAt: String(item.createdAt),
      expiresAt,
    };
  }

  private liveSorted(items: Array<Record<string, unknown>>): Invitation[] {
    return items
      .map((item) => this.live(item))
      .filter((invitation): invitation is Invitation => invitation !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
