import { createHttpHandler } from '../shared/http/http-handler.js';
import { listInstallations } from './routes/list-installations.js';
import { startInstall } from './routes/start-install.js';

export const handler = createHttpHandler({
  'GET /accounts/{accountId}/installations': listInstallations,
  'GET /accounts/{accountId}/installations/new': startInstall,
});
