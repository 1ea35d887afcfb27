import { createHttpHandler } from '../shared/http/http-handler.js';
import { notImplemented } from '../shared/http/not-implemented.js';

export const handler = createHttpHandler({
  'POST /auth/logout': notImplemented,
  'GET /me': notImplemented,
});
