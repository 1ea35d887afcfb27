import {
  cutPage,
  readBudgets,
  readPage,
  settlePage,
  shapeOf,
  type InstallationRead,
} from '../../functions/repositories/merge-pages.js';
import { compareKeys, type RepositoryKey } from '../../functions/repositories/repository-cursor.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * The merge of per-installation reads (merge-pages.ts) against the obvious answer (every entry of
 * every installation, sorted), over a stand-in for the index: each installation's entries in the
 * list's order, read `limit` at a time strictly after a key, as RepositoryIndexStore.listPage does.
 * Counted: rounds of reads (each a table round trip in the list) and entries read.
 */
type Entry = { installationId: number; key: RepositoryKey };

function world(sizes: Record<number, number>, nameOf: (installationId: number, n: number) => string) {
  const byInstallation = new Map<number, Entry[]>();
  let id = 1;
  for (const [installation, size] of Object.entries(sizes)) {
    const installationId = Number(installation);
    const entries = Array.from({ length: size }, (_, n) => ({
      installationId,
      key: { name: nameOf(installationId, n), id: id++ },
    })).sort((a, b) => compareKeys(a.key, b.key));
    byInstallation.set(installationId, entries);
  }
  return byInstallation;
}

function reader(byInstallation: Map<number, Entry[]>) {
  let entriesRead = 0;
  const read = (installationId: number, after: RepositoryKey | undefined, limit: number) => {
    const all = byInstallation.get(installationId) ?? [];
    const start = after ? all.findIndex((entry) => compareKeys(entry.key, after) > 0) : 0;
    const from = start < 0 ? all.length : start;
    const entries = all.slice(from, from + limit);
    entriesRead += entries.length;
    return { installationId, entries, more: from + limit < all.length } satisfies InstallationRead<Entry>;
  };
  return { read, entriesRead: () => entriesRead };
}

/** One page as the list reads it: the first reads by budget, then refills until settled. */
function page(
  byInstallation: Map<number, Entry[]>,
  limit: number,
  after: RepositoryKey | undefined,
  shape: Map<number, number> | undefined,
) {
  const { read, entriesRead } = reader(byInstallation);
  const ids = [...byInstallation.keys()];
  const budgets = readBudgets(ids, limit, shape);
  let reads = ids.map((id) => read(id, after, budgets.get(id) ?? 1));
  let rounds = 1;
  for (;;) {
    const settled = settlePage(reads, limit);
    if (settled.done) return { entries: settled.entries, rounds, entriesRead: entriesRead() };
    rounds++;
    const again = new Map(
      settled.refill.map((r) => [r.installationId, read(r.installationId, r.after, r.limit)]),
    );
    reads = reads.map((r) => {
      const next = again.get(r.installationId);
      return next ? { ...next, entries: [...r.entries, ...next.entries] } : r;
    });
  }
}

/** Every page from the start, each next page planned by the previous page's shape (the cursor's). */
function walk(byInstallation: Map<number, Entry[]>, limit: number, firstShape?: Map<number, number>) {
  const seen: Entry[] = [];
  const rounds: number[] = [];
  let after: RepositoryKey | undefined;
  let shape = firstShape;
  let read = 0;
  for (;;) {
    const result = page(byInstallation, limit, after, shape);
    const answer = result.entries.slice(0, limit);
    seen.push(...answer);
    rounds.push(result.rounds);
    read += result.entriesRead;
    if (result.entries.length <= limit) break;
    after = answer.at(-1)?.key;
    shape = shapeOf(answer);
  }
  return { seen, rounds, read };
}

const everything = (byInstallation: Map<number, Entry[]>) =>
  [...byInstallation.values()].flat().sort((a, b) => compareKeys(a.key, b.key));

const pad = (n: number) => String(n).padStart(5, '0');

describe('merged pages of several installations (merge-pages.ts)', () => {
  it('without a shape reads limit + 1 from each and settles in one round', () => {
    const byInstallation = world({ 1: 300, 2: 300, 3: 300 }, (i, n) => `org-${i}/r-${pad(n)}`);
    const result = page(byInstallation, 100, undefined, undefined);
    expect(result.rounds).toBe(1);
    expect(result.entriesRead).toBe(303);
    expect(result.entries).toEqual(everything(byInstallation).slice(0, 101));
  });

  it('every entry in one installation: a right shape reads about a page and settles in one round', () => {
    // Organisation blocks: the list's order is by full name, so installation 1 fills every early page.
    const byInstallation = world(
      { 1: 1000, 2: 1000, 3: 1000, 4: 1000, 5: 1000 },
      (i, n) => `org-${i}/r-${pad(n)}`,
    );
    const first = page(byInstallation, 100, undefined, undefined);
    const answer = first.entries.slice(0, 100);
    expect(shapeOf(answer)).toEqual(new Map([[1, 100]]));
    const second = page(byInstallation, 100, answer.at(-1)?.key, shapeOf(answer));
    expect(second.rounds).toBe(1);
    // 101 from installation 1, a share (⌈100 / 5⌉ + 1) from each other: 185, not 505.
    expect(second.entriesRead).toBe(101 + 4 * 21);
    expect(second.entries).toEqual(everything(byInstallation).slice(100, 201));
  });

  it('a wrong shape costs one more round, never a wrong page', () => {
    const byInstallation = world({ 1: 1000, 2: 1000, 3: 1000 }, (i, n) => `org-${i}/r-${pad(n)}`);
    // Says installation 3 filled the last page; installation 1 does.
    const result = page(byInstallation, 100, undefined, new Map([[3, 100]]));
    expect(result.rounds).toBe(2);
    expect(result.entries).toEqual(everything(byInstallation).slice(0, 101));
  });

  it('interleaved names (a search across organisations) settle in one round with a fair share each', () => {
    const byInstallation = world(
      { 1: 400, 2: 400, 3: 400, 4: 400, 5: 400 },
      (i, n) => `r-${pad(n)}/org-${i}`,
    );
    const result = page(byInstallation, 100, undefined, new Map([1, 2, 3, 4, 5].map((i) => [i, 20])));
    expect(result.rounds).toBe(1);
    expect(result.entriesRead).toBe(5 * 41);
    expect(result.entries).toEqual(everything(byInstallation).slice(0, 101));
  });

  it('walks every entry exactly once, in order, whatever the distribution (seeded storms)', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = seededRandom(seed);
      const installations = 1 + random.int(6);
      const sizes = Object.fromEntries(
        Array.from({ length: installations }, (_, i) => [100 + i, random.pick([0, 1, 5, 40, 150, 700])]),
      );
      // Names clustered by organisation, interleaved, or a mix of both.
      const mode = random.int(3);
      const byInstallation = world(sizes, (i, n) =>
        mode === 0
          ? `org-${i}/r-${pad(n)}`
          : mode === 1
            ? `r-${pad(n)}/${i}`
            : `${pad(random.int(50))}/${i}-${n}`,
      );
      const limit = random.pick([1, 7, 30, 100]);
      const firstShape = random.next() < 0.5 ? undefined : new Map([[100, limit]]);
      const { seen, rounds } = walk(byInstallation, limit, firstShape);
      expect({ seed, seen }).toEqual({ seed, seen: everything(byInstallation) });
      expect(Math.max(...rounds)).toBeLessThanOrEqual(3);
    }
  });

  it('a walk of organisation blocks takes one round a page but at the boundaries between them', () => {
    const byInstallation = world(
      { 1: 1000, 2: 1000, 3: 1000, 4: 1000, 5: 1000 },
      (i, n) => `org-${i}/r-${pad(n)}`,
    );
    const { seen, rounds, read } = walk(byInstallation, 100);
    expect(seen).toEqual(everything(byInstallation));
    // 50 pages; where a page runs into the next organisation that installation was read a share only.
    expect(rounds.filter((n) => n === 1).length).toBeGreaterThanOrEqual(50 - 4);
    // Reading limit + 1 from each of the 5 would have read 50 × 505 entries.
    expect(read).toBeLessThan((50 * 505) / 2);
  });
});

describe('reads that reached past their last entry (a scoped link: coveredTo)', () => {
  const entry = (installationId: number, name: string, id: number): Entry => ({
    installationId,
    key: { name, id },
  });

  it('settlePage vouches up to coveredTo, and refills from it, not from the last entry', () => {
    const reads: InstallationRead<Entry>[] = [
      { installationId: 1, entries: [entry(1, 'a/a', 1)], more: true, coveredTo: { name: 'a/m~', id: 9 } },
      {
        installationId: 2,
        entries: [entry(2, 'a/b', 2), entry(2, 'a/c', 3), entry(2, 'a/d', 4)],
        more: true,
      },
    ];
    // Page of 2: the boundary (the 3rd entry, a/c) is before both coverages: settled.
    expect(settlePage(reads, 2)).toEqual({
      done: true,
      entries: [entry(1, 'a/a', 1), entry(2, 'a/b', 2), entry(2, 'a/c', 3)],
    });
    // Page of 5: installation 1 read nothing up to a/m~ but may hold more after it; 2 after a/d.
    expect(settlePage(reads, 5)).toEqual({
      done: false,
      refill: [
        { installationId: 1, after: { name: 'a/m~', id: 9 }, limit: 5 },
        { installationId: 2, after: { name: 'a/d', id: 4 }, limit: 3 },
      ],
    });
    // A read of nothing that reached somewhere is read on from there.
    const empty = settlePage(
      [{ installationId: 3, entries: [], more: true, coveredTo: { name: 'b', id: 1 } }],
      1,
    );
    expect(empty).toEqual({
      done: false,
      refill: [{ installationId: 3, after: { name: 'b', id: 1 }, limit: 2 }],
    });
  });

  it('cutPage stops at the earliest point an installation that may hold more was read to', () => {
    const reads: InstallationRead<Entry>[] = [
      {
        installationId: 1,
        entries: [entry(1, 'a/a', 1), entry(1, 'a/m', 2)],
        more: true,
        coveredTo: { name: 'a/p~', id: 9 },
      },
      { installationId: 2, entries: [entry(2, 'a/b', 3), entry(2, 'a/z', 4)], more: false },
      { installationId: 3, entries: [], more: true, coveredTo: { name: 'a/k', id: 5 } },
    ];
    const { entries, cut } = cutPage(reads, 10);
    expect(cut).toEqual({ name: 'a/k', id: 5 });
    expect(entries).toEqual([entry(1, 'a/a', 1), entry(2, 'a/b', 3)]);
  });

  it('readPage gives up after 3 rounds of reads that find nothing, with the cut to go on from', async () => {
    // An installation whose every read reaches 10 names further and finds nothing.
    let reads = 0;
    const nothing = (after: RepositoryKey | undefined): Promise<InstallationRead<Entry>> => {
      reads++;
      const at = after ? Number(after.name.slice(2)) : 0;
      return Promise.resolve({
        installationId: 1,
        entries: [],
        more: true,
        coveredTo: { name: `n/${at + 10}`, id: 1 },
      });
    };
    const other = [entry(2, 'z/1', 1), entry(2, 'z/2', 2)];
    const result = await readPage(
      new Map([[1, nothing]]),
      [await nothing(undefined), { installationId: 2, entries: other, more: true }],
      1,
    );
    expect(reads).toBe(3);
    expect(result).toEqual({ entries: [], cut: { name: 'n/30', id: 1 } });
  });
});
