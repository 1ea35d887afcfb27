import { GitHubError, notFound, validationFailed } from '../errors.js';
import type { EntryMode, GitPerson, TreeChange } from '../git-store.js';
import { json, stringField, type Route } from '../http.js';
import { assertWorkflowsWritable } from '../workflows.js';
import { sendPush } from '../push-events.js';
import { accessRepository, actor, requireNonEmpty, senderOf } from './repository-access.js';

function person(value: unknown, fallback: GitPerson): GitPerson {
  if (typeof value !== 'object' || value === null) return fallback;
  const record = value as Record<string, unknown>;
  return {
    name: typeof record.name === 'string' ? record.name : fallback.name,
    email: typeof record.email === 'string' ? record.email : fallback.email,
    date: typeof record.date === 'string' ? record.date : fallback.date,
  };
}

const MODES: Record<string, 'blob' | 'tree' | 'commit'> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

/** GitHub's git data API: blobs, trees, commits and refs (reading trees: git-trees.ts). */
export const gitDataRoutes: Route[] = [
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/blobs',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'write');
      requireNonEmpty(repo);
      const content = stringField(request.body, 'content');
      const encoding = stringField(request.body, 'encoding') ?? 'utf-8';
      if (content === undefined) {
        throw validationFailed('Invalid request.', [
          { resource: 'Blob', code: 'missing_field', field: 'content' },
        ]);
      }
      if (encoding !== 'utf-8' && encoding !== 'base64') {
        throw validationFailed(`encoding must be utf-8 or base64`, []);
      }
      const sha = repo.git.putBlob(Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
      return json(201, context.serializer.blob(repo, sha));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/trees',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'write');
      requireNonEmpty(repo);
      const entries = request.body?.tree;
      const baseTree = stringField(request.body, 'base_tree');
      if (!Array.isArray(entries)) {
        throw validationFailed('Invalid tree info', [
          { resource: 'Tree', code: 'missing_field', field: 'tree' },
        ]);
      }
      if (baseTree !== undefined && !repo.git.trees.has(baseTree))
        throw validationFailed('base_tree is not a valid tree oid', []);
      const changes: TreeChange[] = entries.map((raw: unknown) => {
        const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        const path = typeof entry.path === 'string' ? entry.path : '';
        const mode = (typeof entry.mode === 'string' ? entry.mode : '') as EntryMode;
        const type = MODES[mode];
        if (!path || !type || entry.type !== type) throw validationFailed('Invalid tree info', []);
        if (typeof entry.content === 'string') {
          return { path, mode, type, sha: repo.git.putBlob(Buffer.from(entry.content)) };
        }
        if (entry.sha === null) {
          // Deleting what the base tree does not hold: GitHub's git backend refuses the whole tree.
          if (!repo.git.entryAt(baseTree, path)) throw new GitHubError(422, 'GitRPC::BadObjectState');
          return { path, mode, type, sha: null };
        }
        const sha = typeof entry.sha === 'string' ? entry.sha : '';
        const exists =
          type === 'blob' ? repo.git.blobs.has(sha) : type === 'tree' ? repo.git.trees.has(sha) : true;
        if (!exists) throw validationFailed(`tree.sha ${sha} is not a valid ${type}`, []);
        return { path, mode, type, sha };
      });
      const sha = repo.git.buildTree(baseTree, changes);
      return json(201, context.serializer.tree(repo, sha, repo.git.trees.get(sha) ?? []));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/commits',
    kind: 'rest',
    handle: (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'contents', 'write');
      requireNonEmpty(repo);
      const message = stringField(request.body, 'message');
      const tree = stringField(request.body, 'tree');
      const parents = request.body?.parents ?? [];
      if (message === undefined || tree === undefined) {
        throw validationFailed('Invalid request.', [
          { resource: 'Commit', code: 'missing_field', field: message === undefined ? 'message' : 'tree' },
        ]);
      }
      if (!repo.git.trees.has(tree)) throw validationFailed('Tree SHA does not exist', []);
      if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string' || !repo.git.commits.has(p))) {
        throw validationFailed('Parent SHA does not exist or is not a commit object', []);
      }
      const who = actor(context, credential);
      const author = person(request.body?.author, who);
      const commit = repo.git.putCommit({
        tree,
        parents: parents as string[],
        message,
        author,
        committer: person(request.body?.committer, author),
      });
      return json(201, context.serializer.gitCommit(repo, commit));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/commits/{commit_sha}',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'read');
      requireNonEmpty(repo);
      const commit = repo.git.commits.get(request.params.commit_sha ?? '');
      if (!commit) throw notFound();
      return json(200, context.serializer.gitCommit(repo, commit));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/refs',
    kind: 'rest',
    handle: async (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'contents', 'write');
      requireNonEmpty(repo);
      const ref = stringField(request.body, 'ref') ?? '';
      const sha = stringField(request.body, 'sha') ?? '';
      if (!/^refs\/[^/]+\/.+/.test(ref))
        throw validationFailed("ref must start with 'refs' and have at least two slashes.", []);
      if (!repo.git.commits.has(sha)) throw validationFailed('Object does not exist', []);
      if (repo.git.refs.has(ref)) throw validationFailed('Reference already exists', []);
      assertWorkflowsWritable(context, credential, repo, sha);
      repo.git.refs.set(ref, sha);
      repo.pushedAt = context.world.clock.iso();
      // GitHub sends `push` for every ref update (the answer waits for it here: local order is kept).
      await sendPush(context, { repo, ref, before: null, after: sha, sender: senderOf(context, credential) });
      return json(201, context.serializer.ref(repo, ref, sha));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/ref/{ref+}',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'read');
      requireNonEmpty(repo);
      const ref = `refs/${request.params.ref ?? ''}`;
      const sha = repo.git.refs.get(ref);
      if (!sha) throw notFound();
      return json(200, context.serializer.ref(repo, ref, sha));
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/git/refs/{ref+}',
    kind: 'rest',
    handle: async (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'contents', 'write');
      requireNonEmpty(repo);
      const ref = `refs/${request.params.ref ?? ''}`;
      const sha = stringField(request.body, 'sha') ?? '';
      const current = repo.git.refs.get(ref);
      if (!current) throw validationFailed('Reference does not exist', []);
      if (!repo.git.commits.has(sha)) throw validationFailed('Object does not exist', []);
      const fastForward = repo.git.history(sha).some((commit) => commit.sha === current);
      if (!fastForward && request.body?.force !== true)
        throw validationFailed('Update is not a fast forward', []);
      assertWorkflowsWritable(context, credential, repo, sha);
      repo.git.refs.set(ref, sha);
      repo.pushedAt = context.world.clock.iso();
      if (sha !== current)
        await sendPush(context, {
          repo,
          ref,
          before: current,
          after: sha,
          sender: senderOf(context, credential),
        });
      return json(200, context.serializer.ref(repo, ref, sha));
    },
  },
];
