/**
 * GitHub's answers that arrived but could not be read (github.ts readWhole), and what they mean to our
 * callers; no octokit import, so the shared error mapper (http/error-response.ts) can use it too.
 */
import { UpstreamError } from '../errors.js';

const RETRY_AFTER_SECONDS = 5;

/** GitHub's answer arrived but could not be read (cut off mid-body): GitHub has acted on the call. */
export class UnreadableAnswerError extends Error {
  constructor(cause: unknown, status?: number) {
    super(
      status === undefined
        ? 'GitHub’s answer could not be read'
        : `GitHub’s answer (HTTP ${status}) could not be read`,
      { cause },
    );
    this.name = 'UnreadableAnswerError';
  }
}

/** The error is, or was caused by, an unreadable answer (@octokit/request wraps what fetch throws). */
export function isUnreadable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof UnreadableAnswerError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** 502 `github_unavailable`, as any GitHub failure: nothing of it reaches the caller as data. */
export function unreadable(cause: unknown): UpstreamError {
  return new UpstreamError('github_unavailable', 'GitHub’s answer could not be read. Try again shortly.', {
    statusCode: 502,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    cause,
  });
}
