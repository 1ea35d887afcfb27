import { RequestError } from '@octokit/request-error';
import { MANAGERS } from '../shared/accounts/membership.js';
import { getUserTokens } from '../shared/auth/context.js';
import { ForbiddenError } from '../shared/errors.js';
import { isGitHubStatus, toUpstreamError } from '../shared/github/github.js';
import { ssoRequired } from '../shared/github/sso.js';
import { getServices } from '../shared/services.js';
import type { Member } from '../shared/store/account-store.js';
import type { CommitPolicy } from '../shared/repositories/commit-policy-settings.js';
import { repositoryNotFound } from './repository-access.js';

/** GitHub's answer to the caller's own token: push access and the default branch. */
type PushAccess = { visible: boolean; push: boolean; defaultBranch: string | undefined };

/** GitHub's answer is kept this long per user and repository (per container): a revoked grant holds ≤ 60 s. */
export const PUSH_ACCESS_CACHE_MS = 60_000;
const PUSH_ACCESS_CACHE_SIZE = 5000;
const pushAccessCache = new Map<string, { access: PushAccess; at: number }>();

async function pushAccess(userId: number, owner: string, repo: string): Promise<PushAccess> {
  const key = `${userId}/${owner}/${repo}`.toLowerCase();
  const cached = pushAccessCache.get(key);
  if (cached && Date.now() - cached.at < PUSH_ACCESS_CACHE_MS) return cached.access;
  const { github } = getServices();
  const tokens = await getUserTokens();
  const access = await tokens.withToken(userId, async (userToken): Promise<PushAccess> => {
    try {
      const { data } = await github('GET /repos/{owner}/{repo}', {
        owner,
        repo,
        headers: { authorization: `token ${userToken}` },
      });
      return { visible: true, push: data.permissions?.push === true, defaultBranch: data.default_branch };
    } catch (error) {
      // Not visible to the caller's token (not theirs to see, or outside the installation): the same
      // 404 as for any repository the account does not reach.
      if (isGitHubStatus(error, 404)) return { visible: false, push: false, defaultBranch: undefined };
      // 401 goes back to the user-token service (refresh, once); throttling is a 503, not a refusal.
      if (error instanceof RequestError && error.status === 401) throw error;
      throw toUpstreamError(error) ?? ssoRequired(error) ?? error;
    }
  });
  if (pushAccessCache.size >= PUSH_ACCESS_CACHE_SIZE) {
    const oldest = pushAccessCache.keys().next();
    if (!oldest.done) pushAccessCache.delete(oldest.value);
  }
  pushAccessCache.set(key, { access, at: Date.now() });
  return access;
}

/** For tests: forget GitHub's cached answers. */
export function clearPushAccessCache(): void {
  pushAccessCache.clear();
}

export function touchesGitHubDirectory(repo: string, paths: readonly string[]): boolean {
  return repo.toLowerCase() === '.github' || paths.some((path) => /^\.github(\/|$)/i.test(path));
}

const adminRequired = (what: string) =>
  new ForbiddenError(
    'insufficient_role',
    `${what} needs the owner or admin role in the account (this installation link's commit policy).`,
  );

/**
 * Throws 403 unless the policy lets this member commit `paths` on `branch` of `owner/repo`:
 * `repository_read_only`, `github_push_access_required` (default policy, no push access on GitHub; 404
 * `repository_not_found` when GitHub does not show the caller the repository at all) or
 * `insufficient_role` (default branch or `.github` kept for admins). `defaultBranch` reads the
 * repository's default branch with the App's token, only when the policy needs it and GitHub was not
 * asked with the caller's token already.
 */
export async function assertMayCommit(input: {
  policy: CommitPolicy;
  member: Member;
  userId: number;
  owner: string;
  repo: string;
  branch: string;
  paths: readonly string[];
  defaultBranch: () => Promise<string>;
}): Promise<void> {
  const { policy, owner, repo } = input;
  if (policy.readOnlyRepositories.includes(repo.toLowerCase())) {
    throw new ForbiddenError(
      'repository_read_only',
      `${owner}/${repo} is read-only for this account (this installation link's commit policy).`,
    );
  }
  let knownDefaultBranch: string | undefined;
  if (policy.committers === 'github_push_access') {
    const access = await pushAccess(input.userId, owner, repo);
    if (!access.visible) throw repositoryNotFound();
    if (!access.push) {
      throw new ForbiddenError(
        'github_push_access_required',
        `You do not have push access to ${owner}/${repo} on GitHub, and this account's link lets only those who do commit through the App.`,
      );
    }
    knownDefaultBranch = access.defaultBranch;
  }
  if (MANAGERS.includes(input.member.role)) return;
  if (policy.githubPathsNeedAdmin && touchesGitHubDirectory(repo, input.paths))
    throw adminRequired('Changing .github');
  if (policy.defaultBranchNeedsAdmin) {
    const defaultBranch = knownDefaultBranch ?? (await input.defaultBranch());
    if (input.branch === defaultBranch)
      throw adminRequired(`Committing to the default branch ${defaultBranch}`);
  }
}
