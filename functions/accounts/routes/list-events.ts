import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';
import { listActivity, parseActivityQuery } from '../activity.js';

/** GET /accounts/{accountId}/events: the account's activity log, newest first, for any member (others 404). */
export const listEvents = route({
  auth: 'member',
  params: { accountId: accountIdParam },
  query: parseActivityQuery,
  handle: async ({ params: { accountId }, query }) =>
    json(200, await listActivity(getServices().activity, accountId, query)),
});
