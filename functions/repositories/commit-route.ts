import { requireCaller } from '../shared/auth/context.js';
import { AppError } from '../shared/errors.js';
import { count, METRIC } from '../shared/metrics.js';
import type { RouteHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { commitChanges } from './commit-changes.js';
import { parseCommitRequest } from './commit-request.js';
import { repositoryParams } from './read-routes.js';

export const commitRoute: RouteHandler = async (request) => {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const { owner, repo } = repositoryParams(request.pathParameters);
  const commit = parseCommitRequest(request.body);
  try {
    const committed = await commitChanges(caller, accountId, owner, repo, commit);
    count(METRIC.commits);
    return json(201, committed);
  } catch (error) {
    // Many of these mean clients racing on one branch (or committing on stale reads).
    if (error instanceof AppError && error.code === 'head_moved') count(METRIC.commitsHeadMoved);
    throw error;
  }
};
