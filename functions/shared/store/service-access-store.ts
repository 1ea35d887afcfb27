import { ConditionFailedError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { outboxOperation } from './event-outbox.js';
import { keys, prefixes } from './keys.js';
import { ITEM_ABSENT, type Table } from './table.js';

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

/** A stored policy and the version its writes are conditioned on (each write adds one). */
export type StoredPolicy = { policy: ServiceAccessPolicy; version: number };

/** Why a new policy was not written (nothing was). */
export type CreateRefusal = 'account_gone' | 'limit_reached';

/**
 * The account item counts its policies (`serviceAccessCount`): the cap holds under concurrent creations
 * because each one moves the count in its own transaction, conditioned on the count read by DynamoDB.
 */
const COUNT = 'serviceAccessCount';

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

  /** One policy and its version (strongly consistent), or undefined. */
  async get(accountId: string, policyId: string): Promise<StoredPolicy | undefined> {
    const item = await this.table.get(keys.serviceAccess(accountId, policyId));
    return item ? { policy: toPolicy(item), version: Number(item.version ?? 0) } : undefined;
  }

  /**
   * Writes a new policy with `events` (the outbox) in one transaction that also counts it on the
   * account item: refused, with nothing written, when the account is gone or already has `max`.
   */
  async create(
    policy: ServiceAccessPolicy,
    max: number,
    events: readonly DomainEvent[] = [],
  ): Promise<{ created: true } | { created: false; refusal: CreateRefusal }> {
    try {
      await this.table.transactWrite([
        {
          update: keys.account(policy.accountId),
          expression: 'ADD #count :one',
          names: { '#count': COUNT },
          values: { ':one': 1 },
          condition: {
            expression: 'attribute_exists(PK) AND (attribute_not_exists(#count) OR #count < :max)',
            names: { '#count': COUNT },
            values: { ':max': max },
          },
        },
        { put: policyItem(policy, 1), condition: ITEM_ABSENT },
        ...events.map((event) => outboxOperation(event)),
      ]);
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError) || !error.failedOperations.includes(0)) throw error;
    }
    // Which of the account item's conditions failed: it is gone, or at the cap.
    const account = await this.table.get(keys.account(policy.accountId));
    return { created: false, refusal: account ? 'limit_reached' : 'account_gone' };
  }

  /**
   * Replaces the policy with `next` and writes `events`, only over the version read (`expected`):
   * false, nothing written, when it was changed or deleted meanwhile.
   */
  async replace(
    next: ServiceAccessPolicy,
    expected: number,
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        {
          put: policyItem(next, expected + 1),
          condition: { expression: 'version = :seen', values: { ':seen': expected } },
        },
        ...events.map((event) => outboxOperation(event)),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError && error.failedOperations.includes(0)) return false;
      throw error;
    }
  }

  /**
   * Deletes the policy as read (`expected` version) with `events`, and counts it off the account item:
   * false, nothing written, when it was changed or deleted meanwhile, or the account is gone.
   */
  async delete(
    accountId: string,
    policyId: string,
    expected: number,
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        {
          delete: keys.serviceAccess(accountId, policyId),
          condition: { expression: 'version = :seen', values: { ':seen': expected } },
        },
        // Conditioned on the account item: an update would otherwise create it again after a deletion.
        {
          update: keys.account(accountId),
          expression: 'ADD #count :minusOne',
          names: { '#count': COUNT },
          values: { ':minusOne': -1 },
          condition: { expression: 'attribute_exists(PK)' },
        },
        ...events.map((event) => outboxOperation(event)),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError && error.failedOperations.some((index) => index < 2))
        return false;
      throw error;
    }
  }
}

function policyItem(policy: ServiceAccessPolicy, version: number) {
  return { ...keys.serviceAccess(policy.accountId, policy.id), ...policy, version };
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
