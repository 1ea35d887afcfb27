import { requireMember } from '../shared/accounts/membership.js';
import type { Caller } from '../shared/auth/sessions.js';
import { BadRequestError, NotFoundError } from '../shared/errors.js';
import { getServices } from '../shared/services.js';
import type { InstallationDetails } from '../shared/store/installation-store.js';
import {
  isSearchable,
  type RepositoryIndexStore,
  type IndexedRepository,
  type IndexStatus,
  type InstallationIndexState,
} from '../shared/store/repository-index-store.js';
import {
  compareKeys,
  cursorFits,
  decodeCursor,
  encodeCursor,
  type RepositoryKey,
} from './repository-cursor.js';

/** One repository of a linked installation, as the list answers it: the index's entry, id left out. */
export type RepositoryView = Omit<IndexedRepository, 'id'>;

/**
 * What the index knows of each linked installation, so a client can tell "no repositories" from "not
 * known yet" or "could not be read": `ok` (synced at `syncedAt`); `syncing` (the first sync has not
 * completed: `syncedAt` null; or a later one is running); `suspended` (GitHub refuses its tokens);
 * `unavailable` (uninstalled, or GitHub failed for it); `sso_required` (its organisation requires SAML
 * SSO). The list shows what the index holds (but for a suspended installation): the index never
 * grants access.
 */
export type InstallationStatus = {
  id: number;
  account: string | null;
  status: IndexStatus;
  syncedAt: string | null;
};

export type RepositoryList = {
  repositories: RepositoryView[];
  nextCursor?: string;
  /** Without `q`: the exact number of repositories listed across all pages. */
  total?: number;
  installations: InstallationStatus[];
};

export type ListQuery = {
  installationId?: number;
  /** Lower-case, trimmed: the start of the name or of a word in it. */
  q?: string;
  limit: number;
  after?: RepositoryKey;
};

export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 100;
/** GitHub's repository names are at most 100 characters: a longer search matches nothing. */
const MAX_Q_LENGTH = 100;

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
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    if (!cursorFits(after, out.q))
      throw new BadRequestError(
        'invalid_cursor',
        'cursor belongs to another search. Start again without it.',
      );
    out.after = after;
  }
  return out;
}

type Listed = RepositoryView & { id: number; key: RepositoryKey };

/** One installation's next entries from the index, after the cursor, in the list's order. */
async function readPage(
  index: RepositoryIndexStore,
  installationId: number,
  query: ListQuery,
): Promise<Listed[]> {
  // One more than a page: whether another page follows is known without another read.
  const limit = query.limit + 1;
  const after = query.after;
  if (query.q === undefined) return (await index.listPage(installationId, { after, limit })).entries;
  const page = await index.searchPage(installationId, {
    q: query.q,
    after: after?.suffix === undefined ? undefined : { suffix: after.suffix, name: after.name, id: after.id },
    limit,
  });
  return page.entries;
}

function statusOf(
  details: InstallationDetails | undefined,
  state: InstallationIndexState | undefined,
): IndexStatus {
  // Uninstalled (its details are gone with the uninstall) or never known.
  if (!details) return 'unavailable';
  // Suspension is the stored installation's (installation.suspend/unsuspend keep it true).
  if (details.suspendedAt) return 'suspended';
  if (state?.status === 'suspended') return state.syncedAt ? 'ok' : 'syncing';
  return state?.status ?? 'syncing';
}

/**
 * The repositories of the account's linked installations, from the repository index (no GitHub call:
 * docs/repository-index.md), in the cursor's total order, `limit` at a time. Two table round trips,
 * session included: the session and the links; then, at once, the membership, the index's states
 * (counts included), the stored installations and one page per installation, merged. Any member may list; others get 404
 * `account_not_found`. `installationId` must be linked to the account, else 404
 * `installation_not_found`.
 */
export async function listAccountRepositories(
  authenticated: Promise<Caller>,
  accountId: string,
  query: ListQuery,
): Promise<RepositoryList> {
  const { accounts, installations, repositoryIndex: index } = getServices();
  // Round trip 1: the session and the account's links at once. The links are read before the caller
  // is known to be a member, but nothing read is answered unless the membership check below passes.
  const [caller, links] = await Promise.all([authenticated, installations.linksOfAccount(accountId)]);
  const membership = requireMember(accounts, accountId, caller.userId);
  const wanted = (
    query.installationId === undefined
      ? links.map((link) => link.installationId)
      : links
          .filter((link) => link.installationId === query.installationId)
          .map((link) => link.installationId)
  ).sort((a, b) => a - b);
  if (query.installationId !== undefined && wanted.length === 0) {
    // A non-member learns nothing of the account's links: account_not_found first.
    await membership;
    throw new NotFoundError('installation_not_found', 'No such installation is linked to this account.');
  }

  // A search no name could match (a character names cannot hold) reads no repository.
  const searchable = query.q === undefined || isSearchable(query.q);
  // Round trip 2: the membership, and beside it what the answer needs.
  const [, stored, states, pages] = await Promise.all([
    membership,
    installations.getManyDetails(wanted),
    index.states(wanted),
    Promise.all(wanted.map((id) => (searchable ? readPage(index, id, query) : Promise.resolve([])))),
  ]);
  const details = new Map(stored.map((item) => [item.id, item]));
  const stateOf = new Map(states.map((state) => [state.installationId, state]));
  const statuses = wanted.map((id) => ({
    id,
    account: details.get(id)?.accountLogin ?? null,
    status: statusOf(details.get(id), stateOf.get(id)),
    syncedAt: stateOf.get(id)?.syncedAt ?? null,
  }));
  // A suspended installation's repositories are not listed (GitHub refuses its tokens: none could be
  // opened); its index is kept for when it is unsuspended. Read in parallel all the same: no wait.
  const listed = new Set(statuses.filter((entry) => entry.status !== 'suspended').map((entry) => entry.id));

  const merged = pages
    .filter((_, position) => listed.has(wanted[position] as number))
    .flat()
    .sort((a, b) => compareKeys(a.key, b.key));
  const page = merged.slice(0, query.limit);
  const last = page.at(-1);
  return {
    repositories: page.map(({ key: _key, id: _id, ...view }) => view),
    ...(last && merged.length > page.length ? { nextCursor: encodeCursor(last.key) } : {}),
    ...(query.q === undefined
      ? {
          total: states
            .filter((state) => listed.has(state.installationId))
            .reduce((sum, state) => sum + state.repositoryCount, 0),
        }
      : {}),
    installations: statuses,
  };
}
