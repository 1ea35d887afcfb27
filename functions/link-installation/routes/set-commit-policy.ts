import * as z from 'zod/mini';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam, parseBody } from '../../shared/http/validate.js';
import { setLinkCommitPolicy } from '../../shared/installations/link.js';
import { commitPolicyFrom, commitPolicyInput } from '../../shared/repositories/commit-policy-settings.js';
import { installationIdParam } from '../params.js';

const policyBody = z.strictObject({ commitPolicy: commitPolicyInput });

/** PATCH /accounts/{accountId}/installations/{installationId}: owners set who may commit through the link. */
export const setCommitPolicy = route({
  auth: 'owner',
  params: { accountId: accountIdParam, installationId: installationIdParam },
  // Parsed here, after the role check: only owners learn the body's rules.
  body: 'json',
  handle: async ({ caller, params: { accountId, installationId }, request }) => {
    const { commitPolicy } = parseBody(policyBody, request.body);
    const view = await setLinkCommitPolicy({
      accountId,
      installationId,
      userId: caller.userId,
      policy: commitPolicyFrom(commitPolicy),
    });
    return json(200, view);
  },
});
