import { getUserTokens } from '../auth/context.js';
import { ForbiddenError } from '../errors.js';
import { getServices } from '../services.js';
import { InstallationStore, type InstallationDetails } from '../store/installation-store.js';
import { fetchInstallation, userCanReach } from './github-installations.js';

export type InstallationView = {
  id: number;
  accessible: boolean;
  linked: boolean;
  account?: { login: string; type: 'User' | 'Organization'; avatarUrl: string | null };
  repositorySelection?: 'all' | 'selected';
  suspended?: boolean;
};

export function installationView(details: InstallationDetails, linked: boolean): InstallationView {
  return {
    id: details.id,
    accessible: true,
    linked,
    account: { login: details.accountLogin, type: details.accountType, avatarUrl: details.accountAvatarUrl },
    repositorySelection: details.repositorySelection,
    suspended: details.suspendedAt !== null,
  };
}

const notAccessible = () =>
  new ForbiddenError(
    'installation_not_accessible',
    'GitHub does not list this installation for you, so it cannot be linked. Install the App there first.',
  );

/**
 * Links an installation to an account only after GitHub, asked with the caller's own token, confirms
 * the caller can reach it (an installation id from a URL is never trusted by itself). Refreshes the
 * stored details from GitHub (App JWT). Idempotent.
 */
export async function linkVerifiedInstallation(input: {
  accountId: string;
  installationId: number;
  userId: number;
}): Promise<{ created: boolean; details: InstallationDetails }> {
  const { github, table } = getServices();
  const tokens = await getUserTokens();
  const reachable = await tokens.withToken(input.userId, (token) =>
    userCanReach(github, token, input.installationId),
  );
  if (!reachable) throw notAccessible();
  const details = await fetchInstallation(input.installationId);
  if (!details) throw notAccessible();
  const installations = new InstallationStore(table);
  await installations.putDetails(details);
  const created = await installations.link(input.accountId, input.installationId, input.userId);
  return { created, details };
}

/** setup_action=update: GitHub says the installation changed; store what it says now. */
export async function refreshInstallationDetails(
  installationId: number,
): Promise<InstallationDetails | undefined> {
  const details = await fetchInstallation(installationId);
  if (details) await new InstallationStore(getServices().table).putDetails(details);
  return details;
}
