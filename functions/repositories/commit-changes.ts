import type { Caller } from '../shared/auth/sessions.js';
import { AppError, BadRequestError, NotFoundError } from '../shared/errors.js';
import { domainEvent, stableEventId, type EventOrigin } from '../shared/events/domain-event.js';
import { writeEventOnce } from '../shared/store/event-outbox.js';
import { coAuthorTrailer, withoutForeignTrailers } from '../shared/git/trailers.js';
import { touchesWorkflows, workflowsRefusal } from '../shared/git/workflows.js';
import { isGitHubStatus } from '../shared/github/github.js';
import { repositoryArchived, resolveLinkedRepository, type LinkedRepository } from './repository-access.js';
import { assertCommitAllowed } from './commit-allowed.js';
import { getServices } from '../shared/services.js';
import type { CommitFile, CommitRequest } from './commit-request.js';
import { requestOrigin } from '../shared/events/request-origin.js';

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

/** A branch's head commit as GitHub's branch answer describes it (enough to tell whether it is ours). */
type BranchHead = { sha: string; tree: string; parents: string[]; message: string; htmlUrl: string };

/**
 * A branch's head and that commit's tree, parents and message in one call, or undefined when there is
 * no such branch (GitHub's 404 "Branch not found", also for an empty repository). Any other 404 is the
 * repository's own (gone, or removed from the installation) and is left to `withToken`.
 */
async function readBranch(git: Git, branch: string): Promise<BranchHead | undefined> {
  const { github, base } = call(git);
  try {
    const { data } = await github('GET /repos/{owner}/{repo}/branches/{branch}', { ...base, branch });
    return {
      sha: data.commit.sha,
      tree: data.commit.commit.tree.sha,
      parents: data.commit.parents.map((parent) => parent.sha),
      message: data.commit.commit.message,
      htmlUrl: data.commit.html_url,
    };
  } catch (error) {
    if (isGitHubStatus(error, 404) && /branch not found/i.test((error as Error).message)) return undefined;
    throw error;
  }
}

/**
 * What this request makes: its message, and its changes (tree entries) applied to a parent's tree. A
 * commit is "ours" when it is exactly that: one parent, our message, our changes on that parent's tree.
 */
type Ours = { message: string; entries: TreeEntry[] };

const sameMessage = (a: string, b: string) => a.trimEnd() === b.trimEnd();

/**
 * Whether `head` is the commit this very request made earlier (a retry whose answer was lost): one
 * parent, which is `expectedParent` when the caller named one, our message, and our changes applied to
 * that parent's tree. Bounded: nothing unless parent and message match, then the parent's commit and
 * one tree (never a walk through history).
 */
async function isOurCommit(
  git: Git,
  head: BranchHead,
  ours: Ours,
  expectedParent: string | undefined,
): Promise<boolean> {
  const [parent] = head.parents;
  if (head.parents.length !== 1 || parent === undefined) return false;
  if (expectedParent !== undefined && parent !== expectedParent) return false;
  if (!sameMessage(head.message, ours.message)) return false;
  const { github, base } = call(git);
  const { data } = await github('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
    ...base,
    commit_sha: parent,
  });
  try {
    return (await createTree(git, data.tree.sha, ours.entries)) === head.tree;
  } catch (error) {
    // Our changes do not even apply to that parent (a deletion of a path it lacks): not ours.
    if (error instanceof BadRequestError) return false;
    throw error;
  }
}

/**
 * Where the commit goes on top of: the branch's head, or for a new branch the head of its base. When
 * the branch's head is already this request's own commit (an earlier attempt landed, its answer was
 * lost), that commit is the answer (`done`): a retry never commits twice, and never calls its own
 * commit a moved head.
 */
async function startingPoint(
  git: Git,
  request: CommitRequest,
  ours: Promise<Ours>,
): Promise<{ parent: string; tree: string; exists: boolean; done?: BranchHead }> {
  const { github, base } = call(git);
  const head = await readBranch(git, request.branch);
  if (head !== undefined) {
    const moved = request.expectedHeadSha !== undefined && request.expectedHeadSha !== head.sha;
    // For a new branch the expected head is its base's head: the parent our commit was made on, too.
    if (moved || request.expectedHeadSha === undefined) {
      if (await isOurCommit(git, head, await ours, request.expectedHeadSha))
        return { ...startOf(head), done: head };
    }
    if (moved) throw new HeadMovedError(request.branch, head.sha);
    return startOf(head);
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

const startOf = (head: BranchHead) => ({ parent: head.sha, tree: head.tree, exists: true });

type TreeEntry = Awaited<ReturnType<typeof treeEntries>>[number];

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

/** `entries` on top of `baseTree`: the tree's sha. */
async function createTree(git: Git, baseTree: string, entries: TreeEntry[]): Promise<string> {
  const { github, base } = call(git);
  try {
    const { data } = await github('POST /repos/{owner}/{repo}/git/trees', {
      ...base,
      base_tree: baseTree,
      tree: entries,
    });
    return data.sha;
  } catch (error) {
    // GitHub refuses a tree that deletes a path it does not hold.
    if (isGitHubStatus(error, 422) && entries.some((entry) => entry.sha === null))
      throw new BadRequestError(
        'invalid_deletion',
        'A path to delete is not a file in the branch (GitHub refused the tree).',
      );
    throw error;
  }
}

/**
 * Points the branch at `commit`, only as a fast forward from `start.parent` (or creates it), never
 * forcing. GitHub's refusal (422 "Update is not a fast forward" / "Reference already exists") is read
 * against the head now: our own commit (this one, or an identical one a concurrent retry of this
 * request made on the same parent) → done, with that commit; moved by someone else → 409 `head_moved`;
 * not moved at all (a refusal for another reason) → tried once more, then GitHub's error stands.
 */
async function moveBranch(
  git: Git,
  branch: string,
  start: { parent: string; exists: boolean },
  commit: { sha: string; tree: string; message: string; htmlUrl: string },
): Promise<{ sha: string; htmlUrl: string }> {
  const { github, base } = call(git);
  const update = () =>
    start.exists
      ? github('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
          ...base,
          ref: `heads/${branch}`,
          sha: commit.sha,
          force: false,
        })
      : github('POST /repos/{owner}/{repo}/git/refs', {
          ...base,
          ref: `refs/heads/${branch}`,
          sha: commit.sha,
        });
  for (let attempt = 1; ; attempt++) {
    try {
      await update();
      return commit;
    } catch (error) {
      if (!isGitHubStatus(error, 422)) throw error;
      // GitHub's refusal of a workflow change is final: the head need not be read again.
      if (/refusing to allow .*workflow/i.test((error as Error).message)) throw error;
      const now = await readBranch(git, branch);
      if (now?.sha === commit.sha) return commit;
      if (
        now !== undefined &&
        now.parents.length === 1 &&
        now.parents[0] === start.parent &&
        now.tree === commit.tree &&
        sameMessage(now.message, commit.message)
      )
        return now;
      const unmoved = start.exists ? now?.sha === start.parent : now === undefined;
      if (!unmoved) throw new HeadMovedError(branch, now?.sha ?? null);
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
 * 5 or 6 + blobs. A retry whose earlier attempt landed (answer lost) finds its own commit at the head:
 * the branch, the parent's commit and one tree (+ blobs), and answers with it (`isOurCommit`).
 */
export async function commitChanges(
  caller: Caller,
  accountId: string,
  owner: string,
  repo: string,
  request: CommitRequest,
  /** The request's id (`x-request-id`): repository.committed's correlationId. */
  correlationId: string,
): Promise<CommitAnswer> {
  const [repository, profile] = await Promise.all([
    resolveLinkedRepository(caller, accountId, owner, repo),
    getServices().users.getProfile(caller.userId),
  ]);
  const coAuthor = { id: caller.userId, login: profile?.login ?? repository.member.login };
  const origin = requestOrigin({ requestId: correlationId }, coAuthor);
  // Only a commit under .github/workflows/ asks for (and needs the installation to grant) workflows.
  const workflows = touchesWorkflows([...request.files.map((file) => file.path), ...request.deletions]);
  const permissions: Record<string, 'write'> = workflows
    ? { contents: 'write', workflows: 'write' }
    : { contents: 'write' };
  // Attribution trailers naming anyone but the caller are dropped (and listed in the answer).
  const { message, removedTrailers } = withoutForeignTrailers(request.message, coAuthor);
  // The repository's id (for repository.committed), if the repository index holds it, read beside the
  // commit policy's checks.
  const [indexedId] = await Promise.all([
    getServices().repositoryIndex.idByName(
      repository.installation.id,
      `${repository.owner}/${repository.repo}`,
    ),
    assertCommitAllowed(caller, repository, request, permissions),
  ]);
  try {
    const committed = await commitWith(repository, permissions, { ...request, message }, coAuthor, {
      accountId,
      origin,
      indexedId,
    });
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
  report: { accountId: string; origin: EventOrigin; indexedId: number | undefined },
): Promise<Omit<CommitAnswer, 'removedTrailers'>> {
  return repository.withToken(permissions, async (token) => {
    const git = { repository, token };
    const { github, base } = call(git);
    const message = withCoAuthor(request.message, coAuthor);
    // Not in the index (just linked, not reconciled yet): GitHub's id is read beside the commit's first
    // round trip, and awaited only once the commit is made.
    const repositoryId =
      report.indexedId === undefined ? repositoryIdAtGitHub(git) : Promise.resolve(report.indexedId);
    repositoryId.catch(() => undefined);
    // Blobs do not depend on the head: made while it is read (unreachable if the commit goes no further).
    const ours = treeEntries(git, request.files, request.deletions).then((entries) => ({ message, entries }));
    const [start, { entries }] = await Promise.all([startingPoint(git, request, ours), ours]);
    const fileCount = request.files.length + request.deletions.length;
    const committed = async (made: { sha: string; htmlUrl: string }, parentSha: string) => {
      await reportCommitted(git, report, await repositoryId, {
        sha: made.sha,
        parentSha,
        branch: request.branch,
        fileCount,
      });
      return { sha: made.sha, htmlUrl: made.htmlUrl, branch: request.branch };
    };
    if (start.done) return committed(start.done, start.done.parents[0] ?? start.parent);
    const tree = await createTree(git, start.tree, entries);
    const { data: commit } = await github('POST /repos/{owner}/{repo}/git/commits', {
      ...base,
      message,
      tree,
      parents: [start.parent],
    });
    const moved = await moveBranch(git, request.branch, start, {
      sha: commit.sha,
      tree,
      message,
      htmlUrl: commit.html_url,
    });
    return committed(moved, start.parent);
  });
}

/**
 * repository.committed, once the commit is known made (on the branch). The commit happens at GitHub,
 * not in the table, so there is no change to share a transaction with: the event's id is derived from
 * the repository and the commit (stableEventId) and written with the outbox's own condition, so each
 * commit is reported exactly once however often it is reported: a retry that recognises its own commit
 * (its answer was lost, or the event's write failed and the request answered 5xx) writes it if it is
 * missing, and nothing if it is there. An Idempotency-Key replay runs none of this. If the write fails,
 * the request fails (5xx) though the commit stands: the client's retry finds its commit and reports it.
 */
async function reportCommitted(
  git: Git,
  report: { accountId: string; origin: EventOrigin },
  id: number,
  commit: { sha: string; parentSha: string; branch: string; fileCount: number },
): Promise<void> {
  const { table } = getServices();
  const { repository } = git;
  const installationId = repository.installation.id;
  const event = domainEvent(
    'repository.committed',
    report.origin,
    [report.accountId],
    {
      repository: { id, owner: repository.owner, name: repository.repo, installationId },
      branch: commit.branch,
      sha: commit.sha,
      parentSha: commit.parentSha,
      fileCount: commit.fileCount,
    },
    { eventId: stableEventId('repository.committed', id, commit.sha) },
  );
  await writeEventOnce(table, event);
}

/** GitHub's id of the repository (names change), when the repository index does not hold it: one call. */
async function repositoryIdAtGitHub(git: Git): Promise<number> {
  const { github, base } = call(git);
  const { data } = await github('GET /repos/{owner}/{repo}', base);
  return Number(data.id);
}
