import { MANAGERS, requireMember } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json, noContent } from '../shared/http/responses.js';
import { accountIdParam, numericParam } from '../shared/http/validate.js';
import { installationView, linkVerifiedInstallation } from '../shared/installations/link.js';
import { getServices } from '../shared/services.js';
import { AccountStore } from '../shared/store/account-store.js';
import { InstallationStore } from '../shared/store/installation-store.js';
import { count, METRIC } from '../shared/metrics.js';

/** The caller (an owner or admin of the account) and the installation the route names. */
async function managerRequest(request: HttpRequest) {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const installationId = numericParam(
    request.pathParameters.installationId,
    'installation_not_found',
    'No such installation.',
  );
  await requireMember(new AccountStore(getServices().table), accountId, caller.userId, MANAGERS);
  return { userId: caller.userId, accountId, installationId };
}

export const handler = createHttpHandler({
  'PUT /accounts/{accountId}/installations/{installationId}': {
    handle: async (request) => {
      const { created, details } = await linkVerifiedInstallation(await managerRequest(request));
      if (created) count(METRIC.installationLinks);
      return json(created ? 201 : 200, installationView(details, true));
    },
  },
  'DELETE /accounts/{accountId}/installations/{installationId}': {
    handle: async (request) => {
      const { accountId, installationId } = await managerRequest(request);
      await new InstallationStore(getServices().table).unlink(accountId, installationId);
      count(METRIC.installationUnlinks);
      return noContent();
    },
  },
});
