import { GitHubError, notAccessibleByIntegration, notFound, validationFailed } from '../errors.js';
import type { GitPerson } from '../git-store.js';
import { requireToken, type Credential, type EmulatorContext, type EmulatorRequest } from '../http.js';
import type { RepositorySender } from '../repository-events.js';
import {
  grants,
  type EmulatedAccount,
  type EmulatedInstallation,
  type EmulatedRepository,
  type World,
} from '../world.js';

/*
 * Who reaches a repository with a token, who acts with it, and GitHub's rules for a new repository's
 * name: shared by the repository, git data, template and settings handlers.
 */

export type TokenCredential = Extract<Credential, { kind: 'user_token' } | { kind: 'installation_token' }>;

const emptyRepository = () => new GitHubError(409, 'Git Repository is empty.');

/** The installation that a token acts through for `accountId`, or undefined when it has none there. */
export function installationFor(context: EmulatorContext, credential: TokenCredential, accountId: number) {
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

export function requireNonEmpty(repo: EmulatedRepository) {
  if (repo.git.isEmpty()) throw emptyRepository();
}
