import { compareKeys, type RepositoryKey } from './repository-cursor.js';

/**
 * A merged page of several installations' index entries, read with per-installation budgets rather
 * than `limit + 1` from each (docs/repository-index.md "Order and cursor"). Reading fewer entries from
 * an installation is always safe when the merge checks what it may have missed: an installation that
 * may hold more entries holds none before the last one read from it. The answer's first `limit + 1`
 * entries are exact once every such installation's last read entry is at or after the
 * (`limit + 1`)-th entry read in all; the installations for which this does not hold are read again
 * (a third round trip), up to `limit + 1` entries in all, which is what reading `limit + 1` from each
 * at once would have read.
 */

/** What one installation's read gave: its entries in the list's order, and whether more may follow. */
export type InstallationRead<E extends { key: RepositoryKey }> = {
  installationId: number;
  entries: E[];
  /** Entries may follow the last one (DynamoDB stopped at the budget or at its page size). */
  more: boolean;
  /**
   * With `more`: every entry up to this key was read (default: the last entry). A scoped read
   * (scoped-reads.ts) may have read past its last entry, through names that hold nothing.
   */
  coveredTo?: RepositoryKey;
};

/** Up to where a read that may hold more has seen everything (undefined: it read nothing). */
const coverage = <E extends { key: RepositoryKey }>(read: InstallationRead<E>) =>
  read.coveredTo ?? read.entries.at(-1)?.key;

/** How many entries of each installation a page's answer held: the next read's plan. */
export type PageShape = ReadonlyMap<number, number>;

/**
 * Entries to read from each installation for a page of `limit` (one more than a page when all of a
 * page may come from it). Without a shape (nothing known of where the page's entries are): `limit + 1`
 * from each, so that one round of reads always settles. With one (the previous page's, or the same
 * request answered before): what each gave then plus a fair share (`⌈limit / n⌉`) of slack, at most
 * `limit + 1`; a wrong guess costs a read more, never a wrong page.
 */
export function readBudgets(
  installationIds: readonly number[],
  limit: number,
  shape: PageShape | undefined,
): Map<number, number> {
  const share = Math.ceil(limit / Math.max(1, installationIds.length));
  return new Map(
    installationIds.map((id) => [
      id,
      shape === undefined ? limit + 1 : Math.min(limit, (shape.get(id) ?? 0) + share) + 1,
    ]),
  );
}

export type Settled<E> =
  | { done: true; entries: E[] }
  | { done: false; refill: Array<{ installationId: number; after: RepositoryKey; limit: number }> };

/**
 * The merged first `limit + 1` entries (fewer when there are no more), or the reads still needed to
 * know them: installations that may hold more and whose last read entry is before the (`limit + 1`)-th
 * entry read, each read again after its last entry up to `limit + 1` entries in all.
 */
export function settlePage<E extends { key: RepositoryKey }>(
  reads: readonly InstallationRead<E>[],
  limit: number,
): Settled<E> {
  const merged = reads.flatMap((read) => read.entries).sort((a, b) => compareKeys(a.key, b.key));
  const boundary = merged[limit];
  const refill = reads.flatMap((read) => {
    const covered = coverage(read);
    if (!read.more || covered === undefined) return [];
    if (boundary !== undefined && compareKeys(covered, boundary.key) >= 0) return [];
    return [
      {
        installationId: read.installationId,
        after: covered,
        limit: Math.max(1, limit + 1 - read.entries.length),
      },
    ];
  });
  if (refill.length > 0) return { done: false, refill };
  return { done: true, entries: merged.slice(0, limit + 1) };
}

/**
 * A page that stops short (scoped reads that found little: the list's reads are bounded, never the
 * organisation): the merged entries up to the first point some installation that may hold more was
 * read to (at most `limit + 1`, as settlePage), and that point, `cut`: with `limit` entries or fewer
 * the next page goes on strictly after it. Nothing up to the cut is missing.
 */
export function cutPage<E extends { key: RepositoryKey }>(
  reads: readonly InstallationRead<E>[],
  limit: number,
): { entries: E[]; cut?: RepositoryKey } {
  const merged = reads.flatMap((read) => read.entries).sort((a, b) => compareKeys(a.key, b.key));
  const cut = reads
    .filter((read) => read.more)
    .map(coverage)
    .filter((key): key is RepositoryKey => key !== undefined)
    .sort(compareKeys)[0];
  if (cut === undefined) return { entries: merged.slice(0, limit + 1) };
  return { entries: merged.filter((entry) => compareKeys(entry.key, cut) <= 0).slice(0, limit + 1), cut };
}

/** How many of a page's entries came from each installation (the shape of the answer). */
export function shapeOf(entries: readonly { installationId: number }[]): Map<number, number> {
  const shape = new Map<number, number>();
  for (const entry of entries) shape.set(entry.installationId, (shape.get(entry.installationId) ?? 0) + 1);
  return shape;
}

/** Reads one installation's next `limit` entries strictly after `after` (a refill). */
export type ReadMore<E extends { key: RepositoryKey }> = (
  after: RepositoryKey,
  limit: number,
) => Promise<InstallationRead<E>>;

/** Read rounds a page may take (the first reads, then refills): past them it stops short (cutPage). */
export const MAX_READ_ROUNDS = 3;

/**
 * The merged page from the first reads, `limit + 1` entries at most (one more than a page says whether
 * another follows): the installations the merge cannot vouch for are read again (settlePage), by
 * `readers`. Whole-index reads settle in the second round at the latest; scoped reads that find little
 * may not: after MAX_READ_ROUNDS the page stops short at `cut`.
 */
export async function readPage<E extends { key: RepositoryKey }>(
  readers: ReadonlyMap<number, ReadMore<E>>,
  first: InstallationRead<E>[],
  limit: number,
): Promise<{ entries: E[]; cut?: RepositoryKey }> {
  let reads = first;
  for (let round = 1; ; round++) {
    const settled = settlePage(reads, limit);
    if (settled.done) return { entries: settled.entries };
    if (round >= MAX_READ_ROUNDS) return cutPage(reads, limit);
    const again = await Promise.all(
      settled.refill.map((refill) => {
        const reader = readers.get(refill.installationId);
        return reader
          ? reader(refill.after, refill.limit)
          : Promise.reject(new Error(`no reader for installation ${refill.installationId}`));
      }),
    );
    const more = new Map(again.map((read) => [read.installationId, read]));
    reads = reads.map((read) => {
      const next = more.get(read.installationId);
      return next ? { ...next, entries: [...read.entries, ...next.entries] } : read;
    });
  }
}
