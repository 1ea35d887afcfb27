import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { installationView, linkVerifiedInstallation } from '../../shared/installations/link.js';
import { count, METRIC } from '../../shared/metrics.js';
import { installationIdParam } from '../params.js';

/** PUT /accounts/{accountId}/installations/{installationId}: owners and admins link, verified with GitHub. */
export const link = route({
  auth: 'manager',
  params: { accountId: accountIdParam, installationId: installationIdParam },
  handle: async ({ caller, params: { accountId, installationId } }) => {
    const { created, details } = await linkVerifiedInstallation({
      userId: caller.userId,
      accountId,
      installationId,
    });
    if (created) count(METRIC.installationLinks);
    return json(created ? 201 : 200, installationView(details, true));
  },
});
