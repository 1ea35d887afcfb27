import { GitHubError } from './errors.js';
import type { GitRepository } from './git-store.js';
import type { Credential, EmulatorContext } from './http.js';
import { grants, type EmulatedRepository } from './world.js';

type TokenCredential = Extract<Credential, { kind: 'user_token' } | { kind: 'installation_token' }>;

const WORKFLOWS_DIR = ['.github', 'workflows'] as const;

/**
 * GitHub's refusal when an App's token would create, change or delete anything under
 * `.github/workflows/` without the `workflows` permission (the guard is by path: a README there counts).
 * GitHub answers the git push with this text; through the REST API the ref update is refused with it as a
 * 422, the only failure status GitHub documents for creating or updating a reference.
 */
export function workflowRefused(path: string): GitHubError {
  return new GitHubError(
    422,
    `refusing to allow a GitHub App to create or update workflow \`${path}\` without \`workflows\` permission`,
    { documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference' },
  );
}

/** The tree of `.github/workflows` in a commit's tree, if it has one. */
function workflowsTree(git: GitRepository, rootTree: string | undefined): string | undefined {
  let tree = rootTree;
  for (const name of WORKFLOWS_DIR) {
    if (tree === undefined) return undefined;
    const entry = (git.trees.get(tree) ?? []).find((candidate) => candidate.name === name);
    tree = entry?.type === 'tree' ? entry.sha : undefined;
  }
  return tree;
}

/** Every path below a tree (blobs, links and submodules), with the sha it points at. */
function flatten(
  git: GitRepository,
  tree: string | undefined,
  prefix: string,
  out = new Map<string, string>(),
) {
  if (tree === undefined) return out;
  for (const entry of git.trees.get(tree) ?? []) {
    const path = `${prefix}${entry.name}`;
    if (entry.type === 'tree') flatten(git, entry.sha, `${path}/`, out);
    else out.set(path, `${entry.mode}:${entry.sha}`);
  }
  return out;
}

/** Paths under .github/workflows/ that differ between two trees (added, changed or removed), sorted. */
export function workflowChanges(git: GitRepository, before: string | undefined, after: string | undefined) {
  const a = workflowsTree(git, before);
  const b = workflowsTree(git, after);
  if (a === b) return [];
  const prefix = `${WORKFLOWS_DIR.join('/')}/`;
  const old = flatten(git, a, prefix);
  const now = flatten(git, b, prefix);
  const changed = new Set<string>();
  for (const [path, sha] of now) if (old.get(path) !== sha) changed.add(path);
  for (const path of old.keys()) if (!now.has(path)) changed.add(path);
  return [...changed].sort();
}

/** Commits reachable from `sha` that no existing ref reaches: what moving a ref to `sha` brings in. */
function newCommits(git: GitRepository, sha: string): string[] {
  const known = new Set<string>();
  for (const head of git.refs.values()) for (const commit of git.history(head)) known.add(commit.sha);
  const out: string[] = [];
  const queue = [sha];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const next = queue.shift() ?? '';
    if (seen.has(next) || known.has(next)) continue;
    seen.add(next);
    const commit = git.commits.get(next);
    if (!commit) continue;
    out.push(next);
    queue.push(...commit.parents);
  }
  return out;
}

/** What the token may do: an installation token its own permissions, a user token its installation's. */
function permissionsOf(context: EmulatorContext, credential: TokenCredential, repo: EmulatedRepository) {
  if (credential.kind === 'installation_token') return credential.token.permissions;
  const installation = context.world.installationFor(credential.token.appId, repo.ownerId);
  return installation?.permissions ?? {};
}

/**
 * Refuses pointing a ref at `sha` when a commit it brings in adds, changes or removes a path under
 * `.github/workflows/` and the App's token lacks `workflows: write` (installation tokens and user
 * tokens of a GitHub App alike: both act as the App).
 */
export function assertWorkflowsWritable(
  context: EmulatorContext,
  credential: TokenCredential,
  repo: EmulatedRepository,
  sha: string,
): void {
  if (grants(permissionsOf(context, credential, repo), 'workflows', 'write')) return;
  const { git } = repo;
  for (const commitSha of newCommits(git, sha)) {
    const commit = git.commits.get(commitSha);
    if (!commit) continue;
    const parentTree = commit.parents[0] ? git.commits.get(commit.parents[0])?.tree : undefined;
    const [path] = workflowChanges(git, parentTree, commit.tree);
    if (path !== undefined) throw workflowRefused(path);
  }
}
