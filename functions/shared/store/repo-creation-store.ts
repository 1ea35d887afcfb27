import { randomUUID } from 'node:crypto';
import { ConditionFailedError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { outboxOperation } from './event-outbox.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

export type CreatedRepository = {
  fullName: string;
  htmlUrl: string;
  defaultBranch: string;
  commitSha: string | null;
};

export type RepoCreation =
  | {
      status: 'creating';
      requestHash: string;
      /**
       * The commit `auto_init` put on the new repository's default branch, read right after creating
       * it: the only commit the initial files may be placed on top of.
       */
      placeholderSha?: string;
    }
  | { status: 'created'; requestHash: string; result: CreatedRepository };

/** Who works on a creation right now: the id releases it, nobody else's. */
export type CreationLease = { id: string; resumed: boolean };

/** Creations in progress stay a day, long enough for any client to retry. */
const CREATING_TTL_SECONDS = 24 * 3600;
/**
 * One request works on a creation at a time. Longer than the create-repo Lambda's timeout (29 s), so a
 * live request never loses it; a crashed one frees it when it runs out.
 */
export const CREATION_LEASE_SECONDS = 60;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Remembers a repository creation under the account, so that the same request retried after a partial
 * failure finishes the job (commits into the repository it created) instead of failing or duplicating.
 */
export class RepoCreationStore {
  constructor(private readonly table: Table) {}

  async get(accountId: string, installationId: number, name: string): Promise<RepoCreation | undefined> {
    return toCreation(await this.table.get(keys.repoCreation(accountId, installationId, name)));
  }

  /**
   * Claims the name for this request (a new creation), or takes over this same request's unfinished
   * creation when nobody is working on it. Undefined when another request holds it.
   */
  async acquire(
    accountId: string,
    installationId: number,
    name: string,
    requestHash: string,
  ): Promise<CreationLease | undefined> {
    const key = keys.repoCreation(accountId, installationId, name);
    const id = randomUUID();
    const now = nowSeconds();
    try {
      await this.table.put(
        {
          ...key,
          status: 'creating',
          requestHash,
          leaseId: id,
          leaseUntil: now + CREATION_LEASE_SECONDS,
          startedAt: new Date().toISOString(),
          expiresAt: now + CREATING_TTL_SECONDS,
        },
        // An expired leftover TTL has not deleted yet counts as absent.
        { expression: 'attribute_not_exists(PK) OR expiresAt < :now', values: { ':now': now } },
      );
      return { id, resumed: false };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    try {
      await this.table.update(
        key,
        {
          expression: 'SET leaseId = :id, leaseUntil = :until',
          values: { ':id': id, ':until': now + CREATION_LEASE_SECONDS },
        },
        {
          expression:
            '#status = :creating AND requestHash = :hash AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          names: { '#status': 'status' },
          values: { ':creating': 'creating', ':hash': requestHash, ':now': now },
        },
      );
      return { id, resumed: true };
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  /** Lets the next try of the same request resume at once (after a failure this request answered). */
  async release(accountId: string, installationId: number, name: string, lease: CreationLease) {
    try {
      await this.table.update(
        keys.repoCreation(accountId, installationId, name),
        { expression: 'REMOVE leaseId, leaseUntil' },
        { expression: 'leaseId = :id', values: { ':id': lease.id } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * Records the placeholder commit of the creation `requestHash` holds, once: the first value recorded
   * stays. Returns the creation as it is afterwards (with whichever placeholder won), or undefined when
   * the creation is no longer this request's.
   */
  async recordPlaceholder(
    accountId: string,
    installationId: number,
    name: string,
    requestHash: string,
    placeholderSha: string,
  ): Promise<RepoCreation | undefined> {
    try {
      // Recorded: the update answers the record as it now is (no read after it).
      const recorded = await this.table.update(
        keys.repoCreation(accountId, installationId, name),
        { expression: 'SET placeholderSha = :sha', values: { ':sha': placeholderSha } },
        {
          expression:
            'attribute_exists(PK) AND #status = :creating AND requestHash = :hash AND attribute_not_exists(placeholderSha)',
          names: { '#status': 'status' },
          values: { ':creating': 'creating', ':hash': requestHash },
        },
      );
      return toCreation(recorded);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const now = await this.get(accountId, installationId, name);
    return now?.requestHash === requestHash ? now : undefined;
  }

  /**
   * Records the creation done, with `events` (repository.created) in the same transaction: once per
   * creation, as a record already done is not finished again (false then, nothing written).
   */
  async finish(
    accountId: string,
    installationId: number,
    name: string,
    requestHash: string,
    result: CreatedRepository,
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        {
          put: {
            ...keys.repoCreation(accountId, installationId, name),
            status: 'created',
            requestHash,
            result,
            finishedAt: new Date().toISOString(),
          },
          condition: {
            expression: 'attribute_not_exists(PK) OR #status <> :created',
            names: { '#status': 'status' },
            values: { ':created': 'created' },
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

  /** Gives the name up after GitHub refused it, unless the creation has passed to another request. */
  async abandon(accountId: string, installationId: number, name: string, lease: CreationLease) {
    try {
      await this.table.delete(keys.repoCreation(accountId, installationId, name), {
        expression: 'leaseId = :id',
        values: { ':id': lease.id },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * Drops another request's unfinished creation that nobody is working on (GitHub never created that
   * repository), so a different request may take the name. False when it is being worked on.
   */
  async abandonIdle(accountId: string, installationId: number, name: string, requestHash: string) {
    try {
      await this.table.delete(keys.repoCreation(accountId, installationId, name), {
        expression:
          '#status = :creating AND requestHash = :hash AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
        names: { '#status': 'status' },
        values: { ':creating': 'creating', ':hash': requestHash, ':now': nowSeconds() },
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }
}

/** The creation record as stored (an item from a read, or an update's answer). */
function toCreation(item: Record<string, unknown> | undefined): RepoCreation | undefined {
  if (!item) return undefined;
  if (item.status === 'created') {
    return {
      status: 'created',
      requestHash: String(item.requestHash),
      result: item.result as CreatedRepository,
    };
  }
  return {
    status: 'creating',
    requestHash: String(item.requestHash),
    ...(typeof item.placeholderSha === 'string' ? { placeholderSha: item.placeholderSha } : {}),
  };
}
