import * as z from 'zod/mini';
import { MANAGERS, requireMember } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json, noContent } from '../shared/http/responses.js';
import { accountIdParam, numericParam, parseBody } from '../shared/http/validate.js';
import {
  installationView,
  linkVerifiedInstallation,
  setLinkCommitPolicy,
} from '../shared/installations/link.js';
import { commitPolicyFrom, commitPolicyInput } from '../shared/repositories/commit-policy-settings.js';
import { getServices } from '../shared/services.js';
import { AccountStore, type Role } from '../shared/store/account-store.js';
import { InstallationStore } from '../shared/store/installation-store.js';
import { count, METRIC } from '../shared/metrics.js';

const OWNERS: readonly Role[] = ['owner'];
const policyBody = z.strictObject({ commitPolicy: commitPolicyInput });

/** The caller (an owner or admin of the account) and the installation the route names. */
async function managerRequest(request: HttpRequest, roles = MANAGERS) {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const installationId = numericParam(
    request.pathParameters.installationId,
    'installation_not_found',
    'No such installation.',
  );
  await requireMember(new AccountStore(getServices().table), accountId, caller.userId, roles);
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
  'PATCH /accounts/{accountId}/installations/{installationId}': {
    body: 'json',
    handle: async (request) => {
      const { userId, accountId, installationId } = await managerRequest(request, OWNERS);
      const { commitPolicy } = parseBody(policyBody, request.body);
      const view = await setLinkCommitPolicy({
        accountId,
        installationId,
        userId,
        policy: commitPolicyFrom(commitPolicy),
      });
      return json(200, view);
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
