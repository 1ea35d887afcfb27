import type { EmulatorContext } from './http.js';
import type { EmulatedAccount, EmulatedInstallation } from './world.js';

/** Repositories an installation can reach: all of its account's, or the selected ones. */
export function installationRepositories(context: EmulatorContext, installation: EmulatedInstallation) {
  const owned = context.world.repositoriesOf(installation.accountId);
  // Ordered by id, as repositoriesOf keeps them; `all` is the (read-only) list itself: no copy per call.
  return installation.repositorySelection === 'all'
    ? owned
    : owned.filter((repo) => installation.selectedRepositoryIds.has(repo.id));
}

/** Payload of an `installation` event, shaped like GitHub's. */
export function installationPayload(
  context: EmulatorContext,
  action: 'created' | 'deleted' | 'suspend' | 'unsuspend' | 'new_permissions_accepted',
  installation: EmulatedInstallation,
  sender: EmulatedAccount,
) {
  const withRepositories = action === 'created' || action === 'deleted';
  return {
    action,
    installation: context.serializer.installation(installation),
    ...(withRepositories
      ? {
          repositories: installationRepositories(context, installation).map((repo) =>
            context.serializer.repositoryBrief(repo),
          ),
        }
      : {}),
    requester: null,
    sender: context.serializer.simpleUser(sender),
  };
}

export async function sendInstallationEvent(
  context: EmulatorContext,
  action: Parameters<typeof installationPayload>[1],
  installation: EmulatedInstallation,
  sender: EmulatedAccount,
) {
  const app = context.world.apps.get(installation.appId);
  if (!app) return undefined;
  return context.webhooks.send(
    app,
    'installation',
    installationPayload(context, action, installation, sender),
  );
}
