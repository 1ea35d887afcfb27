import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { installationView, linkVerifiedInstallation } from '../../shared/installations/link.js';
import { count, METRIC } from '../../shared/metrics.js';
import { parseLinkBody } from '../link-body.js';
import { installationIdParam } from '../params.js';

/**
 * PUT /accounts/{accountId}/installations/{installationId}: owners and admins link, verified with
 * GitHub; an optional body `{ repositories, patterns }` sets the link's scope (docs/repository-scope.md).
 */
export const link = route({
  auth: 'manager',
  user: true,
  params: { accountId: accountIdParam, installationId: installationIdParam },
  handle: async ({ user, params: { accountId, installationId }, request }) => {
    // Parsed after the role check, before anything is read or asked of GitHub.
    const scope = parseLinkBody(request);
    const { created, details, link } = await linkVerifiedInstallation({
      userId: user.id,
      accountId,
      installationId,
      ...(scope !== undefined ? { scope } : {}),
      origin: requestOrigin(request, user),
    });
    if (created) count(METRIC.installationLinks);
    return json(created ? 201 : 200, installationView(details, true, link));
  },
});
