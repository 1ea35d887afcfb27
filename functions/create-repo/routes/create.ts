import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { count, METRIC } from '../../shared/metrics.js';
import { createRepository } from '../create-repository.js';
import { parseRepositoryRequest } from '../repository-request.js';

/**
 * POST /accounts/{accountId}/repositories. Any signed-in caller here: createRepository checks the
 * membership (and the creation policy) itself, beside its other reads.
 */
export const create = route({
  auth: 'session',
  params: { accountId: accountIdParam },
  body: parseRepositoryRequest,
  handle: async ({ caller, params: { accountId }, body, request }) => {
    const repository = await createRepository(caller, accountId, body, request.requestId);
    count(METRIC.repositoriesCreated);
    return json(201, repository);
  },
});
