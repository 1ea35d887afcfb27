import { RequestError } from '@octokit/request-error';
import type { GitHubRequest } from '../shared/github/github.js';
import { lastPage } from '../shared/github/pages.js';

/** `GET /installation/repositories` answers at most 100 a page. */
export const PER_PAGE = 100;

/** The fields of GitHub's repository object the index keeps. */
export type GitHubRepository = {
  id: number;
  name: string;
  full_name: string;
  owner: { login: string };
  private: boolean;
  visibility?: string;
  default_branch?: string;
  archived?: boolean;
  html_url: string;
  updated_at?: string | null;
};

type Headers = Record<string, string | number | undefined>;

/** One page's answer, as the sync needs it. */
export type PageAnswer =
  | {
      kind: 'changed';
      page: number;
      etag: string | undefined;
      repositories: GitHubRepository[];
      totalCount: number;
      lastPage: number;
      headers: Headers;
    }
  | { kind: 'not_modified'; page: number; headers: Headers }
  /** GitHub answered 200 but the body could not be read (octokit hands back `""`): try it again later. */
  | { kind: 'unreadable'; page: number; headers: Headers };

function isRepository(value: unknown): value is GitHubRepository {
  if (typeof value !== 'object' || value === null) return false;
  const repo = value as Partial<GitHubRepository>;
  return (
    typeof repo.id === 'number' &&
    typeof repo.name === 'string' &&
    typeof repo.full_name === 'string' &&
    typeof repo.owner?.login === 'string'
  );
}

/**
 * One conditional read of a page: `If-None-Match` with the ETag stored for it, so an unchanged page is
 * a 304 (which GitHub does not count against the primary rate limit). Other failures throw octokit's
 * RequestError, headers included, for the caller to read (rate limits, suspension, 404).
 */
export async function readPage(
  github: GitHubRequest,
  token: string,
  page: number,
  etag: string | undefined,
): Promise<PageAnswer> {
  let answer;
  try {
    answer = await github('GET /installation/repositories', {
      per_page: PER_PAGE,
      page,
      headers: { authorization: `token ${token}`, ...(etag ? { 'if-none-match': etag } : {}) },
    });
  } catch (error) {
    // octokit throws on 304 ("Not modified"): for a conditional read it is the cheap, good answer.
    if (error instanceof RequestError && error.status === 304)
      return { kind: 'not_modified', page, headers: error.response?.headers ?? {} };
    throw error;
  }
  const headers = answer.headers as Headers;
  // A body that could not be read reaches us as `data: ""` (or a body without the list): never
  // "no repositories", which the sweep would take as every repository removed.
  const data = answer.data as unknown as { repositories?: unknown; total_count?: unknown } | string;
  if (typeof data !== 'object' || data === null || !Array.isArray(data.repositories))
    return { kind: 'unreadable', page, headers };
  const repositories = data.repositories.filter(isRepository);
  if (repositories.length !== data.repositories.length) return { kind: 'unreadable', page, headers };
  return {
    kind: 'changed',
    page,
    etag: typeof headers.etag === 'string' ? headers.etag : undefined,
    repositories,
    totalCount: typeof data.total_count === 'number' ? data.total_count : repositories.length,
    // The last page itself names no `last`: it is the last.
    lastPage: Math.max(page, lastPage(typeof headers.link === 'string' ? headers.link : undefined)),
    headers,
  };
}
