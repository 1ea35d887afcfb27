import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { listAccountRepositories, parseListQuery } from '../list-repositories.js';

/**
 * GET /accounts/{accountId}/repositories: the repositories of the account's linked installations. The
 * session is read beside the account's links (the list's first round trip), not before them; the
 * membership is checked by listAccountRepositories.
 */
export const list = route({
  auth: 'session-beside-reads',
  params: { accountId: accountIdParam },
  query: parseListQuery,
  handle: async ({ caller, params: { accountId }, query }) =>
    json(200, await listAccountRepositories(caller, accountId, query)),
});
