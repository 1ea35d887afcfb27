import { createHttpHandler } from '../shared/http/http-handler.js';
import { commitRoute } from './commit-route.js';
import { listRoute } from './list-route.js';
import { contentsRoute, treeRoute } from './read-routes.js';

export const handler = createHttpHandler({
  'GET /accounts/{accountId}/repositories': { handle: listRoute },
  'GET /accounts/{accountId}/repositories/{owner}/{repo}/tree': { handle: treeRoute },
  'GET /accounts/{accountId}/repositories/{owner}/{repo}/contents/{path+}': { handle: contentsRoute },
  'POST /accounts/{accountId}/repositories/{owner}/{repo}/commits': { body: 'json', handle: commitRoute },
});
