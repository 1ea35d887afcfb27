import { GitHubError, notFound, validationFailed } from '../errors.js';
import { installationRepositories } from '../events.js';
import { json, requireApp, type Route } from '../http.js';
import { grants, type Permissions } from '../world.js';
import { paginate } from './paginate.js';

/** Endpoints that authenticate as the App (JWT). */
export const appRoutes: Route[] = [
  {
    method: 'GET',
    template: '/app',
    kind: 'rest',
    handle: (request, { serializer }) => json(200, serializer.app(requireApp(request))),
  },
  {
    method: 'GET',
    template: '/app/installations',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      const app = requireApp(request);
      const all = [...world.installations.values()]
        .filter((i) => i.appId === app.id)
        .sort((a, b) => a.id - b.id);
      const { items, headers } = paginate(request, all);
      return json(
        200,
        items.map((installation) => serializer.installation(installation)),
        headers,
      );
    },
  },
  {
    method: 'GET',
    template: '/app/installations/{installation_id}',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      const app = requireApp(request);
      const installation = world.installations.get(Number(request.params.installation_id));
      if (!installation || installation.appId !== app.id) throw notFound();
      return json(200, serializer.installation(installation));
    },
  },
  {
    method: 'POST',
    template: '/app/installations/{installation_id}/access_tokens',
    kind: 'rest',
    handle: (request, context) => {
      const { world, serializer } = context;
      const app = requireApp(request);
      const installation = world.installations.get(Number(request.params.installation_id));
      if (!installation || installation.appId !== app.id) throw notFound();
      if (installation.suspendedAt) throw new GitHubError(403, 'This installation has been suspended');

      // Narrowing only: asking for a permission the installation lacks is refused, never granted.
      const requested = request.body?.permissions as Permissions | undefined;
      let permissions: Permissions = { ...installation.permissions };
      if (requested !== undefined) {
        if (typeof requested !== 'object' || requested === null) {
          throw validationFailed('Invalid request.', [{ field: 'permissions', code: 'invalid' }]);
        }
        for (const [name, level] of Object.entries(requested)) {
          if ((level !== 'read' && level !== 'write') || !grants(installation.permissions, name, level)) {
            throw validationFailed('The permissions requested are not granted to this installation.', []);
          }
        }
        permissions = { ...requested };
      }

      const reachable = installationRepositories(context, installation);
      const names = request.body?.repositories;
      const ids = request.body?.repository_ids;
      let repositoryIds: Set<number> | null = null;
      if (names !== undefined || ids !== undefined) {
        const wanted = [
          ...(Array.isArray(names)
            ? names.map((name) => reachable.find((r) => r.name.toLowerCase() === String(name).toLowerCase()))
            : []),
          ...(Array.isArray(ids) ? ids.map((id) => reachable.find((r) => r.id === Number(id))) : []),
        ];
        if (
          (!Array.isArray(names) && names !== undefined) ||
          (!Array.isArray(ids) && ids !== undefined) ||
          wanted.some((r) => !r)
        ) {
          throw validationFailed(
            'There is at least one repository that does not exist or is not accessible to the parent installation.',
            [],
          );
        }
        repositoryIds = new Set(wanted.map((r) => r?.id ?? 0));
      }

      const token = world.issueInstallationToken(installation, permissions, repositoryIds);
      return json(201, {
        token: token.token,
        expires_at: new Date(token.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: repositoryIds ? 'selected' : installation.repositorySelection,
        ...(repositoryIds
          ? {
              repositories: reachable
                .filter((repo) => repositoryIds.has(repo.id))
                .map((repo) => serializer.repository(repo)),
            }
          : {}),
      });
    },
  },
];
