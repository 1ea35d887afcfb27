import { route } from '../../shared/http/route.js';
import { noContent } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { count, METRIC } from '../../shared/metrics.js';
import { getServices } from '../../shared/services.js';
import { installationIdParam } from '../params.js';

/** DELETE /accounts/{accountId}/installations/{installationId}: owners and admins unlink (GitHub untouched). */
export const unlink = route({
  auth: 'manager',
  params: { accountId: accountIdParam, installationId: installationIdParam },
  handle: async ({ params: { accountId, installationId } }) => {
    await getServices().installations.unlink(accountId, installationId);
    count(METRIC.installationUnlinks);
    return noContent();
  },
});
