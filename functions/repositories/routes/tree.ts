import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { ownerParam, repoParam } from '../params.js';
import { readTree } from '../read-repository.js';

/** GET …/repositories/{owner}/{repo}/tree: members read (membership checked by resolveLinkedRepository). */
export const tree = route({
  auth: 'session',
  params: { accountId: accountIdParam, owner: ownerParam, repo: repoParam },
  handle: async ({ caller, params: { accountId, owner, repo }, request }) =>
    json(200, await readTree(caller, accountId, owner, repo, request.query.ref)),
});
