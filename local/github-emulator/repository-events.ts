import type { Serializer } from './serialize.js';
import type { EmulatorContext } from './http.js';
import type { Delivery } from './webhooks.js';
import type { EmulatedAccount, EmulatedApp, EmulatedInstallation, EmulatedRepository } from './world.js';

export type RepositoryAction =
  | 'created'
  | 'deleted'
  | 'renamed'
  | 'transferred'
  | 'archived'
  | 'unarchived'
  | 'privatized'
  | 'publicized'
  | 'edited';

/** Who made a change: a person, or an App acting with an installation token (its bot). */
export type RepositorySender = EmulatedAccount | EmulatedApp;

export type RepositoryChange = {
  action: RepositoryAction;
  /** The repository as it is after the change (for `deleted`: as it was). */
  repo: EmulatedRepository;
  sender: RepositorySender;
  /** GitHub's `changes` (renamed: `{ repository: { name: { from } } }`, transferred: `{ owner: { from } }`, …). */
  changes?: Record<string, unknown>;
};

export const isApp = (sender: RepositorySender): sender is EmulatedApp => 'slug' in sender;

/** The sender as GitHub shows it: a user, or the App's bot user (`<slug>[bot]`, type Bot). */
export function senderPayload(context: EmulatorContext, sender: RepositorySender) {
  if (!isApp(sender)) return context.serializer.simpleUser(sender);
  const botId = 10_000_000 + sender.id;
  const login = `${sender.slug}[bot]`;
  // URLs carry the login escaped (`%5Bbot%5D`), as GitHub's do; the page is the App's.
  const base = context.serializer.simpleUser({
    id: botId,
    login: encodeURIComponent(login),
    type: 'User',
    name: null,
    email: null,
    memberIds: new Set(),
    adminIds: new Set(),
    basePermission: 'none',
    createdAt: sender.createdAt,
  });
  return {
    ...base,
    login,
    node_id: context.serializer.nodeId('Bot', botId),
    html_url: `${context.baseUrl()}/apps/${sender.slug}`,
    type: 'Bot',
  };
}

/** True when the installation reaches the repository: all of its account's, or a selected one. */
export function coversRepository(installation: EmulatedInstallation, repo: EmulatedRepository): boolean {
  return (
    installation.accountId === repo.ownerId &&
    (installation.repositorySelection === 'all' || installation.selectedRepositoryIds.has(repo.id))
  );
}

/**
 * Who receives a `repository` event, as on GitHub: each App's installation on the repository's owner
 * that reaches the repository, is not suspended, and is subscribed to the `repository` event.
 */
export function repositoryEventRecipients(context: EmulatorContext, repo: EmulatedRepository) {
  return [...context.world.installations.values()].filter(
    (installation) =>
      coversRepository(installation, repo) &&
      installation.suspendedAt === null &&
      installation.events.includes('repository') &&
      context.world.apps.has(installation.appId),
  );
}

/**
 * A repository in a webhook payload (GitHub's `repository-webhooks`): no caller `permissions`, and no
 * `template_repository` (its webhook schema wants strings where a repository has nulls; the REST
 * answer carries it).
 */
export function repositoryPayload(context: EmulatorContext, repo: EmulatedRepository) {
  const {
    permissions: _permissions,
    template_repository: _template,
    ...repository
  } = context.serializer.repository(repo) as ReturnType<Serializer['repository']> & {
    template_repository?: unknown;
  };
  return repository;
}

/** A `repository` event's payload for one installation, shaped like GitHub's `webhook-repository-*`. */
export function repositoryEventPayload(
  context: EmulatorContext,
  change: RepositoryChange,
  installation: EmulatedInstallation,
) {
  const owner = context.world.account(change.repo.ownerId);
  return {
    action: change.action,
    ...(change.changes ? { changes: change.changes } : {}),
    repository: repositoryPayload(context, change.repo),
    ...(owner.type === 'Organization' ? { organization: context.serializer.organizationSimple(owner) } : {}),
    installation: {
      id: installation.id,
      node_id: context.serializer.nodeId('Installation', installation.id),
    },
    sender: senderPayload(context, change.sender),
  };
}

/**
 * Builds a change's `repository` deliveries now (recipients and payloads as the world is at this
 * moment) and returns what sends them: a deletion is described before the repository is removed.
 */
export function prepareRepositoryEvent(
  context: EmulatorContext,
  change: RepositoryChange,
): () => Promise<Delivery[]> {
  const prepared = repositoryEventRecipients(context, change.repo).map((installation) => ({
    app: context.world.apps.get(installation.appId) as EmulatedApp,
    payload: repositoryEventPayload(context, change, installation),
  }));
  return async () => {
    const deliveries: Delivery[] = [];
    for (const { app, payload } of prepared) {
      const delivery = await context.webhooks.send(app, 'repository', payload);
      if (delivery) deliveries.push(delivery);
    }
    return deliveries;
  };
}

/**
 * Sends the `repository` event of a change that has already been made (created, renamed, archived, …)
 * to every installation that receives it. Use prepareRepositoryEvent for a deletion.
 */
export function sendRepositoryEvent(context: EmulatorContext, change: RepositoryChange): Promise<Delivery[]> {
  return prepareRepositoryEvent(context, change)();
}

/**
 * Takes a repository out of every installation that selected it (it was deleted or left the account)
 * and sends each one `installation_repositories` `removed`, as GitHub does.
 */
export async function removeFromSelections(
  context: EmulatorContext,
  repo: EmulatedRepository,
  sender: RepositorySender,
): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (const installation of context.world.installations.values()) {
    if (installation.repositorySelection !== 'selected' || !installation.selectedRepositoryIds.has(repo.id))
      continue;
    installation.selectedRepositoryIds.delete(repo.id);
    installation.updatedAt = context.world.clock.iso();
    const app = context.world.apps.get(installation.appId);
    if (!app) continue;
    const delivery = await context.webhooks.send(app, 'installation_repositories', {
      action: 'removed',
      installation: context.serializer.installation(installation),
      repository_selection: installation.repositorySelection,
      repositories_added: [],
      repositories_removed: [context.serializer.repositoryBrief(repo)],
      requester: null,
      sender: senderPayload(context, sender),
    });
    if (delivery) deliveries.push(delivery);
  }
  return deliveries;
}
