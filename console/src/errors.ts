import { ApiError } from './api/client';

/**
 * The API's error codes in words a person understands. A code not listed here falls back to the
 * API's own message, which is written for people too; the status decides the general wording.
 */
const words: Record<string, string> = {
  network_error: 'The service could not be reached. Check your connection and try again.',
  unauthorized: 'You are signed out. Sign in with GitHub to continue.',
  session_expired: 'Your session ended. Sign in with GitHub again.',
  reauthorization_required: 'GitHub needs you to sign in again before this can continue.',
  forbidden: 'Your role in this account does not allow this.',
  insufficient_role: 'Your role in this account does not allow this. Ask an owner or admin.',
  csrf_rejected: 'The request did not come from the console. Reload the page and try again.',
  account_not_found: 'This account does not exist, or you are not a member of it.',
  installation_not_found: 'This installation does not exist, or you cannot reach it on GitHub.',
  installation_not_accessible: 'GitHub says you cannot reach this installation.',
  repository_not_found: 'This repository does not exist, or none of the linked installations reaches it.',
  repository_exists: 'A repository with this name already exists there.',
  head_moved: 'The branch changed since you loaded it. Reload the files and make your change again.',
  invalid_name: 'That name is not valid.',
  github_unavailable: 'GitHub is not answering right now. Try again in a minute.',
  github_rate_limited: 'GitHub is limiting requests right now. Try again in a minute.',
  service_unavailable: 'The service is having trouble. Try again in a minute.',
  too_many_requests: 'Too many requests. Wait a moment and try again.',
};

/*
 * Accounts, members and invitations (screens home, accounts, members, invitations): every code
 * their endpoints answer, besides the shared ones above. Own object, so merging blocks never clashes.
 */
const accountsAndPeopleWords: Record<string, string> = {
  unauthenticated: 'You are signed out. Sign in with GitHub to continue.',
  invalid_session: 'Your session ended. Sign in with GitHub again.',
  token_refresh_busy: 'GitHub is busy renewing your sign-in. Try again in a moment.',
  invalid_request: 'That was not accepted: check the fields and try again.',
  invalid_json: 'The console sent something the service could not read. Reload the page and try again.',
  bad_request: 'The console sent something the service could not read. Reload the page and try again.',
  unsupported_media_type:
    'The console sent something the service could not read. Reload the page and try again.',
  payload_too_large: 'That is too large to send.',
  internal_error: 'The service had a problem. Try again in a minute.',
  github_error: 'GitHub answered in an unexpected way. Try again in a minute.',
  github_user_not_found: 'GitHub has no user with that login. Check the spelling.',
  already_member: 'That person already belongs to this account.',
  member_not_found: 'That person is no longer a member of this account. Reload to see who is.',
  member_changed: 'That member changed meanwhile. Reload and try again.',
  last_owner: 'An account needs at least one owner: make someone else an owner first, then change this.',
  invitation_not_found:
    'That invitation no longer exists: it was accepted, declined, revoked or has expired.',
};
Object.assign(words, accountsAndPeopleWords);

const byStatus: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'You are signed out',
  403: 'You are not allowed to do this',
  404: 'Not found (or not visible to you)',
  409: 'This conflicts with the current state',
  413: 'This is too large',
  429: 'Too many requests',
};

export function describeError(error: unknown): string {
  if (!(error instanceof ApiError))
    return 'Something went wrong in the console. Reload the page and try again.';
  const known = words[error.code];
  if (known) return known;
  const general = byStatus[error.status] ?? (error.status >= 500 ? 'The service had a problem' : 'Not done');
  return `${general}: ${error.body.message}`;
}

/** Errors after which the only way on is signing in (again). */
export function needsSignIn(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.code === 'reauthorization_required');
}
