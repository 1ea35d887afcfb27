import type { CommitPolicy } from '../shared/repositories/commit-policy-settings.js';
import { requireMember } from '../shared/accounts/membership.js';
import type { Caller } from '../shared/auth/sessions.js';
import type { AppError } from '../shared/errors.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { RepositoryNotReachableError, withInstallationToken } from '../shared/github/app-auth.js';
import { isGitHubStatus, toUpstreamError } from '../shared/github/github.js';
import { inScope } from '../shared/installations/repository-scope.js';
import { getServices } from '../shared/services.js';
import { RequestError } from '@octokit/request-error';
import type { Member } from '../shared/store/account-store.js';
import type { InstallationDetails } from '../shared/store/installation-store.js';

export const repositoryNotFound = () =>
  new NotFoundError(
    'repository_not_found',
    'No such repository is reachable through the installations linked to this account.',
  );

/** A repository of an installation linked to the account, and a way to call GitHub on it alone. */
export type LinkedRepository = {
  member: Member;
  installation: InstallationDetails;
  /** Who may commit through the account's link to this installation. */
  commitPolicy: CommitPolicy;
  owner: string;
  repo: string;
  /**
   * Runs GitHub calls with an installation token narrowed to this one repository and `permissions`
   * (cached per scope). GitHub's 404 for the repository (removed from the installation meanwhile, deleted,
   * renamed) becomes 404 `repository_not_found`; throttling and outages their 503/502. A 404 that
   * means something else (a missing path or ref) must be handled inside `call`.
   */
  withToken<T>(
    permissions: Record<string, 'read' | 'write'>,
    call: (token: string) => Promise<T>,
  ): Promise<T>;
  /**
   * For a GitHub 404 inside `call` that may mean a missing ref or path: GitHub answers the same 404 when
   * the repository itself is gone from the token's reach (removed from the installation while a narrowed
   * token is still cached), so this asks once more (`GET /repos/{owner}/{repo}`, on the error path only)
   * and throws 404 `repository_not_found` if so, else `otherwise`.
   */
  notFoundAs(token: string, otherwise: AppError): Promise<never>;
};

export const repositoryArchived = () =>
  new ConflictError(
    'repository_archived',
    'The repository is archived, so it is read-only. Unarchive it on GitHub first.',
  );

/** GitHub's 403s on a repository that are not throttling: archived (writes), or a token without the permission. */
function repositoryForbidden(error: unknown): AppError | undefined {
  if (!(error instanceof RequestError) || error.status !== 403 || toUpstreamError(error)) return undefined;
  if (/archived/i.test(error.message)) return repositoryArchived();
  if (/not accessible by integration/i.test(error.message)) {
    return new ForbiddenError(
      'insufficient_installation_permissions',
      "The App's installation does not grant what this needs on the repository. Accept the App's requested permissions on GitHub.",
    );
  }
  return undefined;
}

/**
 * The repository `{owner}/{repo}` if, and only if, the caller is a member of the account and one of the
 * account's linked installations reaches it: the installation of the owner's GitHub account, whose link
 * must have the repository in its scope (docs/repository-scope.md), which must not be suspended, and
 * GitHub must agree to narrow a token to the repository (it refuses for a repository outside the
 * installation's selection). Anything else is 404 `repository_not_found`, the same answer whether the
 * repository exists elsewhere or not; a repository outside the link's scope costs no GitHub call.
 */
export async function resolveLinkedRepository(
  caller: Caller,
  accountId: string,
  owner: string,
  repo: string,
): Promise<LinkedRepository> {
  const { accounts, installations } = getServices();
  const [member, links] = await Promise.all([
    requireMember(accounts, accountId, caller.userId),
    installations.linksOfAccount(accountId),
  ]);
  // One request for all the account's installations, however many are linked.
  const details = await installations.getManyDetails(links.map((link) => link.installationId));
  const installation = details.find(
    (candidate) => candidate !== undefined && candidate.accountLogin.toLowerCase() === owner.toLowerCase(),
  );
  if (!installation) throw repositoryNotFound();
  const link = links.find((candidate) => candidate.installationId === installation.id);
  // Outside the link's scope is answered as a repository the account cannot reach, before anything else.
  if (!link || !inScope(link.scope, repo)) throw repositoryNotFound();
  if (installation.suspendedAt) {
    throw new ConflictError(
      'installation_suspended',
      'The GitHub App installation is suspended: unsuspend it on GitHub first.',
    );
  }
  const repositoryNames = [repo.toLowerCase()];
  return {
    member,
    installation,
    commitPolicy: link.commitPolicy,
    owner: installation.accountLogin,
    repo,
    withToken: async (permissions, call) => {
      try {
        return await withInstallationToken(installation.id, { permissions, repositoryNames }, call);
      } catch (error) {
        if (error instanceof RepositoryNotReachableError || isGitHubStatus(error, 404))
          throw repositoryNotFound();
        throw repositoryForbidden(error) ?? toUpstreamError(error) ?? error;
      }
    },
    notFoundAs: async (token, otherwise) => {
      const { github } = getServices();
      try {
        await github('GET /repos/{owner}/{repo}', {
          owner: installation.accountLogin,
          repo,
          headers: { authorization: `token ${token}` },
        });
      } catch (error) {
        if (isGitHubStatus(error, 404)) throw repositoryNotFound();
        throw error;
      }
      throw otherwise;
    },
  };
}
