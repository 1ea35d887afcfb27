import { createHttpHandler } from '../shared/http/http-handler.js';
import { notImplemented } from '../shared/http/not-implemented.js';

export const handler = createHttpHandler({
  'POST /accounts': notImplemented,
  'GET /accounts': notImplemented,
  'GET /accounts/{accountId}': notImplemented,
  'POST /accounts/{accountId}/members': notImplemented,
  'DELETE /accounts/{accountId}/members/{userId}': notImplemented,
});
