import { createHttpHandler } from '../shared/http/http-handler.js';
import { commit } from './routes/commit.js';
import { contents } from './routes/contents.js';
import { list } from './routes/list.js';
import { tree } from './routes/tree.js';

export const handler = createHttpHandler({
  'GET /accounts/{accountId}/repositories': list,
  'GET /accounts/{accountId}/repositories/{owner}/{repo}/tree': tree,
  'GET /accounts/{accountId}/repositories/{owner}/{repo}/contents/{path+}': contents,
  'POST /accounts/{accountId}/repositories/{owner}/{repo}/commits': commit,
});
