import { requireCaller, requirePresentedSession } from '../shared/auth/context.js';
import type { RouteHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { listAccountRepositories, parseListQuery } from '../shared/repositories/list-repositories.js';

/** GET /accounts/{accountId}/repositories: the repositories of the account's linked installations. */
export const listRoute: RouteHandler = async (request) => {
  requirePresentedSession(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const query = parseListQuery(request.query);
  // The session is read beside the account's links (the list's first round trip), not before them.
  return json(200, await listAccountRepositories(requireCaller(request), accountId, query));
};
