import type { Caller } from '../shared/auth/sessions.js';
import { getServices } from '../shared/services.js';
import { assertMayCommit } from './commit-policy.js';
import type { LinkedRepository } from './repository-access.js';

/**
 * The link's commit policy applied to one commit (403 otherwise, before anything is written). The
 * repository's default branch, when the policy needs it, is read with the App's token of the commit's
 * own scope (cached, so no extra token is minted).
 */
export async function assertCommitAllowed(
  caller: Caller,
  repository: LinkedRepository,
  request: { branch: string; files: readonly { path: string }[]; deletions: readonly string[] },
  permissions: Record<string, 'read' | 'write'>,
): Promise<void> {
  await assertMayCommit({
    policy: repository.commitPolicy,
    member: repository.member,
    userId: caller.userId,
    owner: repository.owner,
    repo: repository.repo,
    branch: request.branch,
    paths: [...request.files.map((file) => file.path), ...request.deletions],
    defaultBranch: () =>
      repository.withToken(permissions, async (token) => {
        const { data } = await getServices().github('GET /repos/{owner}/{repo}', {
          owner: repository.owner,
          repo: repository.repo,
          headers: { authorization: `token ${token}` },
        });
        return data.default_branch;
      }),
  });
}
