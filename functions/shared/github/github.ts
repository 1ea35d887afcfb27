import { request as octokitRequest } from '@octokit/request';
import { RequestError } from '@octokit/request-error';
import { getConfig } from '../config.js';
import { UpstreamError } from '../errors.js';
import { count, METRIC, percent } from '../metrics.js';
import { gitHubThrottleSeconds, upstreamForAnswer } from './throttling.js';
import { isUnreadable, UnreadableAnswerError, unreadable } from './unreadable.js';

export { UnreadableAnswerError } from './unreadable.js';

export type GitHubRequest = typeof octokitRequest;

/** GitHub calls give up after this long; a Lambda must answer well inside API Gateway's 30 s. */
export const TIMEOUT_MS = 8000;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const fetchWithTimeout: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(TIMEOUT_MS) });

/**
 * Counts every answer GitHub gives, in one place (every client here is built on this fetch): its status
 * class, throttling (`GitHubRateLimited`, as throttling.ts reads it) and how much of the rate limit is
 * left, as a percentage so one alarm threshold fits every limit.
 */
export function observeGitHubAnswer(response: Response): void {
  const statusClass = `${Math.floor(response.status / 100)}xx`;
  if (['2xx', '3xx', '4xx', '5xx'].includes(statusClass))
    count(METRIC.githubAnswers, { statusClass: statusClass as '2xx' | '3xx' | '4xx' | '5xx' });
  const headers = Object.fromEntries(response.headers);
  if (gitHubThrottleSeconds(response.status, headers) !== undefined) count(METRIC.githubRateLimited);
  const remaining = Number(headers['x-ratelimit-remaining']);
  const limit = Number(headers['x-ratelimit-limit']);
  if (headers['x-ratelimit-remaining'] !== undefined && Number.isFinite(remaining) && limit > 0)
    percent(METRIC.githubRateLimitRemainingPercent, (100 * remaining) / limit);
}

/** Answers without a body to read (RFC 9110), passed on as they are. */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Reads the whole body here, so a body cut off or stalled after the headers (our timeout firing mid-body)
 * throws UnreadableAnswerError instead of reaching the caller as data `""`, which @octokit/request
 * hands back when it cannot read a body. So is a JSON body that is empty or plainly incomplete (a
 * connection closed early without framing); a cheap check of its ends, not a second parse. The
 * answer is passed on with the bytes read, for octokit to parse as usual.
 */
async function readWhole(response: Response, method: string | undefined): Promise<Response> {
  if (NO_BODY.has(response.status) || method?.toUpperCase() === 'HEAD') return response;
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    throw new UnreadableAnswerError(error, response.status);
  }
  if (/\bjson\b/i.test(response.headers.get('content-type') ?? '') && !looksWhole(bytes)) {
    throw new UnreadableAnswerError(new Error('incomplete JSON body'), response.status);
  }
  const whole = new Response(bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(whole, 'url', { value: response.url });
  return whole;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const CLOSING: Record<number, number> = { 0x7b: 0x7d, 0x5b: 0x5d }; // { → }, [ → ]

/** A JSON document's first and last significant bytes match: `{…}`, `[…]` or a scalar; not empty. */
function looksWhole(buffer: ArrayBuffer): boolean {
  const bytes = new Uint8Array(buffer);
  let start = 0;
  let end = bytes.length - 1;
  while (start <= end && WHITESPACE.has(bytes[start] ?? 0)) start++;
  while (end >= start && WHITESPACE.has(bytes[end] ?? 0)) end--;
  if (start > end) return false;
  const closing = CLOSING[bytes[start] ?? 0];
  return closing === undefined || bytes[end] === closing;
}

function observed(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    observeGitHubAnswer(response);
    return readWhole(response, init?.method);
  };
}

export function createGitHubRequest(
  baseUrl: string,
  fetchImpl: typeof fetch = fetchWithTimeout,
): GitHubRequest {
  return octokitRequest.defaults({
    baseUrl,
    headers: { 'user-agent': 'github-app-accounts', 'x-github-api-version': '2022-11-28' },
    request: { fetch: observed(fetchImpl) },
  });
}

/**
 * The same client with its own timeout, started afresh for every call it makes (the token refresh waits
 * longer than other calls: see REFRESH_TIMEOUT_MS in auth/user-tokens.ts).
 */
export function withTimeout(request: GitHubRequest, timeoutMs: number): GitHubRequest {
  const base = (request.endpoint.DEFAULTS.request?.fetch as typeof fetch | undefined) ?? fetch;
  const timed: typeof fetch = (input, init) =>
    base(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  return request.defaults({ request: { fetch: timed } });
}

let cached: GitHubRequest | undefined;

/** The container's GitHub client (REST base URL from configuration; OAuth URLs derived from it). */
export function getGitHubRequest(): GitHubRequest {
  cached ??= createGitHubRequest(getConfig().githubApiUrl);
  return cached;
}

/** Connection failures that happen before a request leaves this machine: GitHub never saw the call. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function causes(error: unknown): Array<{ name?: unknown; code?: unknown }> {
  const chain: Array<{ name?: unknown; code?: unknown }> = [];
  for (let e: unknown = error; e !== null && typeof e === 'object' && chain.length < 5;) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * What became of a GitHub call that got no answer (undefined: GitHub answered, or not a GitHub call):
 * `not_sent`: refused or unresolvable before the request went out (undici's error codes), so GitHub
 * did nothing; `timed_out`: our timeout fired, possibly after GitHub acted; `lost`: the connection broke
 * or the answer was cut off after the request may have gone out.
 */
export function unanswered(error: unknown): 'not_sent' | 'timed_out' | 'lost' | undefined {
  const chain = causes(error);
  // Unreadable (readWhole): GitHub answered, so it acted.
  if (isUnreadable(error)) return 'lost';
  // @octokit/request rethrows an AbortError as is; a TimeoutError (AbortSignal.timeout) comes wrapped.
  if (chain[0]?.name === 'AbortError') return 'timed_out';
  if (!(error instanceof RequestError) || error.response !== undefined) return undefined;
  if (chain.some((e) => e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timed_out';
  if (chain.some((e) => typeof e.code === 'string' && NOT_SENT_CODES.has(e.code))) return 'not_sent';
  return 'lost';
}

/** GitHub's OAuth error code when the token endpoint refused (`bad_refresh_token`, …). */
export function oauthErrorCode(error: unknown): string | undefined {
  if (!(error instanceof RequestError) || error.status !== 400) return undefined;
  const data = error.response?.data as { error?: unknown } | undefined;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export function isGitHubStatus(error: unknown, status: number): boolean {
  return error instanceof RequestError && error.response !== undefined && error.status === status;
}

/**
 * Turns a failed GitHub call into what our callers see: throttling (see throttling.ts) and timeouts
 * are 503 with Retry-After, GitHub's 503 a 503, its other 5xx a 502 (or 503 when `unavailableAs503`),
 * an answer that could not be read (readWhole) 502 `github_unavailable`.
 * Returns undefined for answers the caller must interpret itself (404, 422, a plain 403, …). Callers
 * ask this first, so a rate limit is never read as a refusal.
 */
export function toUpstreamError(
  error: unknown,
  options: { unavailableAs503?: boolean } = {},
): UpstreamError | undefined {
  if (isUnreadable(error)) return unreadable(error);
  if (!(error instanceof RequestError)) return undefined;
  if (error.response === undefined) {
    return new UpstreamError('github_unavailable', 'GitHub did not answer in time. Try again shortly.', {
      statusCode: 503,
      retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  return upstreamForAnswer(error.status, error.response.headers, error, options);
}
