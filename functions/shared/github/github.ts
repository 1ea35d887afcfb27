import { request as octokitRequest } from '@octokit/request';
import { RequestError } from '@octokit/request-error';
import { getConfig } from '../config.js';
import { UpstreamError } from '../errors.js';
import { upstreamForAnswer } from './throttling.js';

export type GitHubRequest = typeof octokitRequest;

/** GitHub calls give up after this long; a Lambda must answer well inside API Gateway's 30 s. */
const TIMEOUT_MS = 8000;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const fetchWithTimeout: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(TIMEOUT_MS) });

export function createGitHubRequest(
  baseUrl: string,
  fetchImpl: typeof fetch = fetchWithTimeout,
): GitHubRequest {
  return octokitRequest.defaults({
    baseUrl,
    headers: { 'user-agent': 'github-app-accounts', 'x-github-api-version': '2022-11-28' },
    request: { fetch: fetchImpl },
  });
}

let cached: GitHubRequest | undefined;

/** The container's GitHub client (REST base URL from configuration; OAuth URLs derived from it). */
export function getGitHubRequest(): GitHubRequest {
  cached ??= createGitHubRequest(getConfig().githubApiUrl);
  return cached;
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
 * are 503 with Retry-After, GitHub's 503 a 503, its other 5xx a 502 (or 503 when `unavailableAs503`).
 * Returns undefined for answers the caller must interpret itself (404, 422, a plain 403, …). Callers
 * ask this first, so a rate limit is never read as a refusal.
 */
export function toUpstreamError(
  error: unknown,
  options: { unavailableAs503?: boolean } = {},
): UpstreamError | undefined {
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
