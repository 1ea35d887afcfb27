import { requireCaller } from '../shared/auth/context.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { createRepository } from './create-repository.js';
import { parseRepositoryRequest } from './repository-request.js';
import { count, METRIC } from '../shared/metrics.js';

export const handler = createHttpHandler({
  'POST /accounts/{accountId}/repositories': {
    body: 'json',
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const repository = await createRepository(caller, accountId, parseRepositoryRequest(request.body));
      count(METRIC.repositoriesCreated);
      return json(201, repository);
    },
  },
});
