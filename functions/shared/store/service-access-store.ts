import { keys, prefixes } from './keys.js';
import type { Table } from './table.js';

export type TokenPermissionLevel = 'read' | 'write';

/**
 * An account's grant to a platform back-end (docs/token-vending.md): the IAM role(s) `principal` names
 * may ask for installation tokens on `repositories` (`owner/name`, lower-case), with at most
 * `permissions`, living at most `maxLifetimeMinutes` (null: GitHub's hour).
 */
export type ServiceAccessPolicy = {
  id: string;
  accountId: string;
  /** `arn:aws:iam::<platform account>:role/<name>`, or a prefix of one ending in `*`. */
  principal: string;
  repositories: string[];
  permissions: Record<string, TokenPermissionLevel>;
  maxLifetimeMinutes: number | null;
  createdBy: number;
  createdAt: string;
  updatedAt: string;
};

/** Service access policies (`ACCOUNT#<id>` / `SERVICE#<policyId>`), a bounded handful per account. */
export class ServiceAccessStore {
  constructor(private readonly table: Table) {}

  /** The account's policies, from its own partition (strongly consistent: a revoked grant is gone at once). */
  async list(accountId: string): Promise<ServiceAccessPolicy[]> {
    const items = await this.table.queryPartition(keys.account(accountId).PK, prefixes.serviceAccess, {
      consistent: true,
    });
    return items.map(toPolicy);
  }
}

export function toPolicy(item: Record<string, unknown>): ServiceAccessPolicy {
  return {
    id: String(item.id),
    accountId: String(item.accountId),
    principal: String(item.principal),
    repositories: Array.isArray(item.repositories) ? item.repositories.map(String) : [],
    permissions: (item.permissions ?? {}) as Record<string, TokenPermissionLevel>,
    maxLifetimeMinutes: typeof item.maxLifetimeMinutes === 'number' ? item.maxLifetimeMinutes : null,
    createdBy: Number(item.createdBy),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}
