import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { ownerParam, repoParam } from '../params.js';
import { readContents } from '../read-repository.js';

/** GET …/repositories/{owner}/{repo}/contents/{path}: members read (membership checked by resolveLinkedRepository). */
export const contents = route({
  auth: 'session',
  params: { accountId: accountIdParam, owner: ownerParam, repo: repoParam },
  handle: async ({ caller, params: { accountId, owner, repo }, request }) => {
    // Checked by readContents (Git's path rules, else 400 invalid_path).
    const path = request.pathParameters.path ?? '';
    return json(200, await readContents(caller, accountId, owner, repo, path, request.query.ref));
  },
});
