import { randomBytes } from 'node:crypto';
import { ConditionFailedError } from '../errors.js';
import { keys, prefixes } from './keys.js';
import { ITEM_ABSENT, type Table } from './table.js';

export type Role = 'owner' | 'admin' | 'member';
export type AccountSummary = { id: string; name: string; role: Role };
export type Account = { id: string; name: string; createdBy: number; createdAt: string };
export type Member = { userId: number; login: string; role: Role; addedAt: string };

export class LastOwnerError extends Error {}

/** Platform accounts and memberships (`ACCOUNT#<id>`, reverse lookups through GSI1). */
export class AccountStore {
  constructor(private readonly table: Table) {}

  /** Creates the account with its creator as the only owner, in one transaction. */
  async create(name: string, creator: { id: number; login: string }): Promise<Account> {
    const account: Account = {
      id: randomBytes(10).toString('hex'),
      name,
      createdBy: creator.id,
      createdAt: new Date().toISOString(),
    };
    await this.table.transactWrite([
      { put: { ...keys.account(account.id), ...account, ownerCount: 1 }, condition: ITEM_ABSENT },
      { put: this.membershipItem(account, creator, 'owner'), condition: ITEM_ABSENT },
    ]);
    return account;
  }

  async get(accountId: string): Promise<Account | undefined> {
    const item = await this.table.get(keys.account(accountId));
    if (!item) return undefined;
    return {
      id: String(item.id),
      name: String(item.name),
      createdBy: Number(item.createdBy),
      createdAt: String(item.createdAt),
    };
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

  /** Adds a member; false when they already belong to the account. */
  async addMember(
    account: Account,
    user: { id: number; login: string },
    role: Exclude<Role, 'owner'>,
  ): Promise<Member | undefined> {
    const item = this.membershipItem(account, user, role);
    try {
      await this.table.put(item, ITEM_ABSENT);
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    return toMember(item);
  }

  /** Removes a member. Removing an owner is refused (LastOwnerError) when they are the last one. */
  async removeMember(accountId: string, member: Member): Promise<void> {
    if (member.role !== 'owner') {
      await this.table.delete(keys.membership(accountId, member.userId));
      return;
    }
    // The owner count moves in the same transaction, so two concurrent removals cannot leave none.
    try {
      await this.table.transactWrite([
        {
          delete: keys.membership(accountId, member.userId),
          condition: { expression: 'attribute_exists(PK)' },
        },
        {
          update: keys.account(accountId),
          expression: 'SET ownerCount = ownerCount - :one',
          values: { ':one': 1 },
          condition: { expression: 'ownerCount > :one', values: { ':one': 1 } },
        },
      ]);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new LastOwnerError();
      throw error;
    }
  }

  private membershipItem(
    account: Pick<Account, 'id' | 'name'>,
    user: { id: number; login: string },
    role: Role,
  ) {
    return {
      ...keys.membership(account.id, user.id),
      accountId: account.id,
      accountName: account.name,
      userId: user.id,
      login: user.login,
      role,
      addedAt: new Date().toISOString(),
    };
  }
}

function toMember(item: Record<string, unknown>): Member {
  return {
    userId: Number(item.userId),
    login: String(item.login),
    role: item.role as Role,
    addedAt: String(item.addedAt),
  };
}
