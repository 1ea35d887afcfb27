import { createHttpHandler } from '../shared/http/http-handler.js';
import { revoke } from './routes/revoke.js';
import { vend } from './routes/vend.js';

export const handler = createHttpHandler({
  'POST /service/accounts/{accountId}/tokens': vend,
  'DELETE /service/tokens': revoke,
});
