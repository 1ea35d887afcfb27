import type { Caller } from '../shared/auth/sessions.js';
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../shared/errors.js';
import { pathProblem } from '../shared/git/verify-path.js';
import { refNameProblem } from '../shared/git/ref-name.js';
import { isGitHubStatus } from '../shared/github/github.js';
import { resolveLinkedRepository, type LinkedRepository } from './repository-access.js';
import { getServices } from '../shared/services.js';

/**
 * Files are answered whole, base64, inside one Lambda response (6 MB at most): up to 4 MB of content
 * (about 5.4 MB once base64-encoded). GitHub's contents API leaves out the content of files over 1 MB;
 * those up to this limit are read as a blob instead (one more call), larger ones are 413.
 */
export const READ_LIMITS = { fileBytes: 4 * 1024 * 1024, pathLength: 1024 } as const;
const CONTENTS_INLINE_BYTES = 1024 * 1024;

export type TreeEntry = {
  path: string;
  type: 'blob' | 'tree' | 'commit';
  size?: number;
  sha: string;
  mode: string;
};
export type TreeAnswer = {
  ref?: string;
  /** The commit the tree belongs to: what a commit on top of this read passes as `expectedHeadSha`. */
  commitSha: string;
  sha: string;
  truncated: boolean;
  entries: TreeEntry[];
};

export type DirectoryEntry = {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'submodule';
  size: number;
  sha: string;
};
export type ContentsAnswer =
  | { type: 'file'; path: string; sha: string; size: number; encoding: 'base64'; content: string }
  | { type: 'dir'; path: string; entries: DirectoryEntry[] };

export const refNotFound = (ref: string | undefined) =>
  new NotFoundError(
    'ref_not_found',
    ref === undefined
      ? 'The repository has no commits yet.'
      : `No branch, tag or commit ${JSON.stringify(ref)} in the repository.`,
  );
const pathNotFound = (path: string) =>
  new NotFoundError('path_not_found', `Nothing at ${JSON.stringify(path)} in the repository.`);

/** A `?ref=` as Git would accept it (a branch, tag or commit SHA); absent means the default branch. */
export function checkRef(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  if (refNameProblem(ref)) {
    throw new BadRequestError(
      'invalid_ref',
      `${JSON.stringify(ref.slice(0, 100))} is not a valid branch, tag or commit name.`,
    );
  }
  return ref;
}

function checkReadPath(path: string): string {
  // The route's greedy `{path+}` may end in a slash for a directory: that names the same thing.
  const trimmed = path.replace(/\/+$/, '');
  const problem = pathProblem(trimmed, READ_LIMITS.pathLength);
  if (problem) {
    throw new BadRequestError(
      'invalid_path',
      `${JSON.stringify(path.slice(0, 100))} is not a valid path in a repository (${problem.replace(/_/g, ' ')}).`,
    );
  }
  return trimmed;
}

const auth = (token: string) => ({ authorization: `token ${token}` });

/** GitHub's 409 "Git Repository is empty.": nothing to read at any ref. */
function emptyOr(error: unknown, ref: string | undefined) {
  return isGitHubStatus(error, 409) ? refNotFound(ref) : error;
}

/**
 * The whole tree at `ref` (default branch when absent) and the commit it belongs to, so a client can
 * commit on top of what it read (`expectedHeadSha: commitSha`). Two GitHub calls: the ref's newest
 * commit (`GET …/commits?sha=<ref>&per_page=1`: any branch, tag or SHA, without the diff that
 * `GET …/commits/{ref}` would carry), then that commit's tree by its SHA (`recursive`), so the two
 * always agree however the branch moves meanwhile. GitHub's `truncated` is passed on (over 100,000
 * entries or 7 MB: then read directories with the contents route).
 */
export async function readTree(
  caller: Caller,
  accountId: string,
  owner: string,
  repo: string,
  rawRef: string | undefined,
): Promise<TreeAnswer> {
  const ref = checkRef(rawRef);
  const repository = await resolveLinkedRepository(caller, accountId, owner, repo);
  const { github } = getServices();
  return repository.withToken({ contents: 'read' }, async (token) => {
    const where = { owner: repository.owner, repo: repository.repo, headers: auth(token) };
    try {
      const { data: commits } = await github('GET /repos/{owner}/{repo}/commits', {
        ...where,
        ...(ref === undefined ? {} : { sha: ref }),
        per_page: 1,
      });
      const commit = commits[0];
      if (!commit) throw refNotFound(ref);
      const { data } = await github('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...where,
        tree_sha: commit.commit.tree.sha,
        recursive: '1',
      });
      return {
        ...(ref === undefined ? {} : { ref }),
        commitSha: commit.sha,
        sha: data.sha,
        truncated: data.truncated,
        entries: data.tree.map((entry) => ({
          path: entry.path,
          type: entry.type as TreeEntry['type'],
          ...(entry.size === undefined ? {} : { size: entry.size }),
          sha: entry.sha,
          mode: entry.mode,
        })),
      };
    } catch (error) {
      // 404 (no such ref) or 422 ("No commit found for SHA"): told apart from a removed repository.
      if (isGitHubStatus(error, 404) || isGitHubStatus(error, 422))
        return repository.notFoundAs(token, refNotFound(ref));
      throw emptyOr(error, ref);
    }
  });
}

type GitHubContentItem = {
  type: string;
  path: string;
  sha: string;
  size: number;
  content?: string;
  encoding?: string;
};

async function fileContent(
  repository: LinkedRepository,
  token: string,
  item: GitHubContentItem,
): Promise<string> {
  if (item.size > READ_LIMITS.fileBytes) {
    throw new PayloadTooLargeError(
      `${item.path} is ${item.size} bytes: files over ${READ_LIMITS.fileBytes / 1024 / 1024} MB cannot be read through this API.`,
      'file_too_large',
    );
  }
  if (item.encoding === 'base64' && item.content !== undefined && item.size <= CONTENTS_INLINE_BYTES) {
    return item.content.replace(/\n/g, '');
  }
  // Over 1 MB GitHub's contents API answers without the content (encoding "none"): the blob has it.
  const { data } = await getServices().github('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
    owner: repository.owner,
    repo: repository.repo,
    file_sha: item.sha,
    headers: auth(token),
  });
  return data.content.replace(/\n/g, '');
}

/** A file (content base64) or a directory (its entries; GitHub lists at most 1,000) at `path`. */
export async function readContents(
  caller: Caller,
  accountId: string,
  owner: string,
  repo: string,
  rawPath: string,
  rawRef: string | undefined,
): Promise<ContentsAnswer> {
  const path = checkReadPath(rawPath);
  const ref = checkRef(rawRef);
  const repository = await resolveLinkedRepository(caller, accountId, owner, repo);
  const { github } = getServices();
  return repository.withToken({ contents: 'read' }, async (token) => {
    let data: unknown;
    try {
      ({ data } = await github('GET /repos/{owner}/{repo}/contents/{path}', {
        owner: repository.owner,
        repo: repository.repo,
        path,
        ...(ref === undefined ? {} : { ref }),
        headers: auth(token),
      }));
    } catch (error) {
      if (isGitHubStatus(error, 404)) {
        // GitHub names a missing ref ("No commit found for the ref …"); any other 404 is the path's,
        // unless the repository itself is gone.
        const missingRef = /no commit found/i.test((error as Error).message);
        return repository.notFoundAs(token, missingRef ? refNotFound(ref) : pathNotFound(path));
      }
      throw emptyOr(error, ref);
    }
    if (Array.isArray(data)) {
      return {
        type: 'dir',
        path,
        entries: (data as GitHubContentItem[]).map((item) => ({
          path: item.path,
          type: item.type as DirectoryEntry['type'],
          size: item.size,
          sha: item.sha,
        })),
      };
    }
    const item = data as GitHubContentItem;
    // A symlink or submodule named directly is no file to hand out.
    if (item.type !== 'file') throw pathNotFound(path);
    return {
      type: 'file',
      path: item.path,
      sha: item.sha,
      size: item.size,
      encoding: 'base64',
      content: await fileContent(repository, token, item),
    };
  });
}
