import { randomUUID } from 'node:crypto';
import { logger } from '../shared/logger.js';
import type { RedeliveryRunSummary, RedeliveryStore } from '../shared/store/redelivery-store.js';
import type { AppDeliveries, DeliveryAttempt } from './app-deliveries.js';
import { failedDeliveries, type FailedDelivery } from './failed-deliveries.js';

/** What one run may do (docs/how-it-works.md "Automatic redelivery"). */
export const REDELIVERY_LIMITS = {
  /** Pages of 100 attempts read per run. */
  maxPages: 20,
  /** Redeliveries asked of GitHub per run; the rest wait for the next run. */
  maxRedeliveries: 100,
  /** A delivery redelivered this often without success is left to an operator (logged as an error). */
  maxPerDelivery: 20,
  /** GitHub redelivers attempts of the past 3 days only. */
  lookbackMs: 3 * 24 * 3600_000,
  /** The next run reads from this long before the newest attempt seen: GitHub may list one late. */
  overlapMs: 5 * 60_000,
  /**
   * A claim holds the delivery while its run asks GitHub (one request, 8 s at most): a claim whose
   * redelivery never went out (the run died, or the claim's answer was lost) lapses before the next run.
   */
  claimHoldMs: 30_000,
  /** Once GitHub accepted the redelivery, the claim holds this long: GitHub may list the new attempt late. */
  holdMs: 10 * 60_000,
  /** Redeliveries asked at once. */
  concurrency: 4,
};

export type RedeliveryLimits = typeof REDELIVERY_LIMITS;

/** Reads attempts newest first, by cursor, back to `since` or the page limit. */
async function readAttempts(github: AppDeliveries, sinceMs: number, maxPages: number) {
  const attempts: DeliveryAttempt[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await github.page(cursor);
    pages++;
    const fresh = page.attempts.filter((attempt) => Date.parse(attempt.delivered_at) >= sinceMs);
    attempts.push(...fresh);
    if (fresh.length < page.attempts.length || page.next === undefined) return { attempts, pages, all: true };
    if (pages >= maxPages) return { attempts, pages, all: false };
    cursor = page.next;
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One run of the automatic redelivery (GitHub's "Handling failed webhook deliveries"): read the App's
 * attempts since the checkpoint, and ask GitHub to redeliver every failed delivery that has no
 * successful attempt and that the service has not processed since. Idempotent: a failed attempt is
 * claimed on its delivery record before it is redelivered, so overlapping runs redeliver it once; what
 * was redelivered is recorded there and on the run record. Bounded by REDELIVERY_LIMITS.
 *
 * Nothing is lost: the checkpoint never passes a failed delivery that is not resolved (processed since,
 * or given up after `maxPerDelivery` redeliveries), so the next run reads it again, and a run is
 * `complete` only when it read everything and found nothing left to do (nothing redelivered, held,
 * deferred or failed to handle).
 */
export async function redeliverFailedDeliveries(options: {
  github: AppDeliveries;
  store: RedeliveryStore;
  now?: () => number;
  limits?: RedeliveryLimits;
}): Promise<RedeliveryRunSummary> {
  const { github, store } = options;
  const limits = options.limits ?? REDELIVERY_LIMITS;
  const now = (options.now ?? Date.now)();
  const runId = randomUUID();
  const checkpoint = await store.checkpoint();
  const sinceMs = Math.max(now - limits.lookbackMs, checkpoint === undefined ? 0 : Date.parse(checkpoint));
  const read = await readAttempts(github, sinceMs, limits.maxPages);
  const failed = failedDeliveries(read.attempts);

  const redelivered: string[] = [];
  /** Failed deliveries this run did not see resolved: the checkpoint stays before the oldest. */
  const unresolved: FailedDelivery[] = [];
  let processed = 0;
  let skipped = 0;
  let givenUp = 0;
  let errors = 0;
  let budget = limits.maxRedeliveries;
  let deferred = 0;
  await eachLimited(failed, limits.concurrency, async (delivery: FailedDelivery) => {
    const { guid, attemptId } = delivery;
    try {
      const state = await store.state(guid);
      if (state.processed) {
        processed++;
        return;
      }
      if (state.redeliveries >= limits.maxPerDelivery) {
        givenUp++;
        logger.error('Webhook delivery keeps failing: redeliver it by hand once fixed', {
          deliveryId: guid,
          redeliveries: state.redeliveries,
        });
        return;
      }
      unresolved.push(delivery);
      if (budget <= 0) {
        deferred++;
        return;
      }
      budget--;
      if (!(await store.claim(guid, attemptId, runId, now, limits.claimHoldMs))) {
        skipped++;
        return;
      }
      try {
        await github.redeliver(attemptId);
      } catch (error) {
        errors++;
        logger.warn('GitHub did not redeliver', { deliveryId: guid, attemptId, error });
        await store.release(guid, attemptId, runId).catch(() => undefined);
        return;
      }
      redelivered.push(guid);
      await store.markSent(guid, attemptId, runId, now + limits.holdMs).catch((error: unknown) => {
        logger.warn('Could not record the redelivery: a later run may ask again', {
          deliveryId: guid,
          error,
        });
      });
    } catch (error) {
      errors++;
      if (!unresolved.includes(delivery)) unresolved.push(delivery);
      logger.warn('Could not handle a failed delivery', { deliveryId: guid, error });
    }
  });

  const complete = read.all && unresolved.length === 0 && errors === 0;
  const newest = read.attempts[0]?.delivered_at;
  const summary: RedeliveryRunSummary = {
    startedAt: new Date(now).toISOString(),
    scanned: read.attempts.length,
    pages: read.pages,
    complete,
    failed: failed.length,
    redelivered,
    processed,
    skipped,
    deferred,
    givenUp,
    errors,
  };
  // Attempts older than the pages read are unknown: the checkpoint stays. Otherwise it moves up to the
  // newest attempt, but never past the oldest failed delivery left unresolved.
  const upTo = [newest, ...unresolved.map((delivery) => delivery.deliveredAt)]
    .filter((at): at is string => at !== undefined)
    .map((at) => Date.parse(at));
  const since = !read.all
    ? undefined
    : new Date(upTo.length === 0 ? sinceMs : Math.min(...upTo) - limits.overlapMs).toISOString();
  // A lost summary costs nothing but this record: the next run reads from the old checkpoint.
  await store.saveRun(summary, since).catch((error: unknown) => {
    logger.warn('Could not record the redelivery run', { error });
  });
  return summary;
}
