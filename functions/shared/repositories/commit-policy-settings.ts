import * as z from 'zod/mini';

/**
 * Who may commit through one installation link (the link's `commitPolicy`). The App's power goes only to
 * those GitHub trusts with it: by default a commit needs the caller's own push access on GitHub. An
 * account owner who owns the GitHub account (org owner) may relax that to "any account member", and may
 * restrict further: the default branch and `.github` (paths under `.github/` in any repository, and the
 * `.github` repository itself) for the account's admins and owners only, some repositories read-only.
 */
export type CommitPolicy = {
  committers: 'github_push_access' | 'account_members';
  defaultBranchNeedsAdmin: boolean;
  githubPathsNeedAdmin: boolean;
  /** Repository names (case-insensitive) nobody commits to through this account. */
  readOnlyRepositories: string[];
};

export const DEFAULT_COMMIT_POLICY: CommitPolicy = {
  committers: 'github_push_access',
  defaultBranchNeedsAdmin: false,
  githubPathsNeedAdmin: false,
  readOnlyRepositories: [],
};

export const COMMIT_POLICY_LIMITS = { readOnlyRepositories: 100 } as const;

const repositoryName = z.string().check(z.regex(/^[A-Za-z0-9._-]{1,100}$/));

/** What PATCH takes; the two admin rules default to on when committing is relaxed to account members. */
export const commitPolicyInput = z.strictObject({
  committers: z.enum(['github_push_access', 'account_members']),
  defaultBranchNeedsAdmin: z.optional(z.boolean()),
  githubPathsNeedAdmin: z.optional(z.boolean()),
  readOnlyRepositories: z.optional(
    z.array(repositoryName).check(z.maxLength(COMMIT_POLICY_LIMITS.readOnlyRepositories)),
  ),
});

export function commitPolicyFrom(input: z.infer<typeof commitPolicyInput>): CommitPolicy {
  const relaxed = input.committers === 'account_members';
  return {
    committers: input.committers,
    defaultBranchNeedsAdmin: input.defaultBranchNeedsAdmin ?? relaxed,
    githubPathsNeedAdmin: input.githubPathsNeedAdmin ?? relaxed,
    readOnlyRepositories: [...new Set((input.readOnlyRepositories ?? []).map((name) => name.toLowerCase()))],
  };
}

/** A stored policy (or none: the default). Anything unreadable falls back to the default, the safe one. */
export function readCommitPolicy(stored: unknown): CommitPolicy {
  const parsed = z.safeParse(commitPolicyInput, stored);
  return parsed.success ? commitPolicyFrom(parsed.data) : DEFAULT_COMMIT_POLICY;
}
