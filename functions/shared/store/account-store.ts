import { keys, prefixes } from './keys.js';
import type { Table } from './table.js';

export type Role = 'owner' | 'admin' | 'member';
export type AccountSummary = { id: string; name: string; role: Role };

/** Platform accounts and memberships (`ACCOUNT#<id>`, reverse lookups through GSI1). */
export class AccountStore {
  constructor(private readonly table: Table) {}

  /** The accounts a user belongs to, from their memberships (GSI1: `USER#<id>` / `ACCOUNT#…`). */
  async listForUser(userId: number): Promise<AccountSummary[]> {
    const memberships = await this.table.queryGsi1(keys.membership('', userId).GSI1PK, prefixes.account);
    return memberships
      .map((item) => ({
        id: String(item.accountId),
        name: String(item.accountName),
        role: item.role as Role,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
