import { MANAGERS, requireMember } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { accountIdParam, numericParam } from '../shared/http/validate.js';
import { installationView, linkVerifiedInstallation } from '../shared/installations/link.js';
import { getServices } from '../shared/services.js';
import { AccountStore } from '../shared/store/account-store.js';
import { InstallationStore } from '../shared/store/installation-store.js';

const INSTALLATION_NOT_FOUND = 'No such installation.';

export const handler = createHttpHandler({
  'PUT /accounts/{accountId}/installations/{installationId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const installationId = numericParam(
        request.pathParameters.installationId,
        'installation_not_found',
        INSTALLATION_NOT_FOUND,
      );
      await requireMember(new AccountStore(getServices().table), accountId, caller.userId, MANAGERS);
      const { created, details } = await linkVerifiedInstallation({
        accountId,
        installationId,
        userId: caller.userId,
      });
      return json(created ? 201 : 200, installationView(details, true));
    },
  },
  'DELETE /accounts/{accountId}/installations/{installationId}': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const installationId = numericParam(
        request.pathParameters.installationId,
        'installation_not_found',
        INSTALLATION_NOT_FOUND,
      );
      const { table } = getServices();
      await requireMember(new AccountStore(table), accountId, caller.userId, MANAGERS);
      await new InstallationStore(table).unlink(accountId, installationId);
      return noContent();
    },
  },
});
