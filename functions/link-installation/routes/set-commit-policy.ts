import { ForbiddenError } from '../../shared/errors.js';
import { requestOrigin } from '../../shared/events/request-origin.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { setLinkSettings } from '../../shared/installations/link.js';
import { parseSettingsBody } from '../link-body.js';
import { installationIdParam } from '../params.js';

/**
 * PATCH /accounts/{accountId}/installations/{installationId}: owners set who may commit through the
 * link; owners and admins set its repository scope (docs/repository-scope.md).
 */
export const setCommitPolicy = route({
  auth: 'manager',
  user: true,
  params: { accountId: accountIdParam, installationId: installationIdParam },
  // Parsed here, after the role check: only owners and admins learn the body's rules.
  body: 'json',
  handle: async ({ user, member, params: { accountId, installationId }, request }) => {
    const change = parseSettingsBody(request.body);
    if (change.commitPolicy !== undefined && member.role !== 'owner')
      throw new ForbiddenError(
        'insufficient_role',
        "Only the account's owners set who may commit through a link; admins may set its scope.",
      );
    const view = await setLinkSettings({
      accountId,
      installationId,
      userId: user.id,
      ...change,
      origin: requestOrigin(request, user),
    });
    return json(200, view);
  },
});
