import { createHttpHandler } from '../shared/http/http-handler.js';
import { link } from './routes/link.js';
import { setCommitPolicy } from './routes/set-commit-policy.js';
import { unlink } from './routes/unlink.js';

export const handler = createHttpHandler({
  'PUT /accounts/{accountId}/installations/{installationId}': link,
  'PATCH /accounts/{accountId}/installations/{installationId}': setCommitPolicy,
  'DELETE /accounts/{accountId}/installations/{installationId}': unlink,
});
