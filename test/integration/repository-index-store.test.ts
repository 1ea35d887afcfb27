import {
  firstMatchingStart,
  fingerprint,
  RepositoryIndexStore,
  wordStarts,
  type IndexedRepository,
} from '../../functions/shared/store/repository-index-store.js';
import { keys } from '../../functions/shared/store/keys.js';
import { createTestTable } from '../support/dynamodb.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';

const fixture = await createTestTable();
const { table } = fixture;
const index = new RepositoryIndexStore(table);
afterAll(() => fixture?.close());

let nextId = 1000;
function repo(name: string, overrides: Partial<IndexedRepository> = {}): IndexedRepository {
  const id = overrides.id ?? nextId++;
  const owner = overrides.owner ?? 'acme';
  return {
    id,
    installationId: 0,
    owner,
    name,
    fullName: `${owner}/${name}`,
    private: false,
    visibility: 'public',
    defaultBranch: 'main',
    archived: false,
    htmlUrl: `https://github.test/${owner}/${name}`,
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

async function allNames(installationId: number): Promise<string[]> {
  const names: string[] = [];
  let after;
  for (;;) {
    const page = await index.listPage(installationId, { after, limit: 2 });
    names.push(...page.entries.map((entry) => entry.name));
    const last = page.entries.at(-1);
    if (!page.more || !last) return names;
    after = last.key;
  }
}

async function search(installationId: number, q: string, limit = 100): Promise<string[]> {
  return (await index.searchPage(installationId, { q, limit })).entries.map((entry) => entry.name);
}

async function count(installationId: number): Promise<number> {
  const [state] = await index.states([installationId]);
  return state?.repositoryCount ?? -1;
}

describe('word starts', () => {
  it('split on - _ . ; a run of separators starts one word', () => {
    expect(wordStarts('payments-api')).toEqual([0, 9]);
    expect(wordStarts('a.b_c--d')).toEqual([0, 2, 4, 7]);
    expect(wordStarts('.github')).toEqual([0, 1]);
    expect(firstMatchingStart('api-api', 'api')).toBe(0);
    expect(firstMatchingStart('aquasarium', 'quas')).toBeUndefined();
  });
});

describe('RepositoryIndexStore', () => {
  it('upserts, lists in order (full name lower-case, then id), counts exactly, and is idempotent', async () => {
    const inst = 1;
    const repos = [repo('Zeta'), repo('alpha'), repo('beta-api'), repo('Alpha', { owner: 'acme', id: 5 })];
    expect((await index.upsert(inst, repos)).sort()).toEqual(repos.map((r) => r.id).sort());
    expect(await allNames(inst)).toEqual(['Alpha', 'alpha', 'beta-api', 'Zeta']);
    expect(await count(inst)).toBe(4);
    // The same again writes nothing.
    expect(await index.upsert(inst, repos)).toEqual([]);
    expect(await count(inst)).toBe(4);
    const ids = await index.indexedIds(inst);
    expect(ids.get(5)).toBe(fingerprint({ ...(repos[3] as IndexedRepository), installationId: inst }));
  });

  it('pages resume strictly after the cursor’s key, even once that repository is gone', async () => {
    const inst = 9;
    const repos = ['a', 'b', 'c', 'd'].map((name) => repo(name));
    await index.upsert(inst, repos);
    const first = await index.listPage(inst, { limit: 2 });
    expect(first.entries.map((entry) => entry.name)).toEqual(['a', 'b']);
    const after = first.entries.at(-1)?.key;
    await index.remove(inst, [(repos[1] as IndexedRepository).id]);
    await index.upsert(inst, [repo('aa'), repo('bb')]);
    const second = await index.listPage(inst, { after, limit: 10 });
    expect(second.entries.map((entry) => entry.name)).toEqual(['bb', 'c', 'd']);
    const words = await index.searchPage(inst, {
      q: 'b',
      after: { suffix: 'b', name: 'acme/b', id: 1 },
      limit: 10,
    });
    expect(words.entries.map((entry) => entry.name)).toEqual(['bb']);
  });

  it('a rename removes the old name’s list and search entries; an older event never reverts it', async () => {
    const inst = 2;
    const original = repo('old-name', { updatedAt: '2026-01-01T00:00:00Z' });
    await index.upsert(inst, [original]);
    const renamed = {
      ...original,
      name: 'new-thing',
      fullName: 'acme/new-thing',
      updatedAt: '2026-01-02T00:00:00Z',
    };
    await index.upsert(inst, [renamed]);
    expect(await allNames(inst)).toEqual(['new-thing']);
    expect(await search(inst, 'old')).toEqual([]);
    expect(await search(inst, 'name')).toEqual([]);
    expect(await search(inst, 'thing')).toEqual(['new-thing']);
    // A late older event.
    expect(await index.upsert(inst, [original])).toEqual([]);
    expect(await allNames(inst)).toEqual(['new-thing']);
    expect(await count(inst)).toBe(1);
  });

  it('search: the start of the name or of a word, case-insensitively, once per repository', async () => {
    const inst = 3;
    await index.upsert(inst, [
      repo('payments-api'),
      repo('aquasarium'),
      repo('API-gateway'),
      repo('api-api'),
      repo('my_lib.core'),
    ]);
    // In the order of the matched suffix: `api` (payments-api's second word), `api-api`, `api-gateway`.
    expect(await search(inst, 'api')).toEqual(['payments-api', 'api-api', 'API-gateway']);
    expect(await search(inst, 'pay')).toEqual(['payments-api']);
    expect(await search(inst, 'payments-a')).toEqual(['payments-api']);
    expect(await search(inst, 'quas')).toEqual([]);
    expect(await search(inst, 'core')).toEqual(['my_lib.core']);
    expect(await search(inst, 'lib.c')).toEqual(['my_lib.core']);
    expect(await search(inst, 'ments')).toEqual([]);
    expect(await search(inst, 'a/b')).toEqual([]);
    // Paging a search one at a time: each once, in the same order.
    const seen: string[] = [];
    let after;
    for (;;) {
      const page = await index.searchPage(inst, { q: 'api', after, limit: 1 });
      seen.push(...page.entries.map((entry) => entry.name));
      const last = page.entries.at(-1);
      if (!page.more || !last) break;
      after = last.key;
    }
    expect(seen).toEqual(['payments-api', 'api-api', 'API-gateway']);
  });

  it('a search with a character no name can hold makes no table call', async () => {
    const recorder = recordDynamoRequests(table.client);
    try {
      expect((await index.searchPage(3, { q: 'a b', limit: 10 })).entries).toEqual([]);
      expect((await index.searchPage(3, { q: 'ä', limit: 10 })).entries).toEqual([]);
      expect((await index.searchPage(3, { q: 'api', limit: 10 })).entries).toHaveLength(3);
      expect(recorder.requests).toHaveLength(1);
    } finally {
      recorder.stop();
    }
  });

  it('remove keeps the count exact; a deletion marker refuses older upserts, not newer ones', async () => {
    const inst = 4;
    const a = repo('a');
    const b = repo('b');
    await index.upsert(inst, [a, b]);
    expect(await index.remove(inst, [a.id, 999_999], { markDeletedAt: '2026-02-01T00:00:00Z' })).toEqual([
      a.id,
    ]);
    expect(await index.remove(inst, [a.id])).toEqual([]);
    expect(await count(inst)).toBe(1);
    expect(await index.upsert(inst, [a], { observedAt: '2026-01-31T00:00:00Z' })).toEqual([]);
    expect(await allNames(inst)).toEqual(['b']);
    expect(await index.upsert(inst, [a], { observedAt: '2026-02-02T00:00:00Z' })).toEqual([a.id]);
    expect(await count(inst)).toBe(2);
    // The reconciler's upsert (no observedAt) is the truth and clears a marker.
    await index.remove(inst, [b.id], { markDeletedAt: '2026-03-01T00:00:00Z' });
    expect(await index.upsert(inst, [b])).toEqual([b.id]);
    expect(await table.get(keys.repoIndexGone(inst, b.id))).toBeUndefined();
    expect(await count(inst)).toBe(2);
  });

  it('onlyIfAbsent never overwrites a stored record', async () => {
    const inst = 5;
    const full = repo('full', { defaultBranch: 'trunk' });
    await index.upsert(inst, [full]);
    expect(await index.upsert(inst, [{ ...full, defaultBranch: 'main' }], { onlyIfAbsent: true })).toEqual(
      [],
    );
    expect((await index.get(inst, full.id))?.defaultBranch).toBe('trunk');
  });

  it('concurrent writers keep the count exact', async () => {
    const inst = 6;
    const repos = Array.from({ length: 40 }, (_, i) => repo(`r${i}`));
    await Promise.all([index.upsert(inst, repos.slice(0, 30)), index.upsert(inst, repos.slice(10, 40))]);
    expect(await count(inst)).toBe(40);
    await Promise.all([
      index.remove(
        inst,
        repos.slice(0, 20).map((r) => r.id),
      ),
      index.remove(
        inst,
        repos.slice(10, 25).map((r) => r.id),
      ),
    ]);
    expect(await count(inst)).toBe(15);
    expect((await index.indexedIds(inst)).size).toBe(15);
  });

  it('states: missing is syncing with no syncedAt; setState changes status and syncedAt', async () => {
    const [missing] = await index.states([77]);
    expect(missing).toEqual({ installationId: 77, status: 'syncing', syncedAt: null, repositoryCount: 0 });
    await index.setState(77, { status: 'ok', syncedAt: '2026-01-01T00:00:00.000Z' });
    await index.setState(77, { status: 'sso_required' });
    expect(await index.states([77, 78])).toEqual([
      {
        installationId: 77,
        status: 'sso_required',
        syncedAt: '2026-01-01T00:00:00.000Z',
        repositoryCount: 0,
      },
      { installationId: 78, status: 'syncing', syncedAt: null, repositoryCount: 0 },
    ]);
  });

  it('clear removes everything in bounded batches and can be resumed', async () => {
    const inst = 8;
    await index.upsert(
      inst,
      Array.from({ length: 30 }, (_, i) => repo(`x-${i}`)),
    );
    await index.setState(inst, { status: 'ok', syncedAt: '2026-01-01T00:00:00.000Z' });
    const first = await index.clear(inst, { maxItems: 50 });
    expect(first).toEqual({ done: false, removed: 50 });
    expect(await index.pendingClears()).toContain(inst);
    const second = await index.clear(inst);
    expect(second.done).toBe(true);
    expect(await index.pendingClears()).not.toContain(inst);
    expect(await table.queryPartition(keys.repoIndexState(inst).PK, '')).toEqual([]);
    expect(await count(inst)).toBe(0);
  });
});
