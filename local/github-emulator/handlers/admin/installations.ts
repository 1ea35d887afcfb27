import { installationPayload, installationRepositories, sendInstallationEvent } from '../../events.js';
import { json, stringField, type Route } from '../../http.js';
import type { Permissions } from '../../world.js';
import { admin, accountOrThrow, bad, delivered, installationOrThrow, senderFor } from './shared.js';

/**
 * The control API (docs/github-emulator.md): installing an App, uninstalling, suspending, and changing
 * its permissions or repository selection, each with its webhook.
 */
export const installationRoutes: Route[] = [
  admin('POST', '/installations', async (request, context) => {
    const body = request.body ?? {};
    const app = context.world.apps.get(Number(body.appId));
    if (!app) throw bad('appId must name a registered app');
    const account = accountOrThrow(context, body.account);
    if (context.world.installationFor(app.id, account.id)) throw bad(`already installed on ${account.login}`);
    const selection = body.repositorySelection === 'selected' ? 'selected' : 'all';
    const repositoryIds = Array.isArray(body.repositories)
      ? body.repositories.map((name) => {
          const repo = context.world.repository(account.login, String(name));
          if (!repo) throw bad(`no repository ${account.login}/${String(name)}`);
          return repo.id;
        })
      : [];
    const installation = context.world.install({
      appId: app.id,
      accountId: account.id,
      repositorySelection: selection,
      repositoryIds,
      ...(typeof body.permissions === 'object' && body.permissions
        ? { permissions: body.permissions as Permissions }
        : {}),
    });
    const delivery = await sendInstallationEvent(
      context,
      'created',
      installation,
      senderFor(context, installation, body.by),
    );
    return json(201, {
      installation: context.serializer.installation(installation),
      delivery: delivered(delivery),
    });
  }),
  admin('DELETE', '/installations/{id}', async (request, context) => {
    const installation = installationOrThrow(context, request);
    const sender = senderFor(context, installation, request.url.searchParams.get('by') ?? undefined);
    // The payload describes the installation as it was, so build it before removing it.
    const app = context.world.apps.get(installation.appId);
    const payload = installationPayload(context, 'deleted', installation, sender);
    context.world.uninstall(installation.id);
    const delivery = app ? await context.webhooks.send(app, 'installation', payload) : undefined;
    return json(200, { deleted: installation.id, delivery: delivered(delivery) });
  }),
  ...(['suspend', 'unsuspend'] as const).map((action) =>
    admin('POST', `/installations/{id}/${action}`, async (request, context) => {
      const installation = installationOrThrow(context, request);
      const sender = senderFor(context, installation, stringField(request.body, 'by'));
      installation.suspendedAt = action === 'suspend' ? context.world.clock.iso() : null;
      installation.suspendedById = action === 'suspend' ? sender.id : null;
      installation.updatedAt = context.world.clock.iso();
      const delivery = await sendInstallationEvent(context, action, installation, sender);
      return json(200, {
        installation: context.serializer.installation(installation),
        delivery: delivered(delivery),
      });
    }),
  ),
  admin('POST', '/installations/{id}/permissions', async (request, context) => {
    const installation = installationOrThrow(context, request);
    const permissions = request.body?.permissions;
    if (typeof permissions !== 'object' || permissions === null) throw bad('permissions is required');
    installation.permissions = { ...(permissions as Permissions) };
    installation.updatedAt = context.world.clock.iso();
    // Tokens minted before keep the permissions they were minted with until they expire, as on GitHub.
    const delivery = await sendInstallationEvent(
      context,
      'new_permissions_accepted',
      installation,
      senderFor(context, installation, stringField(request.body, 'by')),
    );
    return json(200, {
      installation: context.serializer.installation(installation),
      delivery: delivered(delivery),
    });
  }),
  admin('POST', '/installations/{id}/repositories', async (request, context) => {
    const installation = installationOrThrow(context, request);
    const account = context.world.account(installation.accountId);
    const resolve = (names: unknown) =>
      (Array.isArray(names) ? names : []).map((name) => {
        const repo = context.world.repository(account.login, String(name));
        if (!repo) throw bad(`no repository ${account.login}/${String(name)}`);
        return repo;
      });
    const added = resolve(request.body?.add);
    const removed = resolve(request.body?.remove);
    const before = new Set(installationRepositories(context, installation).map((repo) => repo.id));
    installation.repositorySelection = 'selected';
    if (installation.selectedRepositoryIds.size === 0)
      for (const id of before) installation.selectedRepositoryIds.add(id);
    for (const repo of added) installation.selectedRepositoryIds.add(repo.id);
    for (const repo of removed) installation.selectedRepositoryIds.delete(repo.id);
    const app = context.world.apps.get(installation.appId);
    const action = removed.length > 0 && added.length === 0 ? 'removed' : 'added';
    const delivery = app
      ? await context.webhooks.send(app, 'installation_repositories', {
          action,
          installation: context.serializer.installation(installation),
          repository_selection: installation.repositorySelection,
          repositories_added: added.map((repo) => context.serializer.repositoryBrief(repo)),
          repositories_removed: removed.map((repo) => context.serializer.repositoryBrief(repo)),
          requester: null,
          sender: context.serializer.simpleUser(
            senderFor(context, installation, stringField(request.body, 'by')),
          ),
        })
      : undefined;
    return json(200, {
      installation: context.serializer.installation(installation),
      delivery: delivered(delivery),
    });
  }),
];
