import { GitHubError, notAccessibleByIntegration, notFound } from '../errors.js';
import {
  json,
  requireToken,
  requireUser,
  stringField,
  type EmulatorContext,
  type EmulatorRequest,
  type Route,
} from '../http.js';
import {
  grants,
  type EmulatedAccount,
  type EmulatedInstallation,
  type EmulatedRepository,
} from '../world.js';
import { sendRepositoryEvent } from '../repository-events.js';
import { paginate } from './paginate.js';
import {
  accessRepository,
  actor,
  installationFor,
  newRepositoryName,
  requireNonEmpty,
  senderOf,
  type TokenCredential,
} from './repository-access.js';

/**
 * Creating or generating a repository with an installation token narrowed to repositories
 * (`repositories`/`repository_ids` when minted): refused, 403 as any call the token does not allow.
 * GitHub does not document that such a token may create one, nor that it gains the repository it
 * creates, so the emulator allows neither and no caller can come to rely on it.
 */
export function refuseNarrowedToken(credential: TokenCredential): void {
  if (credential.kind === 'installation_token' && credential.token.repositoryIds)
    throw notAccessibleByIntegration();
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
  // The App made it: it joins an installation's selected repositories. The token that made it gains
  // nothing (it names no repository: see refuseNarrowedToken).
  if (installation.repositorySelection === 'selected') installation.selectedRepositoryIds.add(repo.id);
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

export function headOf(repo: EmulatedRepository, ref: string | null): string | undefined {
  const name = ref ?? repo.defaultBranch;
  if (/^[0-9a-f]{40}$/.test(name) && repo.git.commits.has(name)) return name;
  return (
    repo.git.refs.get(name.startsWith('refs/') ? name : `refs/heads/${name}`) ??
    repo.git.refs.get(`refs/tags/${name}`)
  );
}

/** Creating repositories, reading one, its commits and its contents (the git data is in git-data.ts). */
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
      refuseNarrowedToken(credential);
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
];
