import { createHttpHandler } from '../shared/http/http-handler.js';
import { notImplemented } from '../shared/http/not-implemented.js';

export const handler = createHttpHandler({
  'PUT /accounts/{accountId}/installations/{installationId}': notImplemented,
  'DELETE /accounts/{accountId}/installations/{installationId}': notImplemented,
});
