import { randomBytes } from 'node:crypto';
import { ConditionFailedError, ServiceUnavailableError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { outboxOperation } from './event-outbox.js';
import { keys, prefixes } from './keys.js';
import { ITEM_ABSENT, type Item, type Table, type TransactOperation } from './table.js';

export type Role = 'owner' | 'admin' | 'member';
export type AccountSummary = { id: string; name: string; role: Role };
export type Account = { id: string; name: string; createdBy: number; createdAt: string };
export type Member = { userId: number; login: string; role: Role; addedAt: string };
/** Who a membership or invitation names: the GitHub user id decides, the login is display data. */
export type GitHubUser = { id: number; login: string };

/** Removing or demoting this owner would leave the account without one. */
export class LastOwnerError extends Error {}
/** The member changed (role, or left) between reading and writing: nothing was written. */
export class MemberChangedError extends Error {}

/** How many item writes run at once when a change fans out over an account's items. */
const FAN_OUT = 8;

/** Platform accounts and memberships (`ACCOUNT#<id>`, reverse lookups through GSI1). */
export class AccountStore {
  constructor(private readonly table: Table) {}

  /**
   * Creates the account with its creator as the only owner, in one transaction with the events
   * `eventsOf` makes of it (the outbox: the events exist if and only if the account does).
   */
  async create(
    name: string,
    creator: GitHubUser,
    eventsOf: (account: Account) => readonly DomainEvent[] = () => [],
  ): Promise<Account> {
    const account: Account = {
      id: randomBytes(10).toString('hex'),
      name,
      createdBy: creator.id,
      createdAt: new Date().toISOString(),
    };
    await this.table.transactWrite([
      { put: { ...keys.account(account.id), ...account, ownerCount: 1 }, condition: ITEM_ABSENT },
      { put: membershipItem(account, creator, 'owner'), condition: ITEM_ABSENT },
      ...eventsOf(account).map((event) => outboxOperation(event)),
    ]);
    return account;
  }

  async get(accountId: string): Promise<Account | undefined> {
    const item = await this.table.get(keys.account(accountId));
    return item ? toAccount(item) : undefined;
  }

  async getMembership(accountId: string, userId: number): Promise<Member | undefined> {
    const item = await this.table.get(keys.membership(accountId, userId));
    return item ? toMember(item) : undefined;
  }

  async listMembers(accountId: string): Promise<Member[]> {
    const items = await this.table.queryPartition(keys.account(accountId).PK, prefixes.member);
    return items.map(toMember).sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }

  /** The accounts a user belongs to, from their memberships (GSI1: `USER#<id>` / `ACCOUNT#…`). */
  async listForUser(userId: number): Promise<AccountSummary[]> {
    const memberships = await this.table.queryGsi1(keys.membership('', userId).GSI1PK, prefixes.account);
    return memberships
      .map((item) => ({
        id: String(item.accountId),
        name: String(item.accountName),
        role: item.role as Role,
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /**
   * Gives a member another role. The owner count moves in the same transaction, conditioned on the
   * role read, so concurrent changes can neither leave the account without an owner nor skew the count.
   */
  async changeRole(
    accountId: string,
    member: Member,
    role: Role,
    events: readonly DomainEvent[] = [],
  ): Promise<Member> {
    if (member.role === role) return member;
    const membership = {
      update: keys.membership(accountId, member.userId),
      expression: 'SET #role = :role',
      names: { '#role': 'role' },
      values: { ':role': role },
      condition: { expression: '#role = :was', names: { '#role': 'role' }, values: { ':was': member.role } },
    };
    const count = ownerCountChange(accountId, member.role, role);
    try {
      await this.table.transactWrite([membership, ...(count ? [count] : []), ...outbox(events)]);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw await this.whyRefused(accountId, member);
      throw error;
    }
    return { ...member, role };
  }

  /** Removes a member, with `events` in the same transaction; the last owner cannot go (LastOwnerError). */
  async removeMember(accountId: string, member: Member, events: readonly DomainEvent[] = []): Promise<void> {
    const remove = {
      delete: keys.membership(accountId, member.userId),
      condition: { expression: '#role = :was', names: { '#role': 'role' }, values: { ':was': member.role } },
    };
    const count = ownerCountChange(accountId, member.role, undefined);
    try {
      await this.table.transactWrite([remove, ...(count ? [count] : []), ...outbox(events)]);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw await this.whyRefused(accountId, member);
      throw error;
    }
  }

  /**
   * Renames the account, with the events `eventsOf` makes of it as it was in the same transaction (none
   * when the name does not change), then every copy of its name (memberships, pending invitations).
   * The rename is conditioned on the name version read, so the events name the name it replaced; copies
   * are written with the rename's version, so two overlapping renames still converge on the later one.
   * Returns false when the account does not exist.
   */
  async rename(
    accountId: string,
    name: string,
    eventsOf: (previous: Account) => readonly DomainEvent[] = () => [],
  ): Promise<boolean> {
    let version: number;
    for (let attempt = 1; ; attempt++) {
      const item = await this.table.get(keys.account(accountId));
      if (!item) return false;
      const previous = toAccount(item);
      const seen = typeof item.nameVersion === 'number' ? item.nameVersion : undefined;
      version = (seen ?? 0) + 1;
      try {
        await this.table.transactWrite([
          {
            update: keys.account(accountId),
            expression: 'SET #name = :name, nameVersion = :version',
            names: { '#name': 'name' },
            values: { ':name': name, ':version': version },
            condition:
              seen === undefined
                ? { expression: 'attribute_exists(PK) AND attribute_not_exists(nameVersion)' }
                : { expression: 'nameVersion = :seen', values: { ':seen': seen } },
          },
          ...outbox(previous.name === name ? [] : eventsOf(previous)),
        ]);
        break;
      } catch (error) {
        // Renamed (or deleted) meanwhile: read again, a few times at most (then 503: try again).
        if (!(error instanceof ConditionFailedError)) throw error;
        if (attempt >= 5) throw new ServiceUnavailableError({ retryAfterSeconds: 1, cause: error });
      }
    }
    const pk = keys.account(accountId).PK;
    const [members, invitations] = await Promise.all([
      this.table.queryPartition(pk, prefixes.member),
      this.table.queryPartition(pk, prefixes.invitation),
    ]);
    await inBatches([...members, ...invitations], async (item) => {
      try {
        await this.table.update(
          { PK: item.PK, SK: item.SK },
          {
            expression: 'SET accountName = :name, nameVersion = :version',
            values: { ':name': name, ':version': version },
          },
          {
            expression:
              'attribute_exists(PK) AND (attribute_not_exists(nameVersion) OR nameVersion < :version)',
          },
        );
      } catch (error) {
        // Gone meanwhile (left, declined) or already carrying a later rename: nothing to do.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    });
    return true;
  }

  /**
   * Deletes the account and everything under it: memberships, invitations, installation links (both
   * directions: the reverse lookup is the same item's GSI1 entry) and repository-creation records.
   * The account item goes first so nothing new can join it (invitations and acceptances check it).
   * Expired leftovers that TTL has not removed yet are invisible to reads and left to TTL.
   */
  async delete(
    accountId: string,
    eventsOf: (account: Account) => readonly DomainEvent[] = () => [],
  ): Promise<boolean> {
    // The account item goes with its events in one transaction, conditioned on the name read (the
    // events name it); a rename in between is read again.
    let removed = false;
    for (let attempt = 1; !removed; attempt++) {
      const item = await this.table.get(keys.account(accountId));
      if (!item) break;
      const account = toAccount(item);
      try {
        await this.table.transactWrite([
          {
            delete: keys.account(accountId),
            condition: {
              expression: '#name = :name',
              names: { '#name': 'name' },
              values: { ':name': account.name },
            },
          },
          ...outbox(eventsOf(account)),
        ]);
        removed = true;
      } catch (error) {
        // Renamed meanwhile: read again, a few times at most (then 503: try again).
        if (!(error instanceof ConditionFailedError)) throw error;
        if (attempt >= 5) throw new ServiceUnavailableError({ retryAfterSeconds: 1, cause: error });
      }
    }
    const pk = keys.account(accountId).PK;
    // A second sweep catches an item written by a request that read the account just before it went.
    for (let sweep = 0; sweep < 2; sweep++) {
      const items = await this.table.queryPartition(pk, '');
      await this.table.batchDelete(items.map(({ PK, SK }) => ({ PK, SK })));
    }
    return removed;
  }

  /** Shows the member's current GitHub login on every membership (logins are display data). */
  async refreshLogin(user: GitHubUser): Promise<void> {
    const items = await this.table.queryGsi1(keys.membership('', user.id).GSI1PK, prefixes.account);
    await refreshLogins(this.table, items, user.login);
  }

  private async whyRefused(accountId: string, member: Member): Promise<Error> {
    const now = await this.getMembership(accountId, member.userId);
    return now?.role === member.role ? new LastOwnerError() : new MemberChangedError();
  }
}

/** The account's owner count as a role changes from `from` to `to` (undefined: no longer a member). */
function ownerCountChange(accountId: string, from: Role | undefined, to: Role | undefined) {
  if (from === 'owner' && to !== 'owner') {
    return {
      update: keys.account(accountId),
      expression: 'SET ownerCount = ownerCount - :one',
      values: { ':one': 1 },
      condition: { expression: 'ownerCount > :one', values: { ':one': 1 } },
    };
  }
  if (to === 'owner' && from !== 'owner') {
    return {
      update: keys.account(accountId),
      expression: 'SET ownerCount = ownerCount + :one',
      values: { ':one': 1 },
      condition: { expression: 'attribute_exists(PK)' },
    };
  }
  return undefined;
}

/** A membership item; it carries the account's name (for GET /accounts and /me) and the member's login. */
export function membershipItem(
  account: Pick<Account, 'id' | 'name'>,
  user: GitHubUser,
  role: Role,
  now = new Date(),
) {
  return {
    ...keys.membership(account.id, user.id),
    accountId: account.id,
    accountName: account.name,
    userId: user.id,
    login: user.login,
    role,
    addedAt: now.toISOString(),
  };
}

/** Rewrites `login` on the items that show an older one (only if they still exist). */
export async function refreshLogins(table: Table, items: Item[], login: string): Promise<void> {
  await inBatches(
    items.filter((item) => item.login !== login),
    async (item) => {
      try {
        await table.update(
          { PK: item.PK, SK: item.SK },
          { expression: 'SET login = :login', values: { ':login': login } },
          { expression: 'attribute_exists(PK)' },
        );
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },
  );
}

async function inBatches<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  for (let index = 0; index < items.length; index += FAN_OUT) {
    await Promise.all(items.slice(index, index + FAN_OUT).map(run));
  }
}

function toAccount(item: Record<string, unknown>): Account {
  return {
    id: String(item.id),
    name: String(item.name),
    createdBy: Number(item.createdBy),
    createdAt: String(item.createdAt),
  };
}

/** The outbox writes of `events`, to put in the change's transaction. */
const outbox = (events: readonly DomainEvent[]): TransactOperation[] =>
  events.map((event) => outboxOperation(event));

function toMember(item: Record<string, unknown>): Member {
  return {
    userId: Number(item.userId),
    login: String(item.login),
    role: item.role as Role,
    addedAt: String(item.addedAt),
  };
}
