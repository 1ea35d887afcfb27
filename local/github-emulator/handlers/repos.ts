import { GitHubError, notAccessibleByIntegration, notFound, validationFailed } from '../errors.js';
import type { EntryMode, GitPerson, TreeChange } from '../git-store.js';
import {
  json,
  requireToken,
  requireUser,
  stringField,
  type Credential,
  type EmulatorContext,
  type EmulatorRequest,
  type Route,
} from '../http.js';
import {
  grants,
  type EmulatedAccount,
  type EmulatedInstallation,
  type EmulatedRepository,
  type World,
} from '../world.js';
import { sendRepositoryEvent, type RepositorySender } from '../repository-events.js';
import { paginate } from './paginate.js';
import { assertWorkflowsWritable } from '../workflows.js';

type TokenCredential = Extract<Credential, { kind: 'user_token' } | { kind: 'installation_token' }>;

const emptyRepository = () => new GitHubError(409, 'Git Repository is empty.');

/** The installation that a token acts through for `accountId`, or undefined when it has none there. */
function installationFor(context: EmulatorContext, credential: TokenCredential, accountId: number) {
  if (credential.kind === 'installation_token') {
    return credential.installation.accountId === accountId ? credential.installation : undefined;
  }
  if (!context.world.reachableAccountIds(credential.user.id).has(accountId)) return undefined;
  return context.world.installationFor(credential.token.appId, accountId);
}

function coversRepository(
  installation: EmulatedInstallation,
  credential: TokenCredential,
  repo: EmulatedRepository,
) {
  if (installation.repositorySelection === 'selected' && !installation.selectedRepositoryIds.has(repo.id))
    return false;
  if (credential.kind === 'installation_token' && credential.token.repositoryIds) {
    return credential.token.repositoryIds.has(repo.id);
  }
  return true;
}

/**
 * Finds a repository the caller may use with `permission` at `level`, answering as GitHub would
 * otherwise. Writes to an archived repository are refused as GitHub refuses them (403, read-only).
 */
export function accessRepository(
  request: EmulatorRequest,
  context: EmulatorContext,
  permission: 'contents' | 'administration' | 'metadata',
  level: 'read' | 'write',
  /** Settings routes decide themselves: an archived repository may still be unarchived or deleted. */
  options: { archivedWritable?: boolean } = {},
): { repo: EmulatedRepository; credential: TokenCredential } {
  const repo = context.world.repository(request.params.owner ?? '', request.params.repo ?? '');
  const credential = requireToken(request);
  if (!repo) throw notFound();
  const installation = installationFor(context, credential, repo.ownerId);
  if (!installation || installation.suspendedAt || !coversRepository(installation, credential, repo)) {
    throw notFound();
  }
  const granted =
    credential.kind === 'installation_token' ? credential.token.permissions : installation.permissions;
  const effective = permission === 'metadata' ? true : grants(granted, permission, level);
  if (!effective) throw notAccessibleByIntegration();
  if (level === 'write' && repo.archived && !options.archivedWritable)
    throw new GitHubError(403, 'Repository was archived so is read-only.');
  return { repo, credential };
}

export function actor(context: EmulatorContext, credential: TokenCredential): GitPerson {
  const date = context.world.clock.iso();
  if (credential.kind === 'user_token') {
    return { name: credential.user.name ?? credential.user.login, email: credential.user.email ?? '', date };
  }
  const app = context.world.apps.get(credential.installation.appId);
  const slug = app?.slug ?? 'app';
  return { name: `${slug}[bot]`, email: `${app?.id ?? 0}+${slug}[bot]@users.noreply.github.com`, date };
}

function person(value: unknown, fallback: GitPerson): GitPerson {
  if (typeof value !== 'object' || value === null) return fallback;
  const record = value as Record<string, unknown>;
  return {
    name: typeof record.name === 'string' ? record.name : fallback.name,
    email: typeof record.email === 'string' ? record.email : fallback.email,
    date: typeof record.date === 'string' ? record.date : fallback.date,
  };
}

/** Who acts with a token, as GitHub names the sender of the events it causes: the user, or the App. */
export function senderOf(context: EmulatorContext, credential: TokenCredential): RepositorySender {
  if (credential.kind === 'user_token') return credential.user;
  return (
    context.world.apps.get(credential.installation.appId) ??
    context.world.account(credential.installation.accountId)
  );
}

/**
 * The name a new repository gets in `owner`, by GitHub's rules: characters it does not allow become
 * "-" (rather than refusing the name); at most 100; not `.`/`..`; not taken (422 otherwise).
 */
export function newRepositoryName(request: EmulatorRequest, world: World, owner: EmulatedAccount): string {
  const rawName = request.body?.name;
  if (typeof rawName !== 'string' || rawName.trim() === '') {
    throw validationFailed('Repository creation failed.', [
      { resource: 'Repository', code: 'missing_field', field: 'name' },
    ]);
  }
  const name = rawName.trim().replace(/[^A-Za-z0-9._-]/g, '-');
  const nameError = (message: string) =>
    validationFailed('Repository creation failed.', [
      { resource: 'Repository', code: 'custom', field: 'name', message },
    ]);
  if (name.length > 100) throw nameError('name is too long (maximum is 100 characters)');
  if (name === '.' || name === '..') throw nameError('name is reserved');
  if (world.repository(owner.login, name)) throw nameError('name already exists on this account');
  return name;
}

/**
 * Creates a repository as POST /user/repos and POST /orgs/{org}/repos do, with GitHub's name rules,
 * and sends the `repository` `created` event.
 */
async function createRepository(
  request: EmulatorRequest,
  context: EmulatorContext,
  owner: EmulatedAccount,
  credential: TokenCredential,
  installation: EmulatedInstallation,
) {
  const { world, serializer } = context;
  const name = newRepositoryName(request, world, owner);

  const description = stringField(request.body, 'description') ?? null;
  const repo = world.createRepository({
    ownerId: owner.id,
    name,
    description,
    private: request.body?.private === true,
  });
  if (installation.repositorySelection === 'selected') installation.selectedRepositoryIds.add(repo.id);
  if (credential.kind === 'installation_token') credential.token.repositoryIds?.add(repo.id);
  if (request.body?.auto_init === true) {
    const readme = repo.git.putBlob(Buffer.from(`# ${name}\n${description ? `\n${description}\n` : ''}`));
    const tree = repo.git.buildTree(undefined, [
      { path: 'README.md', mode: '100644', type: 'blob', sha: readme },
    ]);
    const who = actor(context, credential);
    const commit = repo.git.putCommit({
      tree,
      parents: [],
      message: 'Initial commit',
      author: who,
      committer: who,
    });
    repo.git.refs.set(`refs/heads/${repo.defaultBranch}`, commit.sha);
    repo.pushedAt = world.clock.iso();
  }
  await sendRepositoryEvent(context, { action: 'created', repo, sender: senderOf(context, credential) });
  return json(201, serializer.repository(repo));
}

function requireNonEmpty(repo: EmulatedRepository) {
  if (repo.git.isEmpty()) throw emptyRepository();
}

export function headOf(repo: EmulatedRepository, ref: string | null): string | undefined {
  const name = ref ?? repo.defaultBranch;
  if (/^[0-9a-f]{40}$/.test(name) && repo.git.commits.has(name)) return name;
  return (
    repo.git.refs.get(name.startsWith('refs/') ? name : `refs/heads/${name}`) ??
    repo.git.refs.get(`refs/tags/${name}`)
  );
}

const MODES: Record<string, 'blob' | 'tree' | 'commit'> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

export const repoRoutes: Route[] = [
  {
    method: 'POST',
    template: '/user/repos',
    kind: 'rest',
    handle: (request, context) => {
      const credential = requireUser(request);
      const installation = context.world.installationFor(credential.token.appId, credential.user.id);
      // A user-to-server token acts within the App's installation on the user's own account.
      if (
        !installation ||
        installation.suspendedAt ||
        !grants(installation.permissions, 'administration', 'write')
      ) {
        throw notAccessibleByIntegration();
      }
      return createRepository(request, context, credential.user, credential, installation);
    },
  },
  {
    method: 'POST',
    template: '/orgs/{org}/repos',
    kind: 'rest',
    handle: (request, context) => {
      const credential = requireToken(request);
      const org = context.world.accountByLogin(request.params.org ?? '');
      if (!org) throw notFound();
      // An installation token cannot create repositories on a personal account: GitHub refuses it.
      if (org.type !== 'Organization') {
        if (credential.kind === 'installation_token') throw notAccessibleByIntegration();
        throw notFound();
      }
      const installation = installationFor(context, credential, org.id);
      if (!installation || installation.suspendedAt) throw notAccessibleByIntegration();
      const granted =
        credential.kind === 'installation_token' ? credential.token.permissions : installation.permissions;
      if (!grants(granted, 'administration', 'write')) throw notAccessibleByIntegration();
      return createRepository(request, context, org, credential, installation);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    kind: 'rest',
    handle: (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'metadata', 'read');
      const viewer = credential.kind === 'user_token' ? credential.user.id : undefined;
      return json(200, context.serializer.repository(repo, viewer));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'read');
      requireNonEmpty(repo);
      const head = headOf(repo, request.url.searchParams.get('sha'));
      if (!head) throw notFound();
      const { items, headers } = paginate(request, repo.git.history(head));
      return json(
        200,
        items.map((commit) => context.serializer.commit(repo, commit)),
        headers,
      );
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/contents/{path+}',
    kind: 'rest',
    handle: (request, context) => {
      const { repo } = accessRepository(request, context, 'contents', 'read');
      if (repo.git.isEmpty()) throw new GitHubError(404, 'This repository is empty.');
      const ref = request.url.searchParams.get('ref');
      const head = headOf(repo, ref);
      if (!head) throw new GitHubError(404, `No commit found for the ref ${ref ?? repo.defaultBranch}`);
      const path = request.params.path ?? '';
      const found = repo.git.resolvePath(head, path);
      if (!found) throw notFound();
      const refName = ref ?? repo.defaultBranch;
      return found.kind === 'blob'
        ? json(200, context.serializer.contentFile(repo, path, found.sha, found.content, refName))
        : json(200, context.serializer.contentDirectory(repo, path, found.entries, refName));
    },
  },
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
    handle: (request, context) => {
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
    handle: (request, context) => {
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
      return json(200, context.serializer.ref(repo, ref, sha));
    },
  },
];
