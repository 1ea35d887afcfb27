import { gitHubThrottleSeconds } from '../shared/github/throttling.js';
import type { RateBudget } from '../shared/store/repository-sync-store.js';

type Headers = Record<string, string | number | undefined>;

/** The primary rate limit an answer reports (`x-ratelimit-remaining/limit/reset`), if it says. */
export function budgetOf(headers: Headers): RateBudget | undefined {
  const remaining = Number(headers['x-ratelimit-remaining']);
  const limit = Number(headers['x-ratelimit-limit']);
  const resetAt = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === undefined || headers['x-ratelimit-limit'] === undefined)
    return undefined;
  if (!Number.isFinite(remaining) || !Number.isFinite(limit) || limit <= 0) return undefined;
  return { remaining, limit, resetAt: Number.isFinite(resetAt) ? resetAt : 0 };
}

/**
 * The newer of two readings: answers arrive out of order when several requests are in flight, and the
 * installation's budget only falls within a window (a later window starts afresh).
 */
export function newerBudget(a: RateBudget | undefined, b: RateBudget | undefined): RateBudget | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.resetAt !== b.resetAt) return a.resetAt > b.resetAt ? a : b;
  return a.remaining <= b.remaining ? a : b;
}

/**
 * How many requests may be in flight without spending below the reserve (a share of the limit kept
 * for the service's users): every request in flight may cost one (only GitHub knows which will be
 * 304s, which cost nothing). A reading from a window that has reset is stale: the whole limit is back.
 */
export function allowance(
  budget: RateBudget | undefined,
  reserveRatio: number,
  nowSeconds: number,
  maxInFlight: number,
): number {
  if (!budget || budget.resetAt <= nowSeconds) return maxInFlight;
  const reserve = Math.ceil(budget.limit * reserveRatio);
  return Math.max(0, Math.min(maxInFlight, budget.remaining - reserve));
}

/** GitHub refused because of a rate limit (primary or secondary): wait this many seconds. */
export function throttledFor(status: number, headers: Headers): number | undefined {
  return gitHubThrottleSeconds(status, headers);
}
