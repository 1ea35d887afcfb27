import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import { ITEM_ABSENT, type Table } from './table.js';

export type CreatedRepository = {
  fullName: string;
  htmlUrl: string;
  defaultBranch: string;
  commitSha: string | null;
};

export type RepoCreation =
  | { status: 'creating'; requestHash: string }
  | { status: 'created'; requestHash: string; result: CreatedRepository };

/** Creations in progress stay a day, long enough for any client to retry. */
const CREATING_TTL_SECONDS = 24 * 3600;

/**
 * Remembers a repository creation under the account, so that the same request retried after a partial
 * failure finishes the job (commits into the repository it created) instead of failing or duplicating.
 */
export class RepoCreationStore {
  constructor(private readonly table: Table) {}

  async get(accountId: string, installationId: number, name: string): Promise<RepoCreation | undefined> {
    const item = await this.table.get(keys.repoCreation(accountId, installationId, name));
    if (!item) return undefined;
    return item.status === 'created'
      ? { status: 'created', requestHash: String(item.requestHash), result: item.result as CreatedRepository }
      : { status: 'creating', requestHash: String(item.requestHash) };
  }

  /** Claims the name for this request; false when another creation already holds it. */
  async begin(
    accountId: string,
    installationId: number,
    name: string,
    requestHash: string,
  ): Promise<boolean> {
    try {
      await this.table.put(
        {
          ...keys.repoCreation(accountId, installationId, name),
          status: 'creating',
          requestHash,
          startedAt: new Date().toISOString(),
          expiresAt: Math.floor(Date.now() / 1000) + CREATING_TTL_SECONDS,
        },
        ITEM_ABSENT,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async finish(
    accountId: string,
    installationId: number,
    name: string,
    requestHash: string,
    result: CreatedRepository,
  ) {
    await this.table.put({
      ...keys.repoCreation(accountId, installationId, name),
      status: 'created',
      requestHash,
      result,
      finishedAt: new Date().toISOString(),
    });
  }

  async abandon(accountId: string, installationId: number, name: string): Promise<void> {
    await this.table.delete(keys.repoCreation(accountId, installationId, name));
  }
}
