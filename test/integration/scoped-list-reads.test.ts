import {
  openInstallations,
  pageOf,
  type ListedInstallation,
} from '../../functions/repositories/list-repositories.js';
import {
  compareKeys,
  decodeCursor,
  encodeCursor,
  type RepositoryKey,
} from '../../functions/repositories/repository-cursor.js';
import { forgetOwnerPlans } from '../../functions/repositories/scoped-reads.js';
import { inScope, type RepositoryScope } from '../../functions/shared/installations/repository-scope.js';
import {
  firstMatchingStart,
  RepositoryIndexStore,
  type IndexedRepository,
} from '../../functions/shared/store/repository-index-store.js';
import { createTestTable } from '../support/dynamodb.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * The list's reads through a link's scope (functions/repositories/scoped-reads.ts) on DynamoDB Local:
 * the index store's range reads, then whole pages walked with their cursors exactly as the list
 * handler reads them (openInstallations, then pageOf), checked against the obvious answer (every
 * indexed repository, filtered by scope and search, sorted), and what a page costs.
 */
const fixture = await createTestTable();
const { table } = fixture;
const index = new RepositoryIndexStore(table);
afterAll(() => fixture?.close());

let nextId = 5000;
function repo(installationId: number, owner: string, name: string): IndexedRepository {
  const id = nextId++;
  return {
    id,
    installationId,
    owner,
    name,
    fullName: `${owner}/${name}`,
    private: false,
    visibility: 'public',
    defaultBranch: 'main',
    archived: false,
    htmlUrl: `https://github.test/${owner}/${name}`,
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

async function seed(installationId: number, owner: string, names: readonly string[]) {
  const repos = names.map((name) => repo(installationId, owner, name));
  await index.upsert(installationId, repos);
  return repos;
}

const scope = (repositories: string[], patterns: string[] = []): RepositoryScope => ({
  repositories: [...repositories].sort(),
  patterns: [...patterns].sort(),
});

describe('RepositoryIndexStore: the reads a scope needs', () => {
  const inst = 701;
  beforeAll(async () => {
    await seed(inst, 'acme', [
      'api',
      'API-gateway',
      'apis',
      'api.x',
      'team-a-1',
      'team-a-2',
      'team-a-3',
      'team-ab',
      'team-b-1',
      'zeta',
    ]);
  });

  it('listRange reads one name, or every name with a prefix, in the list order, from after a key', async () => {
    const names = async (range: { exact: string } | { prefix: string }, after?: RepositoryKey, limit = 10) =>
      (await index.listRange(inst, range, { after, limit })).entries.map((entry) => entry.name);
    expect(await names({ exact: 'acme/api' })).toEqual(['api']);
    expect(await names({ exact: 'acme/nothing' })).toEqual([]);
    // `-` < `.` < letters, and a name before its extensions.
    expect(await names({ prefix: 'acme/api' })).toEqual(['api', 'API-gateway', 'api.x', 'apis']);
    expect(await names({ prefix: 'acme/team-a-' })).toEqual(['team-a-1', 'team-a-2', 'team-a-3']);
    const two = await index.listRange(inst, { prefix: 'acme/team-a-' }, { limit: 2 });
    expect([two.entries.map((entry) => entry.name), two.more]).toEqual([['team-a-1', 'team-a-2'], true]);
    const after = two.entries.at(-1)?.key;
    expect(await names({ prefix: 'acme/team-a-' }, after)).toEqual(['team-a-3']);
    // A key before the range reads it from its start; one past it, nothing (and no error).
    expect(await names({ prefix: 'acme/team-a-' }, { name: 'acme/api', id: 1 })).toEqual([
      'team-a-1',
      'team-a-2',
      'team-a-3',
    ]);
    expect(await names({ prefix: 'acme/team-a-' }, { name: 'acme/zeta', id: 1 })).toEqual([]);
    expect(await names({ exact: 'acme/zeta' }, { name: 'acme/zeta', id: Number.MAX_SAFE_INTEGER })).toEqual(
      [],
    );
  });

  it('indexedOwners: none for an empty index, one, or each login not yet reconciled, in the list order', async () => {
    expect(await index.indexedOwners(702)).toEqual([]);
    expect(await index.indexedOwners(inst)).toEqual(['acme']);
    // `ab-c/…` sorts before `ab/…` (`-` < `/`): the list's order, not the logins'.
    await seed(703, 'ab', ['one']);
    await seed(703, 'ab-c', ['two']);
    await seed(703, 'Zed', ['three', 'four']);
    expect(await index.indexedOwners(703)).toEqual(['ab-c', 'ab', 'zed']);
  });

  it('searchPage with a scope filter stops after maxRead entries and says how far it read', async () => {
    const noisy = 704;
    await seed(
      noisy,
      'acme',
      Array.from({ length: 30 }, (_, n) => `noise-api-${String(n).padStart(2, '0')}`),
    );
    // Its match (`apiz`) sorts after every `api-NN`.
    await seed(noisy, 'acme', ['team-a-apiz']);
    const accept = (entry: IndexedRepository) => inScope(scope([], ['team-a-*']), entry.name);
    const first = await index.searchPage(noisy, { q: 'api', limit: 5, accept, maxRead: 10 });
    expect(first.entries).toEqual([]);
    expect(first.more).toBe(true);
    // The 10th search entry read: `api-00` (noise-api-00's second word) … `api-09`.
    expect(first.coveredTo).toEqual({ suffix: 'api-09', name: 'acme/noise-api-09', id: expect.any(Number) });
    let after = first.coveredTo;
    const found: string[] = [];
    for (let reads = 0; after && reads < 10; reads++) {
      const page = await index.searchPage(noisy, { q: 'api', after, limit: 5, accept, maxRead: 10 });
      found.push(...page.entries.map((entry) => entry.name));
      after = page.more ? (page.coveredTo ?? page.entries.at(-1)?.key) : undefined;
    }
    expect(found).toEqual(['team-a-apiz']);
  });
});

describe('pages through scopes, walked with their cursors, against the obvious answer', () => {
  type World = Map<number, IndexedRepository[]>;
  const world: World = new Map();
  const WORDS = ['api', 'app', 'team-a', 'team-b', 'web', 'x', 'core', 'lib'];
  const SEPARATORS = ['-', '.', '_'];

  function names(random: ReturnType<typeof seededRandom>, count: number): string[] {
    const out = new Set<string>();
    while (out.size < count) {
      const words = Array.from({ length: 1 + random.int(3) }, () => random.pick(WORDS));
      const name = words.join(random.pick(SEPARATORS)) + (random.int(3) === 0 ? '' : `-${random.int(40)}`);
      out.add(name.toLowerCase());
    }
    return [...out];
  }

  beforeAll(async () => {
    const random = seededRandom(25);
    world.set(801, await seed(801, 'org-a', names(random, 150)));
    // A renamed account whose index still holds some entries under its old login.
    world.set(802, [
      ...(await seed(802, 'org-b', names(random, 70))),
      ...(await seed(802, 'old-b', names(random, 15))),
    ]);
    world.set(803, await seed(803, 'org-c', names(random, 40)));
  }, 120_000);

  function randomScope(
    random: ReturnType<typeof seededRandom>,
    installationId: number,
  ): RepositoryScope | null {
    const kind = random.int(4);
    if (kind === 0) return null;
    const existing = (world.get(installationId) ?? []).map((entry) => entry.name.toLowerCase());
    const repositories =
      kind === 2
        ? []
        : [
            ...new Set([
              ...Array.from({ length: 1 + random.int(12) }, () => random.pick(existing)),
              ...(random.int(2) ? ['not-there', 'api'] : []),
            ]),
          ];
    const patterns =
      kind === 1
        ? []
        : [
            ...new Set(
              Array.from(
                { length: 1 + random.int(3) },
                () => `${random.pick([...WORDS, 'a', 'team', 'x-1'])}*`,
              ),
            ),
          ];
    return scope(repositories, patterns);
  }

  function expected(linked: readonly ListedInstallation[], q: string | undefined) {
    return linked
      .flatMap(({ installationId, scope: linkScope }) =>
        (world.get(installationId) ?? [])
          .filter((entry) => inScope(linkScope, entry.name))
          .flatMap((entry) => {
            const name = entry.name.toLowerCase();
            const key = { name: entry.fullName.toLowerCase(), id: entry.id };
            if (q === undefined) return [key];
            const at = firstMatchingStart(name, q);
            return at === undefined ? [] : [{ suffix: name.slice(at), ...key }];
          }),
      )
      .sort(compareKeys)
      .map((key) => key.id);
  }

  async function walk(linked: readonly ListedInstallation[], q: string | undefined, limit: number) {
    const listed = new Set(linked.map((entry) => entry.installationId));
    const seen: number[] = [];
    let after: RepositoryKey | undefined;
    let shape: Map<number, number> | undefined;
    let pages = 0;
    for (;;) {
      const opened = await openInstallations(index, linked, { q, after, limit }, shape);
      const { page, next } = await pageOf(opened, listed, limit);
      expect(page.length).toBeLessThanOrEqual(limit);
      seen.push(...page.map((entry) => entry.id));
      if (!next) return { seen, pages: pages + 1 };
      // Through the cursor, as a client sends it back.
      const decoded = decodeCursor(
        encodeCursor(next, new Map(page.map((entry) => [entry.installationId, 1]))),
      );
      ({ shape, ...after } = decoded);
      if (++pages > 1000) throw new Error('the walk does not end');
    }
  }

  it('every scope, search and page size: each repository in scope once, in order, nothing else', async () => {
    const random = seededRandom(2025);
    for (let run = 0; run < 30; run++) {
      if (random.int(3) === 0) forgetOwnerPlans();
      const linked = [801, 802, 803]
        .filter(() => random.int(4) !== 0)
        .map((installationId) => ({ installationId, scope: randomScope(random, installationId) }));
      const q =
        random.int(2) === 0 ? undefined : random.pick(['a', 'api', 'team', 'team-a', 'x', 'core.', 'l', 'b']);
      const limit = random.pick([2, 5, 30]);
      const { seen } = await walk(linked, q, limit);
      expect({ run, linked, q, limit, seen }).toEqual({ run, linked, q, limit, seen: expected(linked, q) });
    }
  }, 300_000);
});

describe('a page reads what its scope holds, never what the installation holds', () => {
  const inst = 901;
  const inScopeNames = [
    ...Array.from({ length: 200 }, (_, n) => `team-a-${String(n).padStart(3, '0')}`),
    ...Array.from({ length: 50 }, (_, n) => `svc-${String(n * 7).padStart(3, '0')}`),
  ];
  const linkScope = scope(
    Array.from({ length: 50 }, (_, n) => `svc-${String(n * 7).padStart(3, '0')}`),
    ['team-a-*'],
  );
  // Out of scope, interleaved with it in name order: `svc-001`…, `team-a` itself, `team-a0…`, `team-b-…`.
  const outside = (from: number, count: number) =>
    Array.from({ length: count }, (_, k) => {
      const n = from + k;
      return [
        `svc-${String(n).padStart(4, '0')}`,
        `team-a${String(n).padStart(4, '0')}`,
        `team-b-${n}`,
        `aaa-${n}`,
      ][n % 4] as string;
    });

  async function measureWalk(q?: string, walkScope: RepositoryScope = linkScope) {
    const recorder = recordDynamoRequests(table.client);
    try {
      const linked = [{ installationId: inst, scope: walkScope }];
      const listed = new Set([inst]);
      const perPage: Array<{ queries: number; scanned: number }> = [];
      const seen: string[] = [];
      let after: RepositoryKey | undefined;
      for (;;) {
        recorder.clear();
        const opened = await openInstallations(index, linked, { q, after, limit: 30 }, undefined);
        const { page, next } = await pageOf(opened, listed, 30);
        seen.push(...page.map((entry) => entry.name));
        const queries = recorder.requests.filter((request) => request.operation === 'Query');
        perPage.push({
          queries: queries.length,
          scanned: queries.reduce((sum, request) => sum + (request.scanned ?? 0), 0),
        });
        if (!next) return { seen, perPage };
        after = next;
      }
    } finally {
      recorder.stop();
    }
  }

  it('250 in scope inside 300, then inside 2,000: the same pages at the same cost', async () => {
    await seed(inst, 'big', [...inScopeNames, ...outside(0, 50)]);
    forgetOwnerPlans();
    const small = await measureWalk();
    expect(small.seen).toEqual([...inScopeNames].sort());
    await seed(inst, 'big', outside(50, 1700));
    forgetOwnerPlans();
    const large = await measureWalk();
    expect(large.seen).toEqual(small.seen);
    expect(large.perPage).toEqual(small.perPage);
    // Each page: at most the names it spans (25 a round) and a page of a prefix, 3 rounds, 3 owner reads.
    for (const page of large.perPage) {
      expect(page.queries).toBeLessThanOrEqual(3 + 3 * 25);
      expect(page.scanned).toBeLessThanOrEqual(3 + 3 * (25 + 31));
    }
    // A search through names only is matched in memory: only the names it matches are read (and the owner).
    const names = await measureWalk('svc-01', scope(linkScope.repositories as string[]));
    expect(names.seen).toEqual(['svc-014']);
    expect(names.perPage).toEqual([{ queries: 3, scanned: 3 }]);
    // Through a pattern: the search entries of `svc-01`, filtered by the scope, at most 2 × 31 a read.
    const patterns = await measureWalk('svc-01');
    expect(patterns.seen).toEqual(['svc-014']);
    for (const page of patterns.perPage) expect(page.scanned).toBeLessThanOrEqual(3 * 2 * 31);
  }, 180_000);
});
