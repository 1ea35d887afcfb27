import { randomUUID } from 'node:crypto';
import { RequestError } from '@octokit/request-error';
import { AppError, ServiceUnavailableError, UpstreamError } from '../shared/errors.js';
import type { GitHubRequest } from '../shared/github/github.js';
import { toUpstreamError } from '../shared/github/github.js';
import { logger } from '../shared/logger.js';
import {
  fingerprint,
  type IndexedRepository,
  type RepositoryIndexStore,
} from '../shared/store/repository-index-store.js';
import type {
  RateBudget,
  RepositorySyncStore,
  StoredPage,
  SyncPass,
  SyncRunSummary,
  SyncState,
} from '../shared/store/repository-sync-store.js';
import { allowance, budgetOf, newerBudget, throttledFor } from './budget.js';
import { PER_PAGE, readPage, type GitHubRepository, type PageAnswer } from './list-page.js';

/** What one run may do (docs/repository-index.md "Reconciler"). */
export const SYNC_LIMITS = {
  /** GitHub requests in flight at once for one installation. */
  maxInFlight: 10,
  /** Share of the installation's hourly limit the sync never spends (left for the service's users). */
  reserveRatio: 0.2,
  /** A run stops and checkpoints when less than this is left of its invocation. */
  marginMs: 30_000,
  /** Even when every page answered 304, every indexed id is compared with GitHub's list this often. */
  verifyEveryMs: 24 * 3600_000,
  /** A pass whose pages do not add up (the list moved under it) is read again at most this often at once. */
  maxRestarts: 1,
  /**
   * A rate-limit answer asking to wait at most this long is waited out within the run (GitHub's advice:
   * wait `retry-after`, then go on); a longer wait, or one the invocation has no time for, checkpoints.
   * Installations syncing at once share the App's secondary limit (900 points a minute), so a resync of
   * several large ones meets it by design.
   */
  maxThrottleWaitMs: 65_000,
};

export type SyncLimits = typeof SYNC_LIMITS;

/** The index writes the sync makes (RepositoryIndexStore). */
export type RepositoryIndex = Pick<
  RepositoryIndexStore,
  'upsert' | 'remove' | 'indexedIds' | 'states' | 'setState'
>;

export type SyncDependencies = {
  index: RepositoryIndex;
  store: RepositorySyncStore;
  github: GitHubRequest;
  /** Runs a call with the installation's `metadata: read` token (app-auth.ts installationTokenSession). */
  withToken: <T>(call: (token: string) => Promise<T>) => Promise<T>;
  /** The invocation's remaining time (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  now?: () => number;
  /** Waits out a short rate-limit answer (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  limits?: SyncLimits;
};

/** GitHub's repository as the index keeps it. */
export function toIndexed(installationId: number, repo: GitHubRepository): IndexedRepository {
  return {
    id: repo.id,
    installationId,
    owner: repo.owner.login,
    name: repo.name,
    fullName: repo.full_name,
    private: repo.private,
    visibility: repo.visibility ?? (repo.private ? 'private' : 'public'),
    defaultBranch: repo.default_branch ?? 'main',
    archived: repo.archived ?? false,
    htmlUrl: repo.html_url,
    updatedAt: repo.updated_at ?? null,
  };
}

/** Why a run stopped early; each becomes a checkpoint the next run continues from. */
class Stop extends Error {
  constructor(
    readonly reason: 'time' | 'budget' | 'throttled' | 'unreadable' | 'github' | 'inconsistent' | 'table',
    readonly resumeAfterMs?: number,
  ) {
    super(reason);
  }
}

/** GitHub no longer serves the installation (terminal for this run: the status says why). */
class Gone extends Error {
  constructor(readonly status: 'suspended' | 'unavailable') {
    super(status);
  }
}

function classify(error: unknown, nowMs: number): Stop | Gone {
  if (error instanceof AppError && error.code === 'installation_suspended') return new Gone('suspended');
  if (error instanceof RequestError && error.response) {
    const headers = error.response.headers as Record<string, string | number | undefined>;
    const wait = throttledFor(error.status, headers);
    if (wait !== undefined) return new Stop('throttled', nowMs + wait * 1000);
    if (error.status === 403 && /suspended/i.test(error.message)) return new Gone('suspended');
    // Uninstalled: the token mint (or the list) is a 404.
    if (error.status === 404) return new Gone('unavailable');
  }
  const upstream = error instanceof UpstreamError ? error : toUpstreamError(error);
  if (upstream?.code === 'github_rate_limited') {
    const seconds = Number(upstream.headers['Retry-After'] ?? 60);
    return new Stop('throttled', nowMs + (Number.isFinite(seconds) ? seconds : 60) * 1000);
  }
  if (upstream || error instanceof RequestError) return new Stop('github');
  // The table, or a bug: the run fails (its checkpoint is kept) and the alarm sees it.
  throw error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A table operation, tried again while DynamoDB is busy (throttled, timed out: the table adapter's
 * ServiceUnavailableError, after the SDK's own retries): a burst of index writes outlasts a blip. Still
 * busy after that: the run checkpoints (Stop 'table') rather than failing, and the next run continues.
 */
async function durable<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      if (attempt >= 3) throw new Stop('table');
      await sleep(250 * 2 ** attempt);
    }
  }
}

const newPass = (nowMs: number, restarts = 0): SyncPass => ({
  id: randomUUID(),
  startedAt: new Date(nowMs).toISOString(),
  nextPage: 1,
  lastPage: 1,
  changed: false,
  restarts,
});

/**
 * One run of the reconciler for one installation: reads GitHub's list of the installation's
 * repositories page by page with conditional requests (a 304 costs no budget), at most `maxInFlight`
 * at once, writes to the index only what differs from it (by fingerprint), and after a complete pass
 * removes what GitHub no longer lists. It never spends the installation's budget below the reserve,
 * and stops in time for its invocation: either way it leaves a checkpoint (the pass, the ETags and ids
 * of the pages read) that the next run continues from. One run at a time per installation (a lease).
 */
export async function syncInstallation(
  installationId: number,
  deps: SyncDependencies,
): Promise<SyncRunSummary> {
  const limits = deps.limits ?? SYNC_LIMITS;
  const clock = deps.now ?? Date.now;
  const startMs = clock();
  const wait = deps.sleep ?? sleep;
  const summary: SyncRunSummary = {
    startedAt: new Date(startMs).toISOString(),
    outcome: 'completed',
    requests: 0,
    notModified: 0,
    pages: 0,
    upserted: 0,
    removed: 0,
  };
  const leaseId = randomUUID();
  const leaseUntil = startMs + Math.max(deps.remainingMs(), 60_000) + 60_000;
  if (!(await deps.store.lease(installationId, leaseId, startMs, leaseUntil)))
    return { ...summary, outcome: 'busy' };

  const state: SyncState = await deps.store.state(installationId).catch(async (error: unknown) => {
    await deps.store.save(installationId, leaseId, { pass: undefined, lastRun: summary }).catch(() => {});
    throw error;
  });
  let pass = state.pass ?? newPass(startMs);
  let budget: RateBudget | undefined = state.budget;
  let verifiedAt = state.verifiedAt;
  const save = (resumeAfter?: number) =>
    deps.store.save(installationId, leaseId, {
      pass,
      ...(budget ? { budget } : {}),
      ...(resumeAfter === undefined ? {} : { resumeAfter }),
      ...(verifiedAt === undefined ? {} : { verifiedAt }),
      lastRun: summary,
    });

  try {
    if (state.resumeAfter !== undefined && state.resumeAfter > startMs) {
      summary.outcome = 'deferred';
      summary.resumeAfter = new Date(state.resumeAfter).toISOString();
      await save(state.resumeAfter);
      return summary;
    }
    const stored = new Map(
      (await durable(() => deps.store.pages(installationId))).map((page) => [page.page, page]),
    );
    const [indexState] = await durable(() => deps.index.states([installationId]));
    let indexed: Promise<Map<number, string>> | undefined;
    const fingerprints = () => (indexed ??= durable(() => deps.index.indexedIds(installationId)));
    let revived = false;

    const apply = async (answer: PageAnswer): Promise<void> => {
      if (answer.kind === 'not_modified') {
        summary.notModified++;
        const page = stored.get(answer.page);
        // A 304 to a page we hold no list for cannot be: read it afresh next time.
        if (!page) throw new Stop('unreadable');
        // Unchanged, so is its total_count: the pages it spans are still the list's pages.
        pass.lastPage = Math.max(pass.lastPage, Math.ceil(page.totalCount / PER_PAGE));
        return;
      }
      if (answer.kind === 'unreadable') {
        logger.warn('A page of the installation’s repositories could not be read', {
          installationId,
          page: answer.page,
        });
        throw new Stop('unreadable');
      }
      pass.changed = true;
      pass.lastPage = Math.max(pass.lastPage, answer.lastPage);
      // An empty page past the first: the list got shorter while the pass ran.
      if (answer.repositories.length === 0 && answer.page > 1)
        pass.lastPage = Math.min(pass.lastPage, answer.page - 1);
      const known = await fingerprints();
      const changed = answer.repositories
        .map((repo) => toIndexed(installationId, repo))
        .filter((repo) => known.get(repo.id) !== fingerprint(repo));
      // The index first, the ETag after: a page answered 304 later is one the index already holds.
      if (changed.length > 0) {
        // As of when GitHub answered: a deletion an event reported since then is not undone (the
        // store also skips what is already there, or older than what a later event wrote).
        await durable(() => deps.index.upsert(installationId, changed, { observedAt: answer.askedAt }));
        for (const repo of changed) known.set(repo.id, fingerprint(repo));
        summary.upserted += changed.length;
      }
      const page: StoredPage = {
        page: answer.page,
        etag: answer.etag ?? '',
        ids: answer.repositories.map((repo) => repo.id),
        totalCount: answer.totalCount,
      };
      await durable(() => deps.store.putPage(installationId, page));
      stored.set(page.page, page);
    };

    /** Reads pages from pass.nextPage, a batch at a time, until the pass is read or a Stop. */
    const readPass = async () => {
      while (pass.nextPage <= pass.lastPage) {
        const now = clock();
        if (deps.remainingMs() < limits.marginMs) throw new Stop('time');
        const allowed = allowance(budget, limits.reserveRatio, Math.floor(now / 1000), limits.maxInFlight);
        if (allowed <= 0) throw new Stop('budget', (budget?.resetAt ?? 0) * 1000 + 1000);
        const last = Math.min(pass.lastPage, pass.nextPage + allowed - 1);
        const numbers = Array.from({ length: last - pass.nextPage + 1 }, (_, i) => pass.nextPage + i);
        const answers = await Promise.allSettled(
          numbers.map((page) =>
            deps.withToken((token) =>
              readPage(deps.github, token, page, stored.get(page)?.etag || undefined),
            ),
          ),
        );
        summary.requests += numbers.length;
        // Every answer's reading first (also those after a failure), then the pages in order.
        for (const answer of answers) {
          const headers =
            answer.status === 'fulfilled'
              ? answer.value.headers
              : answer.reason instanceof RequestError
                ? (answer.reason.response?.headers as Record<string, string | number | undefined>)
                : undefined;
          if (headers) budget = newerBudget(budget, budgetOf(headers));
        }
        for (const answer of answers) {
          if (answer.status === 'rejected') {
            const stop = classify(answer.reason, clock());
            const waitMs =
              stop instanceof Stop && stop.reason === 'throttled' && stop.resumeAfterMs
                ? stop.resumeAfterMs - clock()
                : Infinity;
            // Short enough to wait out here: the pages after this one are asked again (a 304 is free).
            if (waitMs <= limits.maxThrottleWaitMs && deps.remainingMs() - waitMs > limits.marginMs) {
              summary.throttledWaits = (summary.throttledWaits ?? 0) + 1;
              await wait(Math.max(0, waitMs));
              break;
            }
            throw stop;
          }
          await apply(answer.value);
          if (!revived && indexState && indexState.status !== 'ok' && indexState.status !== 'syncing') {
            // Readable again (unsuspended, reinstalled): the status says so before the pass ends.
            revived = true;
            await deps.index.setState(installationId, {
              status: indexState.syncedAt === null ? 'syncing' : 'ok',
            });
          }
          summary.pages++;
          pass.nextPage = answer.value.page + 1;
        }
      }
    };

    for (;;) {
      await readPass();
      if (deps.remainingMs() < limits.marginMs) throw new Stop('time');
      const pages = Array.from({ length: pass.lastPage }, (_, i) => stored.get(i + 1));
      const seen = new Set<number>();
      const totals = new Set<number>();
      for (const page of pages) {
        for (const id of page?.ids ?? []) seen.add(id);
        if (page) totals.add(page.totalCount);
      }
      // Pages read at different moments add up only if the list did not move meanwhile (every page
      // carries GitHub's total_count, a 304 its stored one): otherwise a shifted repository could be
      // missed and swept. Read the pass again (unchanged pages are 304s), or leave it to the next run.
      const consistent = pages.every(Boolean) && totals.size === 1 && [...totals][0] === seen.size;
      if (!consistent) {
        if (pass.restarts >= limits.maxRestarts) {
          pass = newPass(clock(), 0);
          throw new Stop('inconsistent');
        }
        pass = { ...newPass(clock(), pass.restarts + 1), changed: pass.changed };
        continue;
      }
      const count = indexState?.repositoryCount;
      const due = verifiedAt === undefined || clock() - Date.parse(verifiedAt) >= limits.verifyEveryMs;
      if (pass.changed || count !== seen.size || due) {
        const known = await fingerprints();
        const gone = [...known.keys()].filter((id) => !seen.has(id));
        if (gone.length > 0) {
          await durable(() => deps.index.remove(installationId, gone));
          summary.removed += gone.length;
        }
        // Listed by GitHub on a page answered 304, yet not indexed (removed by an event that came late):
        // forget those pages' ETags so the next pass reads them in full.
        const missing = new Set([...seen].filter((id) => !known.has(id)));
        for (const page of pages) {
          if (page && page.ids.some((id) => missing.has(id))) {
            await durable(() => deps.store.putPage(installationId, { ...page, etag: '' }));
          }
        }
        verifiedAt = new Date(clock()).toISOString();
      }
      await durable(() => deps.store.dropPages(installationId, pass.lastPage));
      await durable(() =>
        deps.index.setState(installationId, { status: 'ok', syncedAt: new Date(clock()).toISOString() }),
      );
      break;
    }
    summary.outcome = 'completed';
    await deps.store.save(installationId, leaseId, {
      pass: undefined,
      ...(budget ? { budget } : {}),
      ...(verifiedAt === undefined ? {} : { verifiedAt }),
      lastRun: summary,
    });
    return summary;
  } catch (error) {
    if (error instanceof Stop) {
      summary.outcome = 'checkpointed';
      summary.stoppedBy = error.reason;
      if (error.resumeAfterMs !== undefined)
        summary.resumeAfter = new Date(error.resumeAfterMs).toISOString();
      await save(error.resumeAfterMs);
      return summary;
    }
    if (error instanceof Gone) {
      summary.outcome = error.status;
      await deps.index.setState(installationId, { status: error.status });
      // A new pass starts from scratch once GitHub serves the installation again.
      pass = newPass(clock());
      await deps.store.dropPages(installationId, 0);
      await save();
      return summary;
    }
    summary.outcome = 'failed';
    await save().catch(() => undefined);
    throw error;
  }
}
