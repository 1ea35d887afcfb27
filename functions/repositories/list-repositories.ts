import { requireMember } from '../shared/accounts/membership.js';
import type { Caller } from '../shared/auth/sessions.js';
import { BadRequestError, NotFoundError } from '../shared/errors.js';
import { getServices } from '../shared/services.js';
import type { InstallationDetails } from '../shared/store/installation-store.js';
import type { RepositoryScope } from '../shared/installations/repository-scope.js';
import {
  isSearchable,
  type RepositoryIndexStore,
  type IndexedRepository,
  type IndexStatus,
  type InstallationIndexState,
} from '../shared/store/repository-index-store.js';
import { readBudgets, readPage, shapeOf, type PageShape } from './merge-pages.js';
import { cursorFits, decodeCursor, encodeCursor, type RepositoryKey } from './repository-cursor.js';
import { forgetOwnerPlans, openInstallation, type Listed, type OpenedInstallation } from './scoped-reads.js';

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
  /** Without `q`, when no listed link is scoped: the exact number of repositories across all pages. */
  total?: number;
  installations: InstallationStatus[];
};

export type ListQuery = {
  installationId?: number;
  /** Lower-case, trimmed: the start of the name or of a word in it. */
  q?: string;
  limit: number;
  after?: RepositoryKey;
  /** The previous page's shape, from its cursor: where this page's entries probably are. */
  shape?: PageShape;
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
    const { shape, ...after } = decodeCursor(query.cursor);
    if (!cursorFits(after, out.q))
      throw new BadRequestError(
        'invalid_cursor',
        'cursor belongs to another search. Start again without it.',
      );
    out.after = after;
    if (shape) out.shape = shape;
  }
  return out;
}

/**
 * Where the entries of a first page (no cursor) were the last time this container answered it: the
 * same view asked again (a console's first page, a repeated search) reads only about a page in all.
 * Only a read plan: the answer is always read and checked afresh (merge-pages.ts). Bounded; the
 * oldest is forgotten first.
 */
const firstPageShapes = new Map<string, PageShape>();
const MAX_REMEMBERED_SHAPES = 1000;

/** Forgets every remembered first-page shape: the bench's "as before" arm reads as without them. */
export function forgetPageShapes(): void {
  firstPageShapes.clear();
  forgetOwnerPlans();
}

function rememberShape(key: string, shape: PageShape): void {
  firstPageShapes.delete(key);
  firstPageShapes.set(key, shape);
  if (firstPageShapes.size > MAX_REMEMBERED_SHAPES) {
    const oldest = firstPageShapes.keys().next();
    if (!oldest.done) firstPageShapes.delete(oldest.value);
  }
}

/** One linked installation as a page reads it: its id and the link's scope (null: all it reaches). */
export type ListedInstallation = { installationId: number; scope: RepositoryScope | null };

/**
 * A page's first reads, one per installation at once, sized by the expected shape (readBudgets):
 * each installation opened as its link's scope says (scoped-reads.ts).
 */
export function openInstallations(
  index: RepositoryIndexStore,
  linked: readonly ListedInstallation[],
  query: Pick<ListQuery, 'q' | 'after' | 'limit'>,
  shape: PageShape | undefined,
): Promise<OpenedInstallation[]> {
  const budgets = readBudgets(
    linked.map((entry) => entry.installationId),
    query.limit,
    shape,
  );
  return Promise.all(
    linked.map(({ installationId, scope }) =>
      openInstallation(index, installationId, scope, query.q, query.after, budgets.get(installationId) ?? 1),
    ),
  );
}

/**
 * The page of the `listed` installations' reads, merged exactly (merge-pages.ts), and the key the
 * next page starts after: a full page's last entry, or where a page that stopped short stopped.
 */
export async function pageOf(
  opened: readonly OpenedInstallation[],
  listed: ReadonlySet<number>,
  limit: number,
): Promise<{ page: Listed[]; next?: RepositoryKey }> {
  const readers = new Map(opened.map((source) => [source.first.installationId, source.reader]));
  const merged = await readPage(
    readers,
    opened.map((source) => source.first).filter((read) => listed.has(read.installationId)),
    limit,
  );
  const page = merged.entries.slice(0, limit);
  const last = page.at(-1);
  const next = last && merged.entries.length > page.length ? last.key : merged.cut;
  return next ? { page, next } : { page };
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
 * (counts included), the stored installations and one read per installation, sized by the page's
 * expected shape and merged exactly (a third, rare, when that shape was wrong). A scoped link reads
 * only its scope (scoped-reads.ts: "Scoped links" in the docs), at a cost bounded by the page and the
 * scope; its page may stop short with a `nextCursor`, and the answer has no `total`. Any member may
 * list; others get 404 `account_not_found`. `installationId` must be linked to the account, else 404
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
  const scopes = new Map(links.map((link) => [link.installationId, link.scope]));
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
  const shapeKey = `${accountId}|${query.installationId ?? ''}|${query.q ?? ''}`;
  const shape = query.after === undefined ? firstPageShapes.get(shapeKey) : query.shape;
  // Round trip 2: the membership, and beside it what the answer needs.
  const [, stored, states, opened] = await Promise.all([
    membership,
    installations.getManyDetails(wanted),
    index.states(wanted),
    searchable
      ? openInstallations(
          index,
          wanted.map((id) => ({ installationId: id, scope: scopes.get(id) ?? null })),
          query,
          shape,
        )
      : Promise.resolve([]),
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

  // Merged without them (read beside the others all the same: no wait).
  const { page, next } = await pageOf(opened, listed, query.limit);
  const pageShape = shapeOf(page);
  if (query.after === undefined && searchable) rememberShape(shapeKey, pageShape);
  // A scope's count would need its every name read: exact totals only when no listed link is scoped.
  const counted = query.q === undefined && wanted.every((id) => !listed.has(id) || !scopes.get(id));
  return {
    repositories: page.map(({ key: _key, id: _id, ...view }) => view),
    ...(next ? { nextCursor: encodeCursor(next, pageShape) } : {}),
    ...(counted
      ? {
          total: states
            .filter((state) => listed.has(state.installationId))
            .reduce((sum, state) => sum + state.repositoryCount, 0),
        }
      : {}),
    installations: statuses,
  };
}
