import { createHttpHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';

export const handler = createHttpHandler({
  'GET /health': { handle: () => Promise.resolve(json(200, { status: 'ok' })) },
});
