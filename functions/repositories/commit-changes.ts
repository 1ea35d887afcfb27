import type { Caller } from '../shared/auth/sessions.js';
import { AppError, BadRequestError, NotFoundError } from '../shared/errors.js';
import { coAuthorTrailer, withoutForeignTrailers } from '../shared/git/trailers.js';
import { touchesWorkflows, workflowsRefusal } from '../shared/git/workflows.js';
import { isGitHubStatus } from '../shared/github/github.js';
import {
  repositoryArchived,
  resolveLinkedRepository,
  type LinkedRepository,
} from '../shared/repositories/repository-access.js';
import { assertCommitAllowed } from '../shared/repositories/commit-allowed.js';
import { getServices } from '../shared/services.js';
import type { CommitFile, CommitRequest } from './commit-request.js';

export type CommitAnswer = { sha: string; htmlUrl: string; branch: string; removedTrailers: string[] };

class HeadMovedError extends AppError {
  readonly statusCode = 409;
  constructor(branch: string, currentSha: string | null) {
    super(
      'head_moved',
      currentSha === null
        ? `The branch ${branch} does not exist (any more): nothing was committed.`
        : `The branch ${branch} is at ${currentSha}, not where this commit expected it: nothing was committed. Read it again and retry.`,
      { details: { currentSha } },
    );
  }
}

/** Git trailers go in the message's last paragraph: join it when it already is one, else start one. */
export function withCoAuthor(message: string, user: { id: number; login: string }): string {
  const trailer = coAuthorTrailer(user);
  const trimmed = message.trimEnd();
  const paragraphs = trimmed.split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const isTrailerBlock =
    paragraphs.length > 1 && last.split('\n').every((line) => /^[A-Za-z0-9-]+: \S/.test(line));
  if (isTrailerBlock && last.includes(trailer)) return `${trimmed}\n`;
  return `${trimmed}${isTrailerBlock ? '\n' : '\n\n'}${trailer}\n`;
}

type Git = {
  repository: LinkedRepository;
  token: string;
};

function call(git: Git) {
  const { github } = getServices();
  const base = {
    owner: git.repository.owner,
    repo: git.repository.repo,
    headers: { authorization: `token ${git.token}` },
  };
  return { github, base };
}

/** The branch's head now, or undefined when it does not exist. */
async function readHead(git: Git, branch: string): Promise<string | undefined> {
  const { github, base } = call(git);
  try {
    const { data } = await github('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...base,
      ref: `heads/${branch}`,
    });
    return data.object.sha;
  } catch (error) {
    if (isGitHubStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * A branch's head and that commit's tree in one call, or undefined when there is no such branch
 * (GitHub's 404 "Branch not found", also for an empty repository). Any other 404 is the repository's
 * own (gone, or removed from the installation) and is left to `withToken`.
 */
async function readBranch(git: Git, branch: string): Promise<{ sha: string; tree: string } | undefined> {
  const { github, base } = call(git);
  try {
    const { data } = await github('GET /repos/{owner}/{repo}/branches/{branch}', { ...base, branch });
    return { sha: data.commit.sha, tree: data.commit.commit.tree.sha };
  } catch (error) {
    if (isGitHubStatus(error, 404) && /branch not found/i.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** Where the commit goes on top of: the branch's head, or for a new branch the head of its base. */
async function startingPoint(
  git: Git,
  request: CommitRequest,
): Promise<{ parent: string; tree: string; exists: boolean }> {
  const { github, base } = call(git);
  const head = await readBranch(git, request.branch);
  if (head !== undefined) {
    if (request.expectedHeadSha !== undefined && request.expectedHeadSha !== head.sha)
      throw new HeadMovedError(request.branch, head.sha);
    return { parent: head.sha, tree: head.tree, exists: true };
  }
  let baseBranch = request.baseBranch;
  if (baseBranch === undefined) {
    // Also the archived check before anything is written.
    const { data } = await github('GET /repos/{owner}/{repo}', base);
    if (data.archived) throw repositoryArchived();
    baseBranch = data.default_branch;
  }
  const start = await readBranch(git, baseBranch);
  if (start === undefined)
    throw new NotFoundError('branch_not_found', `The base branch ${baseBranch} does not exist.`);
  // For a new branch, the expected head is the commit it starts from (where the caller read the tree).
  if (request.expectedHeadSha !== undefined && request.expectedHeadSha !== start.sha)
    throw new HeadMovedError(baseBranch, start.sha);
  return { parent: start.sha, tree: start.tree, exists: false };
}

/** UTF-8 text goes inline in the tree; anything else becomes a blob first (all in parallel). */
async function treeEntries(git: Git, files: CommitFile[], deletions: string[]) {
  const { github, base } = call(git);
  const written = await Promise.all(
    files.map(async (file) => {
      const text = file.content.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(file.content))
        return { path: file.path, mode: file.mode, type: 'blob' as const, content: text };
      const { data } = await github('POST /repos/{owner}/{repo}/git/blobs', {
        ...base,
        content: file.content.toString('base64'),
        encoding: 'base64',
      });
      return { path: file.path, mode: file.mode, type: 'blob' as const, sha: data.sha };
    }),
  );
  const deleted = deletions.map((path) => ({
    path,
    mode: '100644' as const,
    type: 'blob' as const,
    sha: null,
  }));
  return [...written, ...deleted];
}

/**
 * Points the branch at `commitSha`, only as a fast forward from `start.parent` (or creates it), never
 * forcing. GitHub's refusal (422 "Update is not a fast forward" / "Reference already exists") is read
 * against the head now: moved by someone else → 409 `head_moved`; already at our commit → done; not
 * moved at all (a refusal for another reason) → tried once more, then GitHub's error stands.
 */
async function moveBranch(
  git: Git,
  branch: string,
  start: { parent: string; exists: boolean },
  commitSha: string,
): Promise<void> {
  const { github, base } = call(git);
  const update = () =>
    start.exists
      ? github('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
          ...base,
          ref: `heads/${branch}`,
          sha: commitSha,
          force: false,
        })
      : github('POST /repos/{owner}/{repo}/git/refs', {
          ...base,
          ref: `refs/heads/${branch}`,
          sha: commitSha,
        });
  for (let attempt = 1; ; attempt++) {
    try {
      await update();
      return;
    } catch (error) {
      if (!isGitHubStatus(error, 422)) throw error;
      // GitHub's refusal of a workflow change is final: the head need not be read again.
      if (/refusing to allow .*workflow/i.test((error as Error).message)) throw error;
      const now = (await readHead(git, branch)) ?? null;
      if (now === commitSha) return;
      const unmoved = start.exists ? now === start.parent : now === null;
      if (!unmoved) throw new HeadMovedError(branch, now);
      if (attempt === 2) throw error;
    }
  }
}

/**
 * Commits `request` as one commit by the App, never forcing: the branch moves only as a fast forward from
 * the head this commit was built on, so a concurrent writer makes it a 409 `head_moved` (with the head
 * now), never a lost commit. GitHub calls with a cached token: the branch (head and tree) with blobs for
 * non-UTF-8 files beside it (in parallel), tree, commit, ref update: 4 + blobs, 4 round trips. A new branch: its 404, the
 * repository (default branch) unless `baseBranch` is given, the base branch, tree, commit, new ref:
 * 5 or 6 + blobs.
 */
export async function commitChanges(
  caller: Caller,
  accountId: string,
  owner: string,
  repo: string,
  request: CommitRequest,
): Promise<CommitAnswer> {
  const [repository, profile] = await Promise.all([
    resolveLinkedRepository(caller, accountId, owner, repo),
    getServices().users.getProfile(caller.userId),
  ]);
  const coAuthor = { id: caller.userId, login: profile?.login ?? repository.member.login };
  // Only a commit under .github/workflows/ asks for (and needs the installation to grant) workflows.
  const workflows = touchesWorkflows([...request.files.map((file) => file.path), ...request.deletions]);
  const permissions: Record<string, 'write'> = workflows
    ? { contents: 'write', workflows: 'write' }
    : { contents: 'write' };
  // Attribution trailers naming anyone but the caller are dropped (and listed in the answer).
  const { message, removedTrailers } = withoutForeignTrailers(request.message, coAuthor);
  await assertCommitAllowed(caller, repository, request, permissions);
  try {
    const committed = await commitWith(repository, permissions, { ...request, message }, coAuthor);
    return { ...committed, removedTrailers };
  } catch (error) {
    throw workflowsRefusal(error, workflows ? repository.installation.permissions : undefined) ?? error;
  }
}

async function commitWith(
  repository: LinkedRepository,
  permissions: Record<string, 'write'>,
  request: CommitRequest,
  coAuthor: { id: number; login: string },
): Promise<Omit<CommitAnswer, 'removedTrailers'>> {
  return repository.withToken(permissions, async (token) => {
    const git = { repository, token };
    const { github, base } = call(git);
    // Blobs do not depend on the head: made while it is read (unreachable if the commit goes no further).
    const [start, entries] = await Promise.all([
      startingPoint(git, request),
      treeEntries(git, request.files, request.deletions),
    ]);
    const tree = await (async () => {
      try {
        const { data } = await github('POST /repos/{owner}/{repo}/git/trees', {
          ...base,
          base_tree: start.tree,
          tree: entries,
        });
        return data.sha;
      } catch (error) {
        // GitHub refuses a tree that deletes a path it does not hold.
        if (isGitHubStatus(error, 422) && request.deletions.length > 0)
          throw new BadRequestError(
            'invalid_deletion',
            'A path to delete is not a file in the branch (GitHub refused the tree).',
          );
        throw error;
      }
    })();
    const { data: commit } = await github('POST /repos/{owner}/{repo}/git/commits', {
      ...base,
      message: withCoAuthor(request.message, coAuthor),
      tree,
      parents: [start.parent],
    });
    await moveBranch(git, request.branch, start, commit.sha);
    return { sha: commit.sha, htmlUrl: commit.html_url, branch: request.branch };
  });
}
