import { GitHubError, notAccessibleByIntegration, notFound } from '../errors.js';
import { json, requireUser, type Route } from '../http.js';

/** Organisation endpoints the service uses. */
export const orgRoutes: Route[] = [
  {
    method: 'GET',
    template: '/user/memberships/orgs/{org}',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      const { token, user } = requireUser(request);
      const org = world.accountByLogin(request.params.org ?? '');
      if (!org || org.type !== 'Organization' || !org.memberIds.has(user.id)) throw notFound();
      // A user-to-server token reaches an organisation's members only through an installation there
      // that was granted the organization permission "Members" (read).
      const installation = world.installationFor(token.appId, org.id);
      if (!installation) throw notAccessibleByIntegration();
      if (!installation.permissions.members) throw notAccessibleByIntegration();
      if (installation.suspendedAt) throw new GitHubError(403, 'This installation has been suspended');
      return json(200, serializer.orgMembership(org, user));
    },
  },
];
