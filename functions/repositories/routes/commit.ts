import { AppError } from '../../shared/errors.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { count, METRIC } from '../../shared/metrics.js';
import { commitChanges } from '../commit-changes.js';
import { parseCommitRequest } from '../commit-request.js';
import { ownerParam, repoParam } from '../params.js';

/** POST …/repositories/{owner}/{repo}/commits: membership and the link's commit policy checked by commitChanges. */
export const commit = route({
  auth: 'session',
  params: { accountId: accountIdParam, owner: ownerParam, repo: repoParam },
  body: parseCommitRequest,
  handle: async ({ caller, params: { accountId, owner, repo }, body, request }) => {
    try {
      const committed = await commitChanges(caller, accountId, owner, repo, body, request.requestId);
      count(METRIC.commits);
      return json(201, committed);
    } catch (error) {
      // Many of these mean clients racing on one branch (or committing on stale reads).
      if (error instanceof AppError && error.code === 'head_moved') count(METRIC.commitsHeadMoved);
      throw error;
    }
  },
});
