/**
 * GitHub's throttling signals, read from an answer's status and headers (no octokit import, so the
 * shared error mapper can use it in every function): a 403 or 429 with `retry-after`, or with
 * `x-ratelimit-remaining: 0` (primary limit; wait until `x-ratelimit-reset`), and any 429. GitHub's
 * guidance: without a hint, wait at least a minute.
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
import { UpstreamError } from '../errors.js';

const DEFAULT_THROTTLE_SECONDS = 60;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

type Headers = Record<string, string | number | undefined>;

/** Seconds GitHub asked us to wait (`retry-after`, or until the primary limit resets), if it said. */
export function gitHubRetryAfter(headers: Headers, nowSeconds = Math.floor(Date.now() / 1000)) {
  const value = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (headers['x-ratelimit-reset'] !== undefined && Number.isFinite(reset))
      return Math.max(1, reset - nowSeconds);
  }
  return undefined;
}

/** Seconds to wait when this answer is GitHub throttling us, else undefined. */
export function gitHubThrottleSeconds(status: number, headers: Headers): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const wait = gitHubRetryAfter(headers);
  if (wait !== undefined) return wait;
  if (status === 429 || String(headers['x-ratelimit-remaining']) === '0') return DEFAULT_THROTTLE_SECONDS;
  return undefined;
}

/**
 * What a GitHub answer that failed means to our callers (github.ts toUpstreamError; http/error-response.ts
 * for answers no caller handled): throttling → 503 `github_rate_limited`, GitHub's 503 → 503, other
 * 5xx → 502 (503 when `unavailableAs503`), anything else undefined.
 */
export function upstreamForAnswer(
  status: number,
  headers: Record<string, string | number | undefined>,
  cause: unknown,
  options: { unavailableAs503?: boolean } = {},
): UpstreamError | undefined {
  const throttled = gitHubThrottleSeconds(status, headers);
  if (throttled !== undefined) {
    return new UpstreamError('github_rate_limited', 'GitHub is rate limiting this App. Try again later.', {
      statusCode: 503,
      retryAfterSeconds: throttled,
      cause,
    });
  }
  if (status >= 500) {
    return new UpstreamError('github_unavailable', 'GitHub failed to answer. Try again shortly.', {
      statusCode: status === 503 || options.unavailableAs503 ? 503 : 502,
      retryAfterSeconds: gitHubRetryAfter(headers) ?? DEFAULT_RETRY_AFTER_SECONDS,
      cause,
    });
  }
  return undefined;
}
