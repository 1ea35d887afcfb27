import { AppError } from '../errors.js';
import { ssoRequired } from '../github/sso.js';
import { upstreamForAnswer } from '../github/throttling.js';
import { isUnreadable, unreadable } from '../github/unreadable.js';
import { logger } from '../logger.js';
import { json, type HttpResponse } from './responses.js';

type MiddyHttpError = Error & { statusCode: number; expose?: boolean; cause?: { package?: string } };

function isMiddyHttpError(error: unknown): error is MiddyHttpError {
  return error instanceof Error && typeof (error as Partial<MiddyHttpError>).statusCode === 'number';
}

/** @octokit/request's RequestError (named HttpError), recognised without importing octokit everywhere. */
function isGitHubRequestError(
  error: unknown,
): error is Error & { status: number; response?: { headers?: Record<string, string | number | undefined> } } {
  return (
    error instanceof Error &&
    error.name === 'HttpError' &&
    typeof (error as { status?: unknown }).status === 'number' &&
    'request' in error
  );
}

/**
 * A 4xx is the caller's mistake, not an incident: one INFO line says which, and at DEBUG
 * (`LOG_LEVEL=debug` locally) a second one says why, with the message the caller was given and its
 * details. Neither carries the request's body or credentials.
 */
function rejected(status: number, code: string, reason: string, details: object = {}): void {
  logger.info('Request rejected', { status, code });
  logger.debug('Rejection reason', {
    status,
    code,
    reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  });
}

/**
 * The one place errors become HTTP answers. Typed AppErrors keep their status, code and message;
 * middy's parser errors get our codes; everything else is logged and answered with a generic 500 whose
 * body says nothing about the cause.
 */
export function errorToResponse(error: unknown): HttpResponse {
  // GitHub's answer was cut off (github.ts readWhole), whichever caller let it through: never a 500.
  if (isUnreadable(error)) return errorToResponse(unreadable(error));
  if (isGitHubRequestError(error)) {
    // A throttled or unavailable GitHub no caller translated is still a 503 with Retry-After.
    const upstream = upstreamForAnswer(error.status, error.response?.headers ?? {}, error);
    if (upstream) return errorToResponse(upstream);
    // GitHub asking the user to sign in to an SSO organisation is never a 502, whoever called.
    const sso = ssoRequired(error);
    if (sso) return errorToResponse(sso);
  }
  if (error instanceof AppError) {
    if (error.statusCode >= 500 && error.statusCode !== 501)
      logger.error('Request failed upstream', { error });
    else rejected(error.statusCode, error.code, error.message, error.details);
    return json(
      error.statusCode,
      { ...error.details, error: error.code, message: error.message },
      error.headers,
    );
  }
  if (isMiddyHttpError(error) && error.cause?.package === '@middy/http-json-body-parser') {
    if (error.message === 'Unsupported Media Type') {
      rejected(415, 'unsupported_media_type', 'The Content-Type is not application/json.');
      return json(415, {
        error: 'unsupported_media_type',
        message: 'Content-Type must be application/json.',
      });
    }
    rejected(400, 'invalid_json', 'The body did not parse as JSON.');
    return json(400, { error: 'invalid_json', message: 'The request body is not valid JSON.' });
  }
  if (isGitHubRequestError(error)) {
    // GitHub answered something no caller handled: GitHub's failure, not ours, and nothing of it shown.
    logger.error('Unexpected GitHub answer', { status: error.status, error });
    return json(502, {
      error: 'github_error',
      message: 'GitHub gave an unexpected answer. Try again later.',
    });
  }
  if (isMiddyHttpError(error) && error.expose === true && error.statusCode < 500) {
    rejected(error.statusCode, 'bad_request', error.message);
    return json(error.statusCode, { error: 'bad_request', message: error.message });
  }
  logger.error('Unhandled error', { error });
  return json(500, { error: 'internal_error', message: 'Something went wrong on our side.' });
}
