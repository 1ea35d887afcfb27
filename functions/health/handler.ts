import { createHttpHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { unmatchedRouteError } from '../shared/http/unmatched-route.js';

export const handler = createHttpHandler({
  'GET /health': { handle: () => Promise.resolve(json(200, { status: 'ok' })) },
  // API Gateway's `$default` route (and the local server) sends every unmatched request here.
  $default: {
    handle: (request) =>
      Promise.reject(unmatchedRouteError(request.event.requestContext.http.method, request.event.rawPath)),
  },
});
