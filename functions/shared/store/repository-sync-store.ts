import { ConditionFailedError } from '../errors.js';
import { keys, prefixes } from './keys.js';
import type { Item, Table } from './table.js';

/** What GitHub last said of the installation's primary rate limit (its `x-ratelimit-*` headers). */
export type RateBudget = {
  remaining: number;
  limit: number;
  /** Epoch seconds at which the window resets. */
  resetAt: number;
};

/**
 * A pass in progress: every page of `GET /installation/repositories` read (or confirmed unchanged by a
 * 304) in order; what it still has to read. Pages before `nextPage` are done for this pass.
 */
export type SyncPass = {
  id: string;
  startedAt: string;
  nextPage: number;
  /** The last page GitHub's Link header named so far (the pass reads up to here). */
  lastPage: number;
  /** Some page answered 200 (changed) in this pass: the sweep must compare ids with the index. */
  changed: boolean;
  /** Passes restarted because the pages read did not add up (the list moved under the pass). */
  restarts: number;
};

/** What one run did, kept on the state item for operators. */
export type SyncRunSummary = {
  startedAt: string;
  outcome: SyncOutcome;
  /** GitHub requests made (token mints excluded), and how many answered 304. */
  requests: number;
  notModified: number;
  pages: number;
  upserted: number;
  removed: number;
  /** Why the run stopped before the pass was complete (time, budget, throttled, unreadable). */
  stoppedBy?: string;
  resumeAfter?: string;
  /** Rate-limit answers waited out within the run (SYNC_LIMITS.maxThrottleWaitMs). */
  throttledWaits?: number;
};

export type SyncOutcome =
  'completed' | 'checkpointed' | 'deferred' | 'busy' | 'suspended' | 'unavailable' | 'failed';

export type SyncState = {
  pass?: SyncPass;
  budget?: RateBudget;
  /** Epoch ms before which a run does not call GitHub (rate limit reset, retry-after). */
  resumeAfter?: number;
  /** ISO time of the last pass that compared every indexed id with GitHub's list. */
  verifiedAt?: string;
  lastRun?: SyncRunSummary;
};

/** A page as last read: its validator and what was on it (so a 304 still tells which ids GitHub lists). */
export type StoredPage = {
  page: number;
  etag: string;
  ids: number[];
  totalCount: number;
};

type StateItem = Item & SyncState & { leaseId?: string; leaseUntil?: number };

/**
 * The repository sync job's own records (never the index itself: RepositoryIndexStore), in a partition
 * per installation, `REPOSYNC#<id>`: one state item (checkpoint, last rate-limit reading, lease, last
 * run) and one item per page of GitHub's list (its ETag and repository ids), so a later pass can ask
 * "changed?" page by page and still know the whole list when every answer is 304.
 */
export class RepositorySyncStore {
  constructor(private readonly table: Table) {}

  async state(installationId: number): Promise<SyncState> {
    const item = await this.table.get<StateItem>(keys.repositorySync(installationId));
    if (!item) return {};
    const { pass, budget, resumeAfter, verifiedAt, lastRun } = item;
    return {
      ...(pass ? { pass } : {}),
      ...(budget ? { budget } : {}),
      ...(typeof resumeAfter === 'number' ? { resumeAfter } : {}),
      ...(typeof verifiedAt === 'string' ? { verifiedAt } : {}),
      ...(lastRun ? { lastRun } : {}),
    };
  }

  /**
   * Takes the installation's lease until `untilMs`: false when another run holds it. One run at a time
   * per installation, so two runs never read the same pages twice nor write the index concurrently.
   */
  async lease(installationId: number, leaseId: string, nowMs: number, untilMs: number): Promise<boolean> {
    try {
      await this.table.update(
        keys.repositorySync(installationId),
        {
          expression: 'SET leaseId = :id, leaseUntil = :until, installationId = :installation',
          values: { ':id': leaseId, ':until': untilMs, ':installation': installationId },
        },
        {
          expression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseId = :id',
          values: { ':now': nowMs },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Saves where the run left off and releases the lease (only if still ours). */
  async save(
    installationId: number,
    leaseId: string,
    state: SyncState & { pass: SyncPass | undefined },
  ): Promise<void> {
    const set: string[] = ['lastRun = :run'];
    const remove: string[] = ['leaseId', 'leaseUntil'];
    const values: Record<string, unknown> = { ':run': state.lastRun, ':lease': leaseId };
    const field = (name: keyof SyncState, value: unknown) => {
      if (value === undefined) remove.push(name);
      else {
        set.push(`${name} = :${name}`);
        values[`:${name}`] = value;
      }
    };
    field('pass', state.pass);
    field('budget', state.budget);
    field('resumeAfter', state.resumeAfter);
    if (state.verifiedAt !== undefined) field('verifiedAt', state.verifiedAt);
    try {
      await this.table.update(
        keys.repositorySync(installationId),
        { expression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`, values },
        { expression: 'leaseId = :lease' },
      );
    } catch (error) {
      // The lease lapsed and another run took over: its record wins.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** Every stored page (validator and ids), in page order. */
  async pages(installationId: number): Promise<StoredPage[]> {
    const items = await this.table.queryPartition<Item & StoredPage>(
      keys.repositorySync(installationId).PK,
      prefixes.repositorySyncPage,
    );
    return items
      .map(({ page, etag, ids, totalCount }) => ({ page, etag, ids, totalCount }))
      .sort((a, b) => a.page - b.page);
  }

  /** The ETags of pages `from`..`to` (one BatchGet), by page number. */
  async etags(installationId: number, from: number, to: number): Promise<Map<number, string>> {
    const wanted = [];
    for (let page = from; page <= to; page++) wanted.push(keys.repositorySyncPage(installationId, page));
    const items = await this.table.batchGet<Item & StoredPage>(wanted);
    return new Map(items.map((item) => [item.page, item.etag]));
  }

  async putPage(installationId: number, page: StoredPage): Promise<void> {
    await this.table.put({ ...keys.repositorySyncPage(installationId, page.page), ...page });
  }

  /** Forgets pages past the end of the list (it got shorter), or every page (`afterPage` 0). */
  async dropPages(installationId: number, afterPage: number): Promise<void> {
    const stale = (await this.pages(installationId)).filter((page) => page.page > afterPage);
    await this.table.batchDelete(stale.map((page) => keys.repositorySyncPage(installationId, page.page)));
  }
}
