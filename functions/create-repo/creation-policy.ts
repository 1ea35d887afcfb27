import { ForbiddenError } from '../shared/errors.js';
import type { Role } from '../shared/store/account-store.js';

export type Visibility = 'private' | 'public';

export type CreationRequest = {
  /** The caller's role in the platform account. */
  role: Role;
  /** The GitHub account the repository is created in. */
  owner: { login: string; type: 'User' | 'Organization' };
  name: string;
  visibility: Visibility;
};

/** Roles that may publish or shape how GitHub presents the whole account. */
export const PRIVILEGED_ROLES: readonly Role[] = ['owner', 'admin'];

/**
 * Names GitHub gives a meaning beyond "a repository" (compared case-insensitively, as GitHub does):
 * `.github` (the account's community health files and profile), `.github-private` (the org's member
 * profile), `<owner>.github.io` (the account's Pages site) and, for a personal account, `<owner>` (the
 * profile README).
 */
export function specialRepositoryName(owner: CreationRequest['owner'], name: string): string | undefined {
  const login = owner.login.toLowerCase();
  const lower = name.toLowerCase();
  if (lower === '.github') return 'the account-wide .github repository';
  if (lower === '.github-private') return 'the organization-wide .github-private repository';
  if (lower === `${login}.github.io`) return "the account's GitHub Pages site";
  if (owner.type === 'User' && lower === login) return "the account's profile repository";
  return undefined;
}

/**
 * Who may create which repository with the App's power over an account. Any member may create a
 * private, ordinary repository; publishing one, or creating one of GitHub's special repositories,
 * speaks for the whole GitHub account, so it needs the owner or admin role. Checked before anything
 * is created at GitHub.
 */
export function checkCreationPolicy(request: CreationRequest): void {
  if (PRIVILEGED_ROLES.includes(request.role)) return;
  const special = specialRepositoryName(request.owner, request.name);
  if (special) {
    throw new ForbiddenError(
      'insufficient_role',
      `Creating ${special} (${request.owner.login}/${request.name}) needs the owner or admin role in the account.`,
    );
  }
  if (request.visibility === 'public') {
    throw new ForbiddenError(
      'insufficient_role',
      'Creating a public repository needs the owner or admin role in the account; members create private ones.',
    );
  }
}
