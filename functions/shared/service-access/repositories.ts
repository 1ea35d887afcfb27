import { BadRequestError } from '../errors.js';
import { inScope } from '../installations/repository-scope.js';
import { getServices } from '../services.js';
import { listed } from './listed.js';

/**
 * Repositories as service access names them: `owner/name`, lower-cased (GitHub compares both without
 * case). The owner is a GitHub account login, the name a repository name (repository-scope.ts's rule).
 */
const FULL_NAME = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/;

export const REPOSITORY_LIMITS = { perPolicy: 100 } as const;

/**
 * A request's repositories: each `owner/name` (400 `invalid_repositories` naming the ones that are not),
 * lower-cased, deduplicated and sorted; 1 to 100 of them.
 */
export function parseRepositoryNames(values: readonly string[]): string[] {
  const bad = values.filter((value) => {
    const match = FULL_NAME.exec(value);
    return !match || match[2] === '.' || match[2] === '..';
  });
  if (bad.length > 0)
    throw new BadRequestError(
      'invalid_repositories',
      `Not repositories as owner/name (a GitHub account and a repository name): ${listed(bad)}.`,
    );
  const names = [...new Set(values.map((value) => value.toLowerCase()))].sort();
  if (names.length === 0 || names.length > REPOSITORY_LIMITS.perPolicy)
    throw new BadRequestError(
      'invalid_repositories',
      `A policy names 1 to ${REPOSITORY_LIMITS.perPolicy} repositories (owner/name).`,
    );
  return names;
}

/**
 * Of `repositories` (lower-case `owner/name`), those outside the account's scope: a repository is within
 * it when an installation linked to the account belongs to `owner` (the stored details' account login)
 * and that link's scope reaches `name` (null scope: every repository). Two reads, whatever the size of
 * the organisations: the account's links, then their installations' stored details in one batch.
 * Whether the repository exists at GitHub is not asked (it may be created later).
 */
export async function repositoriesOutsideScope(
  accountId: string,
  repositories: readonly string[],
): Promise<string[]> {
  const { installations } = getServices();
  const links = await installations.linksOfAccount(accountId);
  const details = await installations.getManyDetails(links.map((link) => link.installationId));
  const loginOf = new Map(details.map((detail) => [detail.id, detail.accountLogin.toLowerCase()]));
  return repositories.filter((fullName) => {
    const [owner = '', name = ''] = fullName.split('/');
    return !links.some((link) => loginOf.get(link.installationId) === owner && inScope(link.scope, name));
  });
}
