import { RequestError } from '@octokit/request-error';
import { ConflictError } from '../shared/errors.js';
import type { GitHubRequest } from '../shared/github/github.js';
import type { RepositoryFile } from './repository-request.js';

/** A new repository's default branch, and how to reach it. */
export type Branch = {
  github: GitHubRequest;
  token: string;
  owner: string;
  repo: string;
  fullName: string;
  name: string;
};

export type CommitInfo = { sha: string; parents: string[]; tree: string; message: string };

/** The message of the commit GitHub's `auto_init` makes (and the emulator's). */
export const PLACEHOLDER_MESSAGE = 'Initial commit';
export const FILES_MESSAGE = 'Add initial files';

function params(branch: Branch) {
  return { owner: branch.owner, repo: branch.repo, headers: { authorization: `token ${branch.token}` } };
}

export function isGitHubStatus(error: unknown, status: number): error is RequestError {
  return error instanceof RequestError && error.response !== undefined && error.status === status;
}

export async function readHead(branch: Branch): Promise<string> {
  const { data } = await branch.github('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    ...params(branch),
    ref: `heads/${branch.name}`,
  });
  return data.object.sha;
}

export async function readCommit(branch: Branch, sha: string): Promise<CommitInfo> {
  const { data } = await branch.github('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
    ...params(branch),
    commit_sha: sha,
  });
  return {
    sha: data.sha,
    parents: data.parents.map((parent) => parent.sha),
    tree: data.tree.sha,
    message: data.message,
  };
}

/** The branch's head commit in one call (the newest entry of the branch's history). */
export async function readHeadCommit(branch: Branch): Promise<CommitInfo> {
  const { data } = await branch.github('GET /repos/{owner}/{repo}/commits', {
    ...params(branch),
    sha: branch.name,
    per_page: 1,
  });
  const [head] = data;
  if (!head) throw new Error(`GitHub listed no commit on ${branch.fullName}@${branch.name}`);
  return {
    sha: head.sha,
    parents: head.parents.map((parent) => parent.sha),
    tree: head.commit.tree.sha,
    message: head.commit.message,
  };
}

/**
 * Whether a commit looks like the one `auto_init` makes: the first commit of the history (no parents)
 * with GitHub's message. Used only when the placeholder was never recorded (a crash between creating the
 * repository and recording its head): then this, and nothing else, may have the files put on top.
 */
export function looksLikePlaceholder(commit: CommitInfo): boolean {
  return commit.parents.length === 0 && commit.message.trim() === PLACEHOLDER_MESSAGE;
}

export function repositoryChanged(branch: Branch): ConflictError {
  return new ConflictError(
    'repository_changed',
    `The ${branch.name} branch of ${branch.fullName} has changed since the service created it: the initial files were not committed, so that no one else's work is overwritten or built upon.`,
  );
}

/**
 * The files as a tree: exactly these files, or (`baseTree`, a repository generated from a template) the
 * base tree with these files added or replaced. UTF-8 text goes inline.
 */
async function createTree(branch: Branch, files: RepositoryFile[], baseTree?: string): Promise<string> {
  const tree = await Promise.all(
    files.map(async (file) => {
      const text = file.content.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(file.content)) {
        return { path: file.path, mode: '100644' as const, type: 'blob' as const, content: text };
      }
      const { data } = await branch.github('POST /repos/{owner}/{repo}/git/blobs', {
        ...params(branch),
        content: file.content.toString('base64'),
        encoding: 'base64',
      });
      return { path: file.path, mode: '100644' as const, type: 'blob' as const, sha: data.sha };
    }),
  );
  const { data } = await branch.github('POST /repos/{owner}/{repo}/git/trees', {
    ...params(branch),
    tree,
    ...(baseTree ? { base_tree: baseTree } : {}),
  });
  return data.sha;
}

/**
 * `head` is where the branch is now, and it is not the placeholder. It is ours only when it is exactly
 * what we would have made: one commit on top of the placeholder with our tree (an earlier attempt of the
 * same request whose answer was lost, or an identical request that got there first).
 */
async function adoptIfOurs(
  branch: Branch,
  files: RepositoryFile[],
  placeholder: string,
  head: string,
  ourTree?: string,
  baseTree?: string,
): Promise<string> {
  const commit = await readCommit(branch, head);
  if (commit.parents.length === 1 && commit.parents[0] === placeholder) {
    const tree = ourTree ?? (await createTree(branch, files, baseTree));
    if (commit.tree === tree) return head;
  }
  throw repositoryChanged(branch);
}

/**
 * Puts the files in one commit on top of the placeholder and moves the branch there only as a fast
 * forward (`force: false`), so GitHub itself refuses the update if anyone moved the branch meanwhile.
 * Never rewrites the branch: anything but the placeholder (or our own identical commit) at its head is
 * a 409 `repository_changed` and nothing is committed.
 */
export async function commitOnPlaceholder(
  branch: Branch,
  files: RepositoryFile[],
  placeholder: string,
  /** The head when the caller has only just read it. */
  knownHead?: string,
  /** The files go on top of this tree (the template's) instead of replacing the placeholder's. */
  baseTree?: string,
): Promise<string> {
  const head = knownHead ?? (await readHead(branch));
  if (head !== placeholder) return adoptIfOurs(branch, files, placeholder, head, undefined, baseTree);
  const tree = await createTree(branch, files, baseTree);
  const { data: commit } = await branch.github('POST /repos/{owner}/{repo}/git/commits', {
    ...params(branch),
    message: FILES_MESSAGE,
    tree,
    parents: [placeholder],
  });
  try {
    await branch.github('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...params(branch),
      ref: `heads/${branch.name}`,
      sha: commit.sha,
      force: false,
    });
    return commit.sha;
  } catch (error) {
    // 422 "Update is not a fast forward": the branch moved between our read and our update.
    if (!isGitHubStatus(error, 422)) throw error;
    const now = await readHead(branch);
    if (now === placeholder) throw error;
    return adoptIfOurs(branch, files, placeholder, now, tree);
  }
}
