/**
 * GitHub guards `.github/workflows/` by path: an App's token (installation or user) that adds, changes
 * or removes anything there needs the App's `workflows: write`, or GitHub refuses the ref update
 * ("refusing to allow a GitHub App to create or update workflow `…` without `workflows` permission").
 * Tokens are narrowed to `workflows: write` only for commits that touch the directory, so an
 * installation without the permission keeps committing everywhere else.
 */
import { AppError, InstallationPermissionMissingError } from '../errors.js';

export const WORKFLOWS_DIRECTORY = '.github/workflows/';

/** True when one of the paths is under .github/workflows/ (as GitHub checks: the exact path). */
export function touchesWorkflows(paths: Iterable<string>): boolean {
  for (const path of paths) if (path.startsWith(WORKFLOWS_DIRECTORY)) return true;
  return false;
}

export const workflowsPermissionMissing = () =>
  new InstallationPermissionMissingError(
    'workflows',
    "Files under .github/workflows/ need the App's workflows: write permission, which the installation has not granted. Accept the App's requested permissions on GitHub first (or leave those files out).",
  );

/** True when the installation (as stored) grants workflows: write. */
export function grantsWorkflows(permissions: Record<string, string>): boolean {
  return permissions.workflows === 'write';
}

/**
 * What a failed write means for workflows: GitHub's own refusal of the ref update (whatever was asked),
 * or, when `workflows: write` was asked for (`askedWith`: the installation's stored permissions), a token
 * GitHub would not narrow to it for an installation that grants the contents but not the workflows.
 * Undefined for anything else.
 */
export function workflowsRefusal(
  error: unknown,
  askedWith: Record<string, string> | undefined,
): InstallationPermissionMissingError | undefined {
  if (error instanceof InstallationPermissionMissingError) return error;
  if (error instanceof AppError) {
    if (askedWith === undefined) return undefined;
    const installationPermissions = askedWith;
    const narrowingRefused =
      error.code === 'insufficient_installation_permissions' &&
      installationPermissions.contents === 'write' &&
      !grantsWorkflows(installationPermissions);
    return narrowingRefused ? workflowsPermissionMissing() : undefined;
  }
  if (error instanceof Error && /refusing to allow .*workflow/i.test(error.message)) {
    const { status } = error as { status?: unknown };
    if (status === 422 || status === 403) return workflowsPermissionMissing();
  }
  return undefined;
}
