import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { count, METRIC } from '../../shared/metrics.js';
import { unlinkInstallation } from '../../shared/installations/link.js';
import { installationIdParam } from '../params.js';

/** DELETE /accounts/{accountId}/installations/{installationId}: owners and admins unlink (GitHub untouched). */
export const unlink = route({
  auth: 'manager',
  user: true,
  params: { accountId: accountIdParam, installationId: installationIdParam },
  handle: async ({ user, params: { accountId, installationId }, request }) => {
    const { unlinked } = await unlinkInstallation({
      accountId,
      installationId,
      origin: requestOrigin(request, user),
    });
    if (unlinked) count(METRIC.installationUnlinks);
    return noContent();
  },
});
