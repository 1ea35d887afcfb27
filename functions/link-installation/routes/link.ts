import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { installationView, linkVerifiedInstallation } from '../../shared/installations/link.js';
import { count, METRIC } from '../../shared/metrics.js';
import { installationIdParam } from '../params.js';

/** PUT /accounts/{accountId}/installations/{installationId}: owners and admins link, verified with GitHub. */
export const link = route({
  auth: 'manager',
  user: true,
  params: { accountId: accountIdParam, installationId: installationIdParam },
  handle: async ({ user, params: { accountId, installationId }, request }) => {
    const { created, details } = await linkVerifiedInstallation({
      userId: user.id,
      accountId,
      installationId,
      origin: requestOrigin(request, user),
    });
    if (created) count(METRIC.installationLinks);
    return json(created ? 201 : 200, installationView(details, true));
  },
});
