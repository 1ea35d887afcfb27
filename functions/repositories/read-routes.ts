import { requireCaller } from '../shared/auth/context.js';
import type { RouteHandler } from '../shared/http/http-handler.js';
import { json } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { repositoryNotFound } from '../shared/repositories/repository-access.js';
import { readContents, readTree } from './read-repository.js';

/** `{owner}/{repo}` as GitHub spells names; anything else cannot be reached (404, as unknown ones). */
export function repositoryParams(params: Readonly<Record<string, string | undefined>>) {
  const { owner, repo } = params;
  if (!owner || !repo || !/^[A-Za-z0-9-]{1,39}$/.test(owner) || !/^[A-Za-z0-9._-]{1,100}$/.test(repo))
    throw repositoryNotFound();
  return { owner, repo };
}

export const treeRoute: RouteHandler = async (request) => {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const { owner, repo } = repositoryParams(request.pathParameters);
  return json(200, await readTree(caller, accountId, owner, repo, request.query.ref));
};

export const contentsRoute: RouteHandler = async (request) => {
  const caller = await requireCaller(request);
  const accountId = accountIdParam(request.pathParameters.accountId);
  const { owner, repo } = repositoryParams(request.pathParameters);
  const path = request.pathParameters.path ?? '';
  return json(200, await readContents(caller, accountId, owner, repo, path, request.query.ref));
};
