import { RequestError } from '@octokit/request-error';
import { requireMember } from '../accounts/membership.js';
import type { Caller } from '../auth/sessions.js';
import { AppError, BadRequestError, NotFoundError, UpstreamError } from '../errors.js';
import { withInstallationToken } from '../github/app-auth.js';
import { toUpstreamError } from '../github/github.js';
import { allPages } from '../github/pages.js';
import { logger } from '../logger.js';
import { getServices } from '../services.js';
import { AccountStore } from '../store/account-store.js';
import { InstallationStore } from '../store/installation-store.js';
import { compareKeys, decodeCursor, encodeCursor, type RepositoryKey } from './repository-cursor.js';

/** One repository of a linked installation, as the list answers it. */
export type RepositoryView = {
  installationId: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  visibility: string;
  defaultBranch: string;
  archived: boolean;
  htmlUrl: string;
  updatedAt: string | null;
};

/**
 * What became of each linked installation in this answer, so a client can tell "no repositories" from
 * "could not be read": `ok`; `suspended` (GitHub refuses its tokens); `unavailable` (uninstalled on
 * GitHub, or GitHub failed for it).
 */
export type InstallationStatus = {
  id: number;
  account: string | null;
  status: 'ok' | 'suspended' | 'unavailable';
};

export type RepositoryList = {
  repositories: RepositoryView[];
  nextCursor?: string;
  installations: InstallationStatus[];
};

export type ListQuery = {
  installationId?: number;
  /** Lower-case, trimmed name substring. */
  q?: string;
  limit: number;
  after?: RepositoryKey;
};

export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 100;
/** GitHub's repository names are at most 100 characters: a longer substring matches nothing. */
const MAX_Q_LENGTH = 100;
/** `GET /installation/repositories` answers at most 100 a page. */
const PER_PAGE = 100;

const badQuery = (message: string) => new BadRequestError('invalid_query', message);

/** The query string of `GET /accounts/{accountId}/repositories`; bad values are 400s naming the parameter. */
export function parseListQuery(query: Readonly<Record<string, string | undefined>>): ListQuery {
  const out: ListQuery = { limit: DEFAULT_LIMIT };
  if (query.installationId !== undefined) {
    if (!/^[1-9][0-9]{0,15}$/.test(query.installationId))
      throw badQuery('installationId must be a GitHub installation id (a positive integer).');
    out.installationId = Number(query.installationId);
  }
  if (query.q !== undefined) {
    const q = query.q.trim();
    if (q.length > MAX_Q_LENGTH) throw badQuery(`q must be at most ${MAX_Q_LENGTH} characters.`);
    // An empty search is no search.
    if (q) out.q = q.toLowerCase();
  }
  if (query.limit !== undefined) {
    if (!/^[0-9]{1,6}$/.test(query.limit) || Number(query.limit) < 1)
      throw badQuery(`limit must be an integer from 1 to ${MAX_LIMIT}.`);
    // Larger limits are capped rather than refused.
    out.limit = Math.min(MAX_LIMIT, Number(query.limit));
  }
  if (query.cursor !== undefined) out.after = decodeCursor(query.cursor);
  return out;
}

/** The fields of GitHub's repository object the list uses. */
type GitHubRepository = {
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

type Listed = RepositoryView & { key: RepositoryKey };

function toView(installationId: number, repo: GitHubRepository): Listed {
  return {
    installationId,
    owner: repo.owner.login,
    name: repo.name,
    fullName: repo.full_name,
    private: repo.private,
    visibility: repo.visibility ?? (repo.private ? 'private' : 'public'),
    defaultBranch: repo.default_branch ?? 'main',
    archived: repo.archived ?? false,
    htmlUrl: repo.html_url,
    updatedAt: repo.updated_at ?? null,
    key: { name: repo.full_name.toLowerCase(), id: repo.id },
  };
}

/**
 * Every repository the installation reaches, read fresh from GitHub with a `metadata: read` token:
 * the first page, then all the others at once (the Link header's last page), so any number of
 * repositories costs 2 sequential round trips (plus a token mint when none is cached).
 */
async function readInstallation(installationId: number): Promise<Listed[]> {
  const { github } = getServices();
  return withInstallationToken(installationId, { permissions: { metadata: 'read' } }, async (token) => {
    const headers = { authorization: `token ${token}` };
    const page = (number: number) =>
      github('GET /installation/repositories', { per_page: PER_PAGE, page: number, headers });
    const answers = await allPages(page);
    const seen = new Set<number>();
    const out: Listed[] = [];
    // A repository removed between page 1 and the others shifts the rest: never list one twice.
    for (const answer of answers) {
      for (const repo of answer.data.repositories as GitHubRepository[]) {
        if (seen.has(repo.id)) continue;
        seen.add(repo.id);
        out.push(toView(installationId, repo));
      }
    }
    return out;
  });
}

type Outcome =
  | { status: 'ok'; repositories: Listed[] }
  | { status: 'suspended' | 'unavailable'; upstream?: UpstreamError };

const upstreamOf = (outcome: Outcome) => ('upstream' in outcome ? outcome.upstream : undefined);

/**
 * What a failure means for one installation. A rate limit fails the whole list (a 503 with Retry-After:
 * the other installations would soon be throttled too, and a partial list would look complete); a
 * suspended installation (its tokens refused) and one GitHub no longer knows or failed for are reported
 * per installation. Anything not from GitHub (the table) fails the list.
 */
function outcomeOfFailure(installationId: number, error: unknown): Outcome {
  const upstream = error instanceof UpstreamError ? error : toUpstreamError(error);
  if (upstream?.code === 'github_rate_limited') throw upstream;
  if (error instanceof AppError && error.code === 'installation_suspended') return { status: 'suspended' };
  if (error instanceof RequestError && error.status === 403 && /suspended/i.test(error.message))
    return { status: 'suspended' };
  const fromGitHub =
    error instanceof RequestError ||
    error instanceof UpstreamError ||
    (error instanceof AppError && error.code === 'insufficient_installation_permissions');
  // The table throttling (503 service_unavailable) or anything unexpected is the list's failure.
  if (!fromGitHub) throw error;
  logger.warn('An installation’s repositories could not be read', {
    installationId,
    status: error instanceof RequestError ? error.status : error.statusCode,
  });
  return upstream ? { status: 'unavailable', upstream } : { status: 'unavailable' };
}

/**
 * The repositories reachable through the account's linked installations, read from GitHub on every
 * call (no copy in the table, so nothing goes stale and the list writes nothing but the shared token
 * cache), filtered, in the cursor's total order, `limit` at a time. Any member may list; others get
 * 404 `account_not_found`. `installationId` must be linked to the account, else 404
 * `installation_not_found`.
 */
export async function listAccountRepositories(
  caller: Caller,
  accountId: string,
  query: ListQuery,
): Promise<RepositoryList> {
  const { table } = getServices();
  const installations = new InstallationStore(table);
  const [, links] = await Promise.all([
    requireMember(new AccountStore(table), accountId, caller.userId),
    installations.linksOfAccount(accountId),
  ]);
  const wanted =
    query.installationId === undefined
      ? links
      : links.filter((link) => link.installationId === query.installationId);
  if (query.installationId !== undefined && wanted.length === 0)
    throw new NotFoundError('installation_not_found', 'No such installation is linked to this account.');

  // Every installation at once; the stored details only name the accounts (one request for all of
  // them, in parallel with GitHub: no extra wait).
  const [stored, outcomes] = await Promise.all([
    installations.getManyDetails(wanted.map((link) => link.installationId)),
    Promise.all(
      wanted.map((link) =>
        readInstallation(link.installationId).then(
          (repositories): Outcome => ({ status: 'ok', repositories }),
          (error: unknown) => outcomeOfFailure(link.installationId, error),
        ),
      ),
    ),
  ]);
  const accounts = new Map(stored.map((details) => [details.id, details.accountLogin]));
  const results = wanted.map((link, index) => ({
    id: link.installationId,
    account: accounts.get(link.installationId) ?? null,
    outcome: outcomes[index] as Outcome,
  }));
  // GitHub failing for every installation is GitHub failing: its 502/503, not an empty list.
  if (!results.some((result) => result.outcome.status === 'ok')) {
    const failure = results.map((result) => upstreamOf(result.outcome)).find(Boolean);
    if (failure) throw failure;
  }

  const q = query.q;
  const after = query.after;
  const matching = results
    .flatMap((result) => (result.outcome.status === 'ok' ? result.outcome.repositories : []))
    .filter((repo) => q === undefined || repo.name.toLowerCase().includes(q))
    .filter((repo) => after === undefined || compareKeys(repo.key, after) > 0)
    .sort((a, b) => compareKeys(a.key, b.key));
  const page = matching.slice(0, query.limit);
  const last = page.at(-1);
  return {
    repositories: page.map(({ key: _key, ...view }) => view),
    ...(last && matching.length > page.length ? { nextCursor: encodeCursor(last.key) } : {}),
    installations: results
      .map((result) => ({ id: result.id, account: result.account, status: result.outcome.status }))
      .sort((a, b) => a.id - b.id),
  };
}
