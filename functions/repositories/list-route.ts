import { requireCaller } from '../shared/auth/context.js';
import type { RouteHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { listAccountRepositories, parseListQuery } from '../shared/repositories/list-repositories.js';

/** GET /accounts/{accountId}/repositories: the repositories of the account's linked installations. */
export const listRoute: RouteHandler = async (request) => {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const query = parseListQuery(request.query);
  return json(200, await listAccountRepositories(caller, accountId, query));
};
