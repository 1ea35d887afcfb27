import type {
  GithubAppAuthorizationEvent,
  InstallationEvent,
  InstallationRepositoriesEvent,
  InstallationTargetEvent,
} from '@octokit/webhooks-types';
import { toDetails, type GitHubInstallation } from '../shared/installations/github-installations.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { InstallationStore } from '../shared/store/installation-store.js';
import { deleteInstallationTokens } from '../shared/store/installation-token-cache.js';

export type Outcome = 'applied' | 'ignored';

const installations = () => new InstallationStore(getServices().table);

async function onInstallation(payload: InstallationEvent): Promise<Outcome> {
  const { table } = getServices();
  const details = toDetails(payload.installation as unknown as GitHubInstallation);
  switch (payload.action) {
    case 'deleted': {
      const unlinked = await installations().deleteInstallation(details.id, new Date().toISOString());
      await deleteInstallationTokens(table, details.id);
      logger.info('Installation deleted', { installationId: details.id, unlinkedAccounts: unlinked });
      return 'applied';
    }
    case 'created':
    case 'unsuspend':
      return (await installations().applyEventDetails(details)) ? 'applied' : 'ignored';
    case 'suspend':
    case 'new_permissions_accepted': {
      // Tokens minted before no longer match what the installation allows.
      const applied = await installations().applyEventDetails(details);
      await deleteInstallationTokens(table, details.id);
      return applied ? 'applied' : 'ignored';
    }
    default:
      return 'ignored';
  }
}

async function onInstallationRepositories(payload: InstallationRepositoriesEvent): Promise<Outcome> {
  const details = toDetails(payload.installation as unknown as GitHubInstallation);
  return (await installations().applyEventDetails({
    ...details,
    repositorySelection: payload.repository_selection,
  }))
    ? 'applied'
    : 'ignored';
}

async function onInstallationTarget(payload: InstallationTargetEvent): Promise<Outcome> {
  if (payload.action !== 'renamed') return 'ignored';
  const login = payload.account.login ?? payload.account.slug;
  if (!login) return 'ignored';
  const renamed = await installations().renameAccount(payload.installation.id, login);
  // A personal account renamed: the signed-in user's profile shows the new login too.
  const { users } = getServices();
  const profile = payload.target_type === 'User' ? await users.getProfile(payload.account.id) : undefined;
  if (profile) await users.putProfile({ ...profile, login });
  return renamed || profile ? 'applied' : 'ignored';
}

async function onAuthorizationRevoked(payload: GithubAppAuthorizationEvent): Promise<Outcome> {
  const userId = payload.sender.id;
  const { users, sessions } = getServices();
  await users.deleteToken(userId);
  const ended = await sessions.deleteAllForUser(userId);
  logger.info('Authorization revoked: tokens and sessions removed', { userId, sessions: ended });
  return 'applied';
}

/** Applies a verified delivery. Every branch is idempotent: a repeat changes nothing more. */
export async function applyEvent(event: string, payload: Record<string, unknown>): Promise<Outcome> {
  switch (event) {
    case 'installation':
      return onInstallation(payload as unknown as InstallationEvent);
    case 'installation_repositories':
      return onInstallationRepositories(payload as unknown as InstallationRepositoriesEvent);
    case 'installation_target':
      return onInstallationTarget(payload as unknown as InstallationTargetEvent);
    case 'github_app_authorization':
      return payload.action === 'revoked'
        ? onAuthorizationRevoked(payload as unknown as GithubAppAuthorizationEvent)
        : 'ignored';
    default:
      return 'ignored';
  }
}
