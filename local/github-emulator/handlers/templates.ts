import { GitHubError, notAccessibleByIntegration, notFound } from '../errors.js';
import type { GitRepository } from '../git-store.js';
import {
  json,
  requireToken,
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
import { refuseNarrowedToken } from './repos.js';
import { accessRepository, actor, newRepositoryName, senderOf } from './repository-access.js';

type TokenCredential = ReturnType<typeof requireToken>;

/**
 * The template, as GitHub finds it for this caller: a public repository is readable by any token
 * (installation tokens read public repositories anywhere); a private one only through an installation
 * that covers it, exactly as other repository reads (accessRepository). A repository that is not
 * marked as a template answers 404, as GitHub does: there is nothing to generate from.
 */
function findTemplate(request: EmulatorRequest, context: EmulatorContext): EmulatedRepository {
  const owner = request.params.template_owner ?? '';
  const name = request.params.template_repo ?? '';
  const candidate = context.world.repository(owner, name);
  let template: EmulatedRepository | undefined;
  if (candidate && !candidate.private) {
    requireToken(request);
    template = candidate;
  } else {
    template = accessRepository(
      { ...request, params: { owner, repo: name } },
      context,
      'contents',
      'read',
    ).repo;
  }
  if (!template.isTemplate) throw notFound();
  return template;
}

/**
 * Where the caller may create: an installation token only in its own installation's account and only
 * an organisation (GitHub never lets an installation create in a personal account); a user token in
 * the user's own account or an organisation they belong to, through the App's installation there.
 */
function targetOf(
  request: EmulatorRequest,
  context: EmulatorContext,
  credential: TokenCredential,
): { owner: EmulatedAccount; installation: EmulatedInstallation } {
  const { world } = context;
  const login = stringField(request.body, 'owner');
  const defaultOwner =
    credential.kind === 'installation_token'
      ? world.account(credential.installation.accountId)
      : credential.user;
  const owner = login === undefined ? defaultOwner : world.accountByLogin(login);
  if (!owner) throw notFound();
  refuseNarrowedToken(credential);
  let installation: EmulatedInstallation | undefined;
  if (credential.kind === 'installation_token') {
    if (owner.type === 'Organization' && owner.id === credential.installation.accountId)
      installation = credential.installation;
  } else if (owner.id === credential.user.id || owner.memberIds.has(credential.user.id)) {
    installation = world.installationFor(credential.token.appId, owner.id);
  }
  if (!installation || installation.suspendedAt) throw notAccessibleByIntegration();
  const granted =
    credential.kind === 'installation_token' ? credential.token.permissions : installation.permissions;
  if (!grants(granted, 'administration', 'write')) throw notAccessibleByIntegration();
  return { owner, installation };
}

/** Copies a tree and everything under it (subtrees, blobs) from one repository's objects to another's. */
function copyTree(from: GitRepository, to: GitRepository, sha: string): void {
  if (to.trees.has(sha)) return;
  const entries = from.trees.get(sha) ?? [];
  for (const entry of entries) {
    if (entry.type === 'tree') copyTree(from, to, entry.sha);
    else if (entry.type === 'blob') {
      const blob = from.blobs.get(entry.sha);
      if (blob) to.putBlob(blob);
    }
  }
  to.putTree(entries);
}

export const templateRoutes: Route[] = [
  {
    method: 'POST',
    template: '/repos/{template_owner}/{template_repo}/generate',
    kind: 'rest',
    handle: async (request, context) => {
      const { world, serializer } = context;
      const credential = requireToken(request);
      const template = findTemplate(request, context);
      const { owner, installation } = targetOf(request, context, credential);

      // As for POST /orgs/{org}/repos.
      const name = newRepositoryName(request, world, owner);
      if (template.git.isEmpty()) throw new GitHubError(409, 'Git Repository is empty.');

      const repo = world.createRepository({
        ownerId: owner.id,
        name,
        description: stringField(request.body, 'description') ?? null,
        private: request.body?.private === true,
      });
      repo.defaultBranch = template.defaultBranch;
      repo.templateRepositoryId = template.id;
      // A fresh history: one "Initial commit" per branch, holding that branch's tree of the template.
      const who = actor(context, credential);
      const branches =
        request.body?.include_all_branches === true
          ? [...template.git.refs].filter(([ref]) => ref.startsWith('refs/heads/'))
          : [
              [
                `refs/heads/${template.defaultBranch}`,
                template.git.refs.get(`refs/heads/${template.defaultBranch}`),
              ],
            ];
      for (const [ref, head] of branches) {
        const tree = head ? template.git.commits.get(head)?.tree : undefined;
        if (!ref || !tree) continue;
        copyTree(template.git, repo.git, tree);
        const commit = repo.git.putCommit({
          tree,
          parents: [],
          message: 'Initial commit',
          author: who,
          committer: who,
        });
        repo.git.refs.set(ref, commit.sha);
      }
      // The App made it: it joins an installation's selected repositories (as POST /orgs/{org}/repos).
      if (installation.repositorySelection === 'selected') installation.selectedRepositoryIds.add(repo.id);
      await sendRepositoryEvent(context, { action: 'created', repo, sender: senderOf(context, credential) });
      return json(201, serializer.repository(repo));
    },
  },
];
