import { GitHubError, notFound, validationFailed } from '../errors.js';
import { installationRepositories } from '../events.js';
import { json, requireApp, type EmulatorRequest, type Route } from '../http.js';
import { Webhooks } from '../webhooks.js';
import { grants, type Permissions } from '../world.js';
import { paginate } from './paginate.js';

const CURSOR = /^v1_(\d+)$/;

/**
 * GitHub's cursor pagination for webhook deliveries: newest first, `per_page` (default 30, max 100),
 * and a `Link` header whose `rel="next"` URL carries the cursor of the next (older) page.
 */
function deliveriesPage(request: EmulatorRequest, all: ReturnType<Webhooks['attemptsOf']>) {
  const perPage = Math.min(100, Math.max(1, Number(request.url.searchParams.get('per_page') ?? 30) || 30));
  const cursor = request.url.searchParams.get('cursor');
  const status = request.url.searchParams.get('status');
  if (cursor !== null && !CURSOR.test(cursor)) throw new GitHubError(400, 'Bad Request');
  if (status !== null && status !== 'success' && status !== 'failure')
    throw validationFailed('Validation Failed', [{ resource: 'Delivery', field: 'status', code: 'invalid' }]);
  const before = cursor === null ? Infinity : Number(CURSOR.exec(cursor)?.[1]);
  const matching = all.filter((delivery) => {
    const code = delivery.statusCode ?? 0;
    if (status === 'success') return code >= 200 && code <= 399;
    if (status === 'failure') return code >= 400 && code <= 599;
    return true;
  });
  const from = matching.findIndex((delivery) => delivery.id <= before);
  const items = from === -1 ? [] : matching.slice(from, from + perPage);
  const next = from === -1 ? undefined : matching[from + perPage];
  const headers: Record<string, string> = {};
  if (next) {
    const url = new URL(request.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('cursor', `v1_${next.id}`);
    headers.Link = `<${url.toString()}>; rel="next"`;
  }
  return { items, headers };
}

/** Endpoints that authenticate as the App (JWT). */
export const appRoutes: Route[] = [
  {
    method: 'GET',
    template: '/app/hook/deliveries',
    kind: 'rest',
    handle: (request, { webhooks }) => {
      const app = requireApp(request);
      const { items, headers } = deliveriesPage(request, webhooks.attemptsOf(app.id));
      return json(
        200,
        items.map((delivery) => Webhooks.item(delivery)),
        headers,
      );
    },
  },
  {
    method: 'POST',
    template: '/app/hook/deliveries/{delivery_id}/attempts',
    kind: 'rest',
    // GitHub answers 202 and delivers shortly after; the emulator answers once the attempt is made, so
    // a caller (a test, the redelivery job) sees its outcome right away.
    handle: async (request, { webhooks }) => {
      const app = requireApp(request);
      const id = Number(request.params.delivery_id);
      const original = webhooks.attemptsOf(app.id).find((delivery) => delivery.id === id);
      if (!Number.isSafeInteger(id) || !original) throw notFound();
      await webhooks.redeliverAttempt(original);
      return json(202, {});
    },
  },
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
