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
  // --- Installations and repositories screens (wt-con-b): codes of listInstallations, installApp,
  // link/unlink, the install round trip (install_error / auth_error), and the repository routes.
  unauthenticated: 'You are signed out. Sign in with GitHub to continue.',
  invalid_session: 'Your session ended. Sign in with GitHub again.',
  token_refresh_busy: 'GitHub is renewing your sign-in right now. Try again in a moment.',
  invalid_return_to: 'The console asked to come back to an address the service does not accept.',
  installation_deleted: 'The App was uninstalled from this GitHub account, so it cannot be linked.',
  org_owner_required: 'Only an owner of that GitHub organization can link its installation.',
  personal_account_owner_required:
    'Only the owner of that personal GitHub account can link its installation.',
  installation_permission_missing:
    'The installation has not granted the "Members: read" permission. Accept it on GitHub, then link again.',
  missing_installation: 'GitHub did not say which installation was made, so nothing was linked.',
  install_user_mismatch:
    'Someone else finished the install on GitHub, so nothing was linked. Install it yourself.',
  access_denied: 'Access was refused on GitHub.',
  redirect_uri_mismatch:
    'GitHub refused the way back to the service (its callback address is not registered).',
  application_suspended: 'The App is suspended on GitHub.',
  bad_verification_code: 'GitHub did not accept the sign-in code (it expired or was used). Try again.',
  missing_code: 'GitHub came back without a sign-in code. Try again.',
  github_error: 'GitHub answered with an error. Try again in a minute.',
  github_forbidden: 'GitHub refused this.',
  github_not_found: 'GitHub did not find what this needs.',
  invalid_query: 'The search or filter is not valid (a search is at most 100 characters).',
  invalid_cursor: 'The list changed shape; start again from the first page.',
  invalid_request: 'Some fields are not valid. Check the name, description and visibility.',
  invalid_json: 'The request was not valid JSON.',
  invalid_path:
    'A file path is not valid: use a relative path such as docs/readme.md (no leading slash, no "..", no ".git").',
  duplicate_file_path: 'Two files have the same path.',
  duplicate_path: 'The same path appears twice in the change.',
  path_conflict: 'One file is placed where another needs a folder.',
  too_many_files: 'Too many files in one go.',
  file_too_large: 'A file is too large (files up to 4 MB can be shown or committed, 1 MB when creating).',
  commit_too_large: 'The change is too large in all (at most 4 MB).',
  template_too_large: 'The files are too large in all (at most 4 MB).',
  invalid_template: 'The template must be written owner/repository, e.g. octo-org/project-template.',
  not_a_template: 'That repository is not marked as a template on GitHub.',
  template_not_found: 'The template does not exist or cannot be read from this installation.',
  template_empty: 'The template has no commit yet, so nothing can be generated from it.',
  personal_account_owner_only:
    'Only the owner of that personal GitHub account can create repositories in it.',
  insufficient_installation_permissions:
    'The installation has not granted the App the permissions this needs.',
  repository_changed: 'The repository changed on GitHub meanwhile, so the files were not committed.',
  creation_in_progress: 'The same repository is being created right now. Wait a moment, then look again.',
  installation_suspended: 'The installation is suspended on GitHub: its repositories cannot be used.',
  commit_failed:
    'The repository was created but its files were not committed. Press "Create" again to finish.',
  invalid_ref: 'That is not a valid branch, tag or commit name.',
  ref_not_found: 'No such branch, tag or commit (or the repository is empty).',
  path_not_found: 'No file or folder at that path.',
  invalid_branch: 'That is not a valid branch name (for example feature/readme).',
  invalid_content: 'A file content is not valid.',
  empty_commit: 'There is nothing to commit: add or change a file.',
  invalid_deletion: 'A file to delete is not on the branch.',
  branch_not_found: 'The branch to start from does not exist.',
  repository_archived: 'The repository is archived, so it is read-only.',
  // --- end of the installations and repositories block.
  repository_not_found: 'This repository does not exist, or none of the linked installations reaches it.',
  repository_exists: 'A repository with this name already exists there.',
  head_moved: 'The branch changed since you loaded it. Reload the files and make your change again.',
  invalid_name: 'That name is not valid.',
  github_unavailable: 'GitHub is not answering right now. Try again in a minute.',
  github_rate_limited: 'GitHub is limiting requests right now. Try again in a minute.',
  service_unavailable: 'The service is having trouble. Try again in a minute.',
  too_many_requests: 'Too many requests. Wait a moment and try again.',
  sso_authorization_required:
    'This GitHub organization requires single sign-on (SAML). Sign in to it on GitHub, then try again.',
};

/** installation_permission_missing names the permission when it is not Members: read. */
const missingPermissionWords: Record<string, string> = {
  workflows:
    'Files under .github/workflows/ need the App’s "Workflows: write" permission, which the installation has not granted. Accept it on GitHub, or leave those files out.',
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
  const permission = error.code === 'installation_permission_missing' ? error.body.permission : undefined;
  const known = (permission && missingPermissionWords[permission]) || words[error.code];
  if (known) return known;
  const general = byStatus[error.status] ?? (error.status >= 500 ? 'The service had a problem' : 'Not done');
  return `${general}: ${error.body.message}`;
}

/** Errors after which the only way on is signing in (again). */
export function needsSignIn(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.code === 'reauthorization_required');
}
