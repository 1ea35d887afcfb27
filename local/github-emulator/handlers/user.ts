import { notFound } from '../errors.js';
import { installationRepositories } from '../events.js';
import { json, requireUser, type Route } from '../http.js';
import { ssoPartial } from '../sso.js';
import { paginate } from './paginate.js';

/** Endpoints that act as the signed-in user (user-to-server token). */
export const userRoutes: Route[] = [
  {
    method: 'GET',
    template: '/user',
    kind: 'rest',
    handle: (request, { serializer }) => json(200, serializer.privateUser(requireUser(request).user)),
  },
  {
    method: 'GET',
    template: '/user/installations',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      const credential = requireUser(request);
      // An SSO organisation's installations are left out until the user signs in there (sso.ts).
      const { visible: all, headers: sso } = ssoPartial(
        credential,
        world.reachableInstallations(credential.token.appId, credential.user.id),
        world,
      );
      const { items, headers } = paginate(request, all);
      return json(
        200,
        {
          total_count: all.length,
          installations: items.map((installation) => serializer.installation(installation)),
        },
        { ...headers, ...sso },
      );
    },
  },
  {
    method: 'GET',
    template: '/user/installations/{installation_id}/repositories',
    kind: 'rest',
    handle: (request, context) => {
      const { token, user } = requireUser(request);
      const id = Number(request.params.installation_id);
      const installation = context.world
        .reachableInstallations(token.appId, user.id)
        .find((i) => i.id === id);
      // An installation the user cannot reach does not exist for them.
      if (!installation) throw notFound();
      const all = installationRepositories(context, installation);
      const { items, headers } = paginate(request, all);
      return json(
        200,
        {
          total_count: all.length,
          repository_selection: installation.repositorySelection,
          repositories: items.map((repo) => context.serializer.repository(repo)),
        },
        headers,
      );
    },
  },
];
