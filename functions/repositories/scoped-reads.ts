import { ServiceUnavailableError } from '../shared/errors.js';
import { inScope, scopeRanges, type RepositoryScope } from '../shared/installations/repository-scope.js';
import {
  firstMatchingStart,
  type IndexedRepository,
  type NameRange,
  type RepositoryIndexStore,
} from '../shared/store/repository-index-store.js';
import type { InstallationRead } from './merge-pages.js';
import { compareKeys, type RepositoryKey } from './repository-cursor.js';

/**
 * How the list reads one linked installation's entries (docs/repository-index.md "Scoped links"): the
 * whole index, or only what the link's scope reaches, at a cost bounded by the page and the scope,
 * never by the number of repositories the installation has.
 */

/** An index entry as the list merges it: the repository and its key in the list's total order. */
export type Listed = IndexedRepository & { key: RepositoryKey };

/** One installation's next `limit` entries strictly after `after`: a page's first read, or a refill. */
export type Reader = (after: RepositoryKey | undefined, limit: number) => Promise<InstallationRead<Listed>>;

/** Above every id GitHub gives (the index pads ids to 16 digits): a key after every entry of a name. */
const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Sorts after every character a repository name may hold: `prefix~` is after every name with it. */
const AFTER_NAMES = '~';
/**
 * Name ranges one read queries at once for one installation: a page of 100 names in scope is read in
 * a few rounds, never 100 requests at once on the client's 50 sockets.
 */
const MAX_SPANS_PER_READ = 25;
/** A scoped search over patterns reads at most this many search entries per entry it may answer. */
const SEARCH_READ_FACTOR = 2;
const MIN_SEARCH_READ = 50;

/**
 * One name range of a scoped installation in the list's order: every entry of it is after `start`
 * and before `end`, and spans never overlap. `exact` (one name) holds one entry, rarely two; a
 * prefix up to a page. A search span (`suffix`) is one name `q` matched at a known word start.
 */
export type Span = {
  range: NameRange;
  exact: boolean;
  start: RepositoryKey;
  end: RepositoryKey;
  suffix?: string;
};

/**
 * The list's spans of a scope: each range of it (scopeRanges: names and prefixes, none inside another)
 * under each owner the installation's entries have (their full names begin with it), in order.
 */
export function listSpans(scope: RepositoryScope, owners: readonly string[]): Span[] {
  const spans = owners.flatMap((owner) =>
    scopeRanges(scope).map((range): Span => {
      if (range.kind === 'exact') {
        const name = `${owner}/${range.name}`;
        return { range: { exact: name }, exact: true, start: { name, id: 0 }, end: { name, id: MAX_ID } };
      }
      const prefix = `${owner}/${range.prefix}`;
      return {
        range: { prefix },
        exact: false,
        start: { name: prefix, id: 0 },
        end: { name: `${prefix}${AFTER_NAMES}`, id: MAX_ID },
      };
    }),
  );
  return spans.sort((a, b) => compareKeys(a.start, b.start));
}

/**
 * A search's spans of a scope of names only: the names `q` matches (known without a read: a name's
 * word starts are its own), each at its first matching word start, in the search's order.
 */
export function searchSpans(scope: RepositoryScope, owners: readonly string[], q: string): Span[] {
  const spans = owners.flatMap((owner) =>
    scope.repositories.flatMap((name): Span[] => {
      const at = firstMatchingStart(name, q);
      if (at === undefined) return [];
      const suffix = name.slice(at);
      const fullName = `${owner}/${name}`;
      return [
        {
          range: { exact: fullName },
          exact: true,
          suffix,
          start: { suffix, name: fullName, id: 0 },
          end: { suffix, name: fullName, id: MAX_ID },
        },
      ];
    }),
  );
  return spans.sort((a, b) => compareKeys(a.start, b.start));
}

/**
 * Up to about `budget` entries of the spans after `after`: the next spans in order, read at once,
 * as many as could fill the budget (a name counts one entry, a prefix a whole budget), at most
 * MAX_SPANS_PER_READ. `coveredTo` says how far that read reached when spans are left: the end of the
 * last span read, or the last entry of a prefix that held more.
 */
export async function readSpans(
  index: RepositoryIndexStore,
  installationId: number,
  spans: readonly Span[],
  after: RepositoryKey | undefined,
  budget: number,
): Promise<InstallationRead<Listed>> {
  const pending = after === undefined ? spans : spans.filter((span) => compareKeys(span.end, after) > 0);
  const wave: Span[] = [];
  let expected = 0;
  for (const span of pending) {
    if (expected >= budget || wave.length >= MAX_SPANS_PER_READ) break;
    wave.push(span);
    expected += span.exact ? 1 : budget;
  }
  const reads = await Promise.all(
    wave.map((span) => {
      // Only the span `after` falls in starts after it; the later ones start at their beginning.
      const inside = after !== undefined && compareKeys(after, span.start) > 0;
      return index.listRange(installationId, span.range, {
        after: inside ? { name: after.name, id: after.id } : undefined,
        limit: budget,
      });
    }),
  );
  const entries: Listed[] = [];
  let covered: RepositoryKey | undefined;
  for (const [at, span] of wave.entries()) {
    const read = reads[at] ?? { entries: [], more: false };
    for (const entry of read.entries)
      entries.push(
        span.suffix === undefined ? entry : { ...entry, key: { suffix: span.suffix, ...entry.key } },
      );
    if (read.more) {
      // DynamoDB never stops a Query before its first entry: the fallbacks are for safety only.
      const coveredTo = entries.at(-1)?.key ?? covered;
      if (coveredTo === undefined) throw new ServiceUnavailableError({ retryAfterSeconds: 1 });
      return { installationId, entries, more: true, coveredTo };
    }
    covered = span.end;
  }
  if (covered === undefined || wave.length === pending.length)
    return { installationId, entries, more: false };
  return { installationId, entries, more: true, coveredTo: covered };
}

/** The whole index of an installation (no scope): one Query of the list's or the search's entries. */
function wholeReader(index: RepositoryIndexStore, installationId: number, q: string | undefined): Reader {
  return async (after, limit) => {
    if (q === undefined) {
      const page = await index.listPage(installationId, { after, limit });
      return { installationId, entries: page.entries, more: page.more };
    }
    const page = await index.searchPage(installationId, {
      q,
      after:
        after?.suffix === undefined ? undefined : { suffix: after.suffix, name: after.name, id: after.id },
      limit,
    });
    return { installationId, entries: page.entries, more: page.more };
  };
}

/**
 * A search through a scope with patterns: a repository a pattern reaches may match `q` at a word start
 * past the pattern's prefix, which no name range can find. So the installation's search entries for
 * `q` are read in order and filtered by the scope in memory, at most SEARCH_READ_FACTOR × `limit`
 * (at least MIN_SEARCH_READ) entries a read, going on from where the read stopped (`coveredTo`):
 * a page's cost stays bounded, and a page may come back short with a `nextCursor`.
 */
function scopedSearchReader(
  index: RepositoryIndexStore,
  installationId: number,
  scope: RepositoryScope,
  q: string,
): Reader {
  return async (after, limit) => {
    const page = await index.searchPage(installationId, {
      q,
      after:
        after?.suffix === undefined ? undefined : { suffix: after.suffix, name: after.name, id: after.id },
      limit,
      accept: (entry) => inScope(scope, entry.name),
      maxRead: Math.max(MIN_SEARCH_READ, SEARCH_READ_FACTOR * limit),
    });
    return {
      installationId,
      entries: page.entries,
      more: page.more,
      ...(page.coveredTo ? { coveredTo: page.coveredTo } : {}),
    };
  };
}

/**
 * The owners each scoped installation's entries were under when this container last read them: a read
 * plan (the spans' keys begin with the owner), checked by every read, so a warm page reads its spans
 * beside the check rather than after it. Bounded; the oldest is forgotten first.
 */
const ownerPlans = new Map<number, readonly string[]>();
const MAX_OWNER_PLANS = 1000;

/** Forgets every owner plan (the bench's "as before" arm; tests of the cold path). */
export function forgetOwnerPlans(): void {
  ownerPlans.clear();
}

function rememberOwners(installationId: number, owners: readonly string[]): void {
  ownerPlans.delete(installationId);
  ownerPlans.set(installationId, owners);
  if (ownerPlans.size > MAX_OWNER_PLANS) {
    const oldest = ownerPlans.keys().next();
    if (!oldest.done) ownerPlans.delete(oldest.value);
  }
}

const sameOwners = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((owner, at) => owner === b[at]);

/** An installation opened for a page: its reader (for refills) and its first read. */
export type OpenedInstallation = { reader: Reader; first: InstallationRead<Listed> };

/**
 * Opens one linked installation for a page and reads its first `budget` entries after `after`:
 * - without a scope, the whole index;
 * - a search through a scope with patterns: the search entries, filtered by the scope (bounded);
 * - otherwise the scope's spans (names and prefixes; a search through names only matches them in
 *   memory first), which need the owner their keys begin with: read with the owners this container
 *   saw last beside `indexedOwners`, which checks them, and read again only when they differ (a cold
 *   container, or a renamed account).
 */
export async function openInstallation(
  index: RepositoryIndexStore,
  installationId: number,
  scope: RepositoryScope | null,
  q: string | undefined,
  after: RepositoryKey | undefined,
  budget: number,
): Promise<OpenedInstallation> {
  const opened = async (reader: Reader) => ({ reader, first: await reader(after, budget) });
  if (!scope) return opened(wholeReader(index, installationId, q));
  if (q !== undefined && scope.patterns.length > 0)
    return opened(scopedSearchReader(index, installationId, scope, q));
  if (q !== undefined && !scope.repositories.some((name) => firstMatchingStart(name, q) !== undefined))
    return opened(() => Promise.resolve({ installationId, entries: [], more: false }));

  const spansOf = (owners: readonly string[]) =>
    q === undefined ? listSpans(scope, owners) : searchSpans(scope, owners, q);
  const planned = ownerPlans.get(installationId);
  const [owners, plannedRead] = await Promise.all([
    index.indexedOwners(installationId),
    planned ? readSpans(index, installationId, spansOf(planned), after, budget) : undefined,
  ]);
  rememberOwners(installationId, owners);
  const spans = spansOf(owners);
  const reader: Reader = (from, limit) => readSpans(index, installationId, spans, from, limit);
  if (plannedRead !== undefined && planned !== undefined && sameOwners(planned, owners))
    return { reader, first: plannedRead };
  return opened(reader);
}
