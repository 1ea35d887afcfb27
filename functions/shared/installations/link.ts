import { getUserTokens } from '../auth/context.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { getServices } from '../services.js';
import {
  InstallationDeletedError,
  InstallationStore,
  type InstallationDetails,
} from '../store/installation-store.js';
import { fetchInstallation, userCanReach } from './github-installations.js';
import { assertMayLinkInstallation } from './link-policy.js';

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

const deleted = () =>
  new NotFoundError('installation_deleted', 'The App was uninstalled from that GitHub account.');

/**
 * What GitHub says of the installation now, checked with the caller's own token: they reach it, and
 * the link policy lets them hand it to a platform account (org owner, or the personal account's user).
 * An installation id from a URL is never trusted by itself.
 */
async function verifiedInstallation(userId: number, installationId: number): Promise<InstallationDetails> {
  const { github, config, table } = getServices();
  if (await new InstallationStore(table).isDeleted(installationId)) throw deleted();
  const details = await fetchInstallation(installationId);
  if (!details) throw notAccessible();
  const tokens = await getUserTokens();
  await tokens.withToken(userId, async (userToken) => {
    await assertMayLinkInstallation({
      github,
      userToken,
      userId,
      installation: details,
      policy: config.linkPolicy,
    });
    // An organization owner reaches every installation of the organization; anyone else must show it.
    const ownerChecked = details.accountType === 'Organization' && config.linkPolicy === 'org-owners';
    if (!ownerChecked && !(await userCanReach(github, userToken, installationId))) throw notAccessible();
  });
  return details;
}

/**
 * Links an installation to an account once GitHub confirms the caller may (see verifiedInstallation);
 * details and link are written in one transaction that fails if the installation was deleted meanwhile.
 * Idempotent: `created` is false when it was already linked.
 */
export async function linkVerifiedInstallation(input: {
  accountId: string;
  installationId: number;
  userId: number;
}): Promise<{ created: boolean; details: InstallationDetails }> {
  const details = await verifiedInstallation(input.userId, input.installationId);
  try {
    const { created } = await new InstallationStore(getServices().table).linkWithDetails(
      details,
      input.accountId,
      input.userId,
    );
    return { created, details };
  } catch (error) {
    if (error instanceof InstallationDeletedError) throw deleted();
    throw error;
  }
}

/**
 * setup_action=update: GitHub says the installation changed. Stored details are rewritten only for a
 * caller GitHub confirms may link it, and never for a deleted installation.
 */
export async function refreshVerifiedInstallation(
  userId: number,
  installationId: number,
): Promise<InstallationDetails> {
  const details = await verifiedInstallation(userId, installationId);
  try {
    await new InstallationStore(getServices().table).putDetails(details);
  } catch (error) {
    if (error instanceof InstallationDeletedError) throw deleted();
    throw error;
  }
  return details;
}
