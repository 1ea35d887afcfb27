import { createHttpHandler } from '../shared/http/http-handler.js';
import { create } from './routes/create.js';

export const handler = createHttpHandler({
  'POST /accounts/{accountId}/repositories': create,
});
