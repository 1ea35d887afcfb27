import { createHash } from 'node:crypto';
import { ConditionFailedError, ServiceUnavailableError } from '../errors.js';
import { keys, prefixes, type ItemKey } from './keys.js';
import type { Item, Table, TransactOperation } from './table.js';

/**
 * The repository index (docs/repository-index.md): what GitHub last said each installation reaches,
 * kept by webhooks and the reconciler, read by the list. It is only a listing: it NEVER grants
 * access (reading and committing still go through a repository-narrowed token, so GitHub decides).
 *
 * Items of partition `REPOS#<installationId>`:
 * - `ID#<id>`: the record (every field, the fingerprint); the identity is GitHub's id, names change;
 * - `N#<full name lower>#<id>`: the list's entry, in the list's total order;
 * - `W#<suffix>#<full name lower>#<id>`: one search entry per word start of the name;
 * - `COUNT#<0..7>`: the count, sharded by id so concurrent writers rarely meet on one item;
 * - `STATE`: status and syncedAt; `GONE#<id>`: a deletion marker (see `remove`).
 * Entries carry the whole view, so a page is one Query per installation and nothing else.
 */

export type IndexedRepository = {
  /** GitHub's repository id: the identity (names change). */
  id: number;
  installationId: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  visibility: string;
  defaultBranch: string;
  archived: boolean;
  htmlUrl: string;
  /** GitHub's `updated_at`; also the version: an older one never overwrites a newer one. */
  updatedAt: string | null;
};

export type IndexStatus = 'syncing' | 'ok' | 'suspended' | 'unavailable' | 'sso_required';

export type InstallationIndexState = {
  installationId: number;
  status: IndexStatus;
  /** ISO time of the last COMPLETED full sync; null before the first. */
  syncedAt: string | null;
  /** Exact number of indexed repositories of the installation. */
  repositoryCount: number;
};

export type UpsertOptions = {
  /**
   * When what is written was true on GitHub (ISO): a repository deleted or removed at or after this
   * time (its `GONE#` marker) is not written back. Without it (the reconciler's listing is the truth)
   * markers are ignored and cleared.
   */
  observedAt?: string;
  /**
   * Insert only where the index has no record (installation_repositories payloads carry only id,
   * name, full_name and private: they must not overwrite fuller stored fields).
   */
  onlyIfAbsent?: boolean;
  /**
   * One more operation in the same transaction as the (single) repository's writes, or alone when the
   * repository needs none: a webhook's delivery record, so that effect and record stand or fall
   * together. Its own failed condition is thrown (ConditionFailedError), never retried.
   */
  alsoWrite?: TransactOperation;
};

/** The list's key: lower-case full name, then id. */
export type NameKey = { name: string; id: number };
/** A search's key: the matched suffix of the lower-case name, then the list's key. */
export type WordKey = { suffix: string; name: string; id: number };
/** A range of the list's entries by lower-case full name: one name, or every name with a prefix. */
export type NameRange = { exact: string } | { prefix: string };

export type IndexEntry = IndexedRepository;

const COUNT_SHARDS = 8;
/** Logins one installation's entries may be under at once (renames not yet reconciled): see indexedOwners. */
const MAX_INDEXED_OWNERS = 8;
/** Search entries per repository: bounds one repository's writes inside one transaction (≤ 100 ops). */
export const MAX_WORD_STARTS = 32;
/** Deletion markers outlive any late first delivery (redeliveries of a delivery id are deduplicated). */
const GONE_TTL_SECONDS = 7 * 24 * 3600;
/**
 * Operations per transaction when batching repositories (one repository's own, ≤ 35, always go in
 * one; DynamoDB allows 100): short transactions, because DynamoDB Local holds its write lock for a whole
 * transaction and npm start's first sync would otherwise keep sign-ins waiting past their timeouts.
 */
const MAX_TRANSACTION_OPS = 25;
const RETRIES = 6;
/** Transactions at once per upsert (DynamoDB Local serialises them anyway). */
const COMMIT_CONCURRENCY = 2;

const SEPARATORS = new Set(['-', '_', '.']);
/** Every character a repository name (lower-cased) may hold. */
const NAME_CHARACTERS = /^[a-z0-9._-]+$/;

/**
 * Where the words of a lower-case name start: the name's start, and every non-separator character
 * after a separator (`-`, `_`, `.`). At most MAX_WORD_STARTS.
 */
export function wordStarts(nameLower: string): number[] {
  const starts = [0];
  for (let index = 1; index < nameLower.length && starts.length < MAX_WORD_STARTS; index++) {
    const before = nameLower[index - 1] as string;
    const here = nameLower[index] as string;
    if (SEPARATORS.has(before) && !SEPARATORS.has(here)) starts.push(index);
  }
  return starts;
}

/**
 * The word start a search `q` matches the name at first (undefined: it does not match). Only this
 * start's entry answers a search, so a name matched twice is listed once, always at the same place.
 */
export function firstMatchingStart(nameLower: string, q: string): number | undefined {
  return wordStarts(nameLower).find((start) => nameLower.startsWith(q, start));
}

/** Whether `q` (lower-case) could match any repository name at all. */
export function isSearchable(q: string): boolean {
  return q.length > 0 && q.length <= 100 && NAME_CHARACTERS.test(q);
}

/** A fingerprint of the stored fields: the reconciler skips writing a repository that has not changed. */
export function fingerprint(repository: IndexedRepository): string {
  const r = repository;
  const fields = [
    r.id,
    r.installationId,
    r.owner,
    r.name,
    r.fullName,
    r.private,
    r.visibility,
    r.defaultBranch,
    r.archived,
    r.htmlUrl,
    r.updatedAt,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 22);
}

type RecordItem = Item & IndexedRepository & { fp: string };
type WordItem = Item & IndexedRepository & { suffix: string; start: number };

function view(item: Record<string, unknown>): IndexedRepository {
  return {
    id: Number(item.id),
    installationId: Number(item.installationId),
    owner: String(item.owner),
    name: String(item.name),
    fullName: String(item.fullName),
    private: item.private === true,
    visibility: String(item.visibility),
    defaultBranch: String(item.defaultBranch),
    archived: item.archived === true,
    htmlUrl: String(item.htmlUrl),
    updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : null,
  };
}

/** Every entry key a repository has: its list entry and one search entry per word start. */
function entryKeys(installationId: number, repository: IndexedRepository): Map<string, Item> {
  const fullNameLower = repository.fullName.toLowerCase();
  const nameLower = repository.name.toLowerCase();
  const fields = view(repository);
  const out = new Map<string, Item>();
  const byName = { ...keys.repoIndexByName(installationId, fullNameLower, repository.id), ...fields };
  out.set(byName.SK, byName);
  for (const start of wordStarts(nameLower)) {
    const suffix = nameLower.slice(start);
    const word = {
      ...keys.repoIndexWord(installationId, suffix, fullNameLower, repository.id),
      ...fields,
      suffix,
      start,
    };
    out.set(word.SK, word);
  }
  return out;
}

type Plan = { repositoryId: number; shard: number; ops: TransactOperation[]; delta: number };

const shardOf = (repositoryId: number) => repositoryId % COUNT_SHARDS;

/**
 * Whether ISO time `a` is before `b`, as times: GitHub's `updated_at` has whole seconds (`…:01Z`), the
 * service's own times milliseconds (`…:01.234Z`), and as strings `.` sorts before `Z`.
 */
export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RepositoryIndexStore {
  constructor(
    private readonly table: Table,
    private readonly options: { now?: () => number } = {},
  ) {}

  private nowSeconds(): number {
    return this.options.now ? this.options.now() : Math.floor(Date.now() / 1000);
  }

  /**
   * Inserts or updates by repository id; a changed name removes the old name's entries, in the same
   * transaction as the count (exact after every completed call). Idempotent: an unchanged repository
   * costs no write. Never older over newer (`updatedAt`), never over a newer deletion (`observedAt`).
   * Returns the ids written.
   */
  async upsert(
    installationId: number,
    repositories: readonly IndexedRepository[],
    options: UpsertOptions = {},
  ): Promise<number[]> {
    const wanted = new Map(
      repositories.map((repository) => [repository.id, { ...repository, installationId }]),
    );
    const { alsoWrite } = options;
    if (alsoWrite && wanted.size !== 1) throw new Error('alsoWrite goes with exactly one repository');
    const written: number[] = [];
    await this.withRetries([...wanted.keys()], async (ids) => {
      const { records, markers } = await this.readRecords(installationId, ids);
      const plans: Plan[] = [];
      for (const id of ids) {
        const next = wanted.get(id) as IndexedRepository;
        const plan = this.upsertPlan(installationId, next, records.get(id), markers.get(id), options);
        if (plan) plans.push(plan);
      }
      if (alsoWrite && plans.length === 0) {
        await this.table.transactWrite([alsoWrite]);
        return [];
      }
      const done = await this.commit(installationId, plans, alsoWrite);
      written.push(...done);
      return plans.map((plan) => plan.repositoryId).filter((id) => !done.includes(id));
    });
    return written;
  }

  private upsertPlan(
    installationId: number,
    next: IndexedRepository,
    stored: RecordItem | undefined,
    marker: Item | undefined,
    options: UpsertOptions,
  ): Plan | undefined {
    if (marker && options.observedAt !== undefined && !isBefore(String(marker.at), options.observedAt))
      return undefined;
    if (stored && options.onlyIfAbsent) return undefined;
    if (stored?.updatedAt && next.updatedAt && isBefore(next.updatedAt, stored.updatedAt)) return undefined;
    const fp = fingerprint(next);
    const clearMarker = marker !== undefined;
    if (stored?.fp === fp && !clearMarker) return undefined;

    const recordKey = keys.repoIndexRecord(installationId, next.id);
    const ops: TransactOperation[] = [
      {
        put: { ...recordKey, ...view(next), fp },
        condition: stored
          ? { expression: 'fp = :fp', values: { ':fp': stored.fp } }
          : { expression: 'attribute_not_exists(PK)' },
      },
    ];
    const nextEntries = entryKeys(installationId, next);
    const oldEntries = stored ? entryKeys(installationId, view(stored)) : new Map<string, Item>();
    for (const [sk, item] of nextEntries)
      if (stored?.fp !== fp || !oldEntries.has(sk)) ops.push({ put: item });
    for (const sk of oldEntries.keys())
      if (!nextEntries.has(sk)) ops.push({ delete: { PK: recordKey.PK, SK: sk } });
    if (clearMarker) ops.push({ delete: keys.repoIndexGone(installationId, next.id) });
    return { repositoryId: next.id, shard: shardOf(next.id), ops, delta: stored ? 0 : 1 };
  }

  /**
   * Removes by id (idempotent; the count stays exact). With `markDeletedAt` (ISO: when the deletion
   * or removal was seen) a `GONE#` marker is left for a week, so a late older event (whose
   * `observedAt` is earlier) cannot bring the repository back. Returns the ids that were indexed.
   */
  async remove(
    installationId: number,
    repositoryIds: readonly number[],
    options: { markDeletedAt?: string } = {},
  ): Promise<number[]> {
    const removed: number[] = [];
    await this.withRetries([...new Set(repositoryIds)], async (ids) => {
      const { records } = await this.readRecords(installationId, ids);
      const plans: Plan[] = [];
      for (const id of ids) {
        const stored = records.get(id);
        const ops: TransactOperation[] = [];
        if (stored) {
          const recordKey = keys.repoIndexRecord(installationId, id);
          ops.push({
            delete: recordKey,
            condition: { expression: 'fp = :fp', values: { ':fp': stored.fp } },
          });
          for (const sk of entryKeys(installationId, view(stored)).keys())
            ops.push({ delete: { PK: recordKey.PK, SK: sk } });
        }
        if (options.markDeletedAt !== undefined)
          ops.push({
            put: {
              ...keys.repoIndexGone(installationId, id),
              id,
              at: options.markDeletedAt,
              expiresAt: this.nowSeconds() + GONE_TTL_SECONDS,
            },
          });
        if (ops.length > 0) plans.push({ repositoryId: id, shard: shardOf(id), ops, delta: stored ? -1 : 0 });
      }
      const done = await this.commit(installationId, plans);
      for (const id of done) if (records.has(id)) removed.push(id);
      return plans.map((plan) => plan.repositoryId).filter((id) => !done.includes(id));
    });
    return removed;
  }

  /** Every indexed repository id with the fingerprint of its stored fields (the reconciler's sweep: O(installation)). */
  async indexedIds(installationId: number): Promise<Map<number, string>> {
    const items = await this.table.queryPartition(
      keys.repoIndexState(installationId).PK,
      prefixes.repoIndexRecord,
    );
    return new Map(items.map((item) => [Number(item.id), String(item.fp)]));
  }

  /** The installations whose index holds a repository (GSI1: a few items, no scan). */
  async installationsIndexing(repositoryId: number): Promise<number[]> {
    return (await this.copies(repositoryId)).map((copy) => copy.installationId);
  }

  /** Every indexed copy of a repository, with the `updatedAt` it was written with (GSI1, no scan). */
  async copies(repositoryId: number): Promise<Array<{ installationId: number; updatedAt: string | null }>> {
    const items = await this.table.queryGsi1(
      keys.repoIndexRecord(0, repositoryId).GSI1PK,
      prefixes.repoIndex,
    );
    return items.map((item) => ({
      installationId: Number(item.installationId),
      updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : null,
    }));
  }

  /** The id of the installation's indexed repository `owner/name` (any case), if the index holds it. */
  async idByName(installationId: number, fullName: string): Promise<number | undefined> {
    const items = await this.table.queryPartition(
      keys.repoIndexByName(installationId, fullName.toLowerCase(), 0).PK,
      `${prefixes.repoIndexByName}${fullName.toLowerCase()}#`,
    );
    // Two entries: a repository deleted and another created under its name, not yet reconciled.
    const [item] = items;
    return item === undefined || items.length > 1 ? undefined : Number(item.id);
  }

  /** One indexed repository by id (tests, diagnostics). */
  async get(installationId: number, repositoryId: number): Promise<IndexedRepository | undefined> {
    const item = await this.table.get(keys.repoIndexRecord(installationId, repositoryId));
    return item ? view(item) : undefined;
  }

  /**
   * Removes an installation's whole index (uninstall) in bounded batches: at most `maxItems` items
   * (default 2,000) per call, and nothing new is started after `deadline` (epoch ms). Until it is
   * done a `REPOS#CLEARING` item names the installation, so whoever runs next (the reconciler's
   * schedule: `pendingClears()`) can finish it; `done` says whether it finished.
   */
  async clear(
    installationId: number,
    options: { maxItems?: number; deadline?: number } = {},
  ): Promise<{ done: boolean; removed: number }> {
    const maxItems = options.maxItems ?? 2000;
    const pending = keys.repoIndexPendingClear(installationId);
    await this.table.put({ ...pending, installationId, since: new Date().toISOString() });
    const pk = keys.repoIndexState(installationId).PK;
    let removed = 0;
    for (;;) {
      if (removed >= maxItems || (options.deadline !== undefined && Date.now() >= options.deadline))
        return { done: false, removed };
      const { items } = await this.table.queryPage({
        pk,
        skPrefix: '',
        limit: Math.min(1000, maxItems - removed),
      });
      if (items.length === 0) break;
      await this.table.batchDelete(
        items.map((item) => ({ PK: item.PK, SK: item.SK })),
        8,
      );
      removed += items.length;
    }
    await this.table.delete(pending);
    return { done: true, removed };
  }

  /** Installations whose index an uninstall left partly cleared (call `clear` for each). */
  async pendingClears(): Promise<number[]> {
    const items = await this.table.queryPartition(
      keys.repoIndexPendingClear(0).PK,
      prefixes.repoIndexPendingClear,
    );
    return items.map((item) => Number(item.installationId));
  }

  /** States of several installations in ONE round trip (BatchGet). Missing: 'syncing', syncedAt null, count 0. */
  async states(installationIds: readonly number[]): Promise<InstallationIndexState[]> {
    const ids = [...new Set(installationIds)];
    if (ids.length === 0) return [];
    const wanted: ItemKey[] = ids.flatMap((id) => [
      keys.repoIndexState(id),
      ...Array.from({ length: COUNT_SHARDS }, (_, shard) => keys.repoIndexCount(id, shard)),
    ]);
    const items = await this.table.batchGet(wanted);
    const byPk = new Map<string, Item[]>();
    for (const item of items) byPk.set(item.PK, [...(byPk.get(item.PK) ?? []), item]);
    return ids.map((installationId) => {
      const found = byPk.get(keys.repoIndexState(installationId).PK) ?? [];
      const state = found.find((item) => item.SK === 'STATE');
      const repositoryCount = found
        .filter((item) => item.SK.startsWith('COUNT#'))
        .reduce((sum, item) => sum + Number(item.n ?? 0), 0);
      return {
        installationId,
        status: (typeof state?.status === 'string' ? state.status : 'syncing') as IndexStatus,
        syncedAt: typeof state?.syncedAt === 'string' ? state.syncedAt : null,
        repositoryCount,
      };
    });
  }

  /** Status/syncedAt changes (reconciler: 'syncing' → 'ok' with syncedAt; 'unavailable', 'suspended', 'sso_required'). */
  async setState(
    installationId: number,
    patch: Partial<Omit<InstallationIndexState, 'installationId' | 'repositoryCount'>>,
  ): Promise<void> {
    const names: Record<string, string> = { '#changed': 'changedAt' };
    const values: Record<string, unknown> = { ':changed': new Date().toISOString() };
    const sets = ['#changed = :changed'];
    if (patch.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = patch.status;
      sets.push('#status = :status');
    }
    if (patch.syncedAt !== undefined) {
      names['#syncedAt'] = 'syncedAt';
      values[':syncedAt'] = patch.syncedAt;
      sets.push('#syncedAt = :syncedAt');
    }
    await this.table.update(keys.repoIndexState(installationId), {
      expression: `SET ${sets.join(', ')}, installationId = :id`,
      names,
      values: { ...values, ':id': installationId },
    });
  }

  /**
   * The list's read: up to `limit` entries of one installation strictly after `after`, in the list's
   * order (lower-case full name, then id). One Query. `more`: entries may follow.
   */
  async listPage(
    installationId: number,
    options: { after?: NameKey | undefined; limit: number },
  ): Promise<{ entries: Array<IndexEntry & { key: NameKey }>; more: boolean }> {
    const pk = keys.repoIndexState(installationId).PK;
    const { items, lastSk } = await this.table.queryPage({
      pk,
      skPrefix: prefixes.repoIndexByName,
      afterSk: options.after
        ? keys.repoIndexByName(installationId, options.after.name, options.after.id).SK
        : undefined,
      limit: options.limit,
    });
    return {
      entries: items.map((item) => {
        const entry = view(item);
        return { ...entry, key: { name: entry.fullName.toLowerCase(), id: entry.id } };
      }),
      more: lastSk !== undefined,
    };
  }

  /**
   * The search's read: up to `limit` repositories of one installation whose name or one of whose
   * words starts with `q` (lower-case), strictly after `after`, in the order of the matched suffix,
   * then the list's order. A begins_with Query on the search entries; of a repository matched at
   * several word starts only the first start's entry counts (so it appears once, always at the same
   * place). Such duplicates are rare: when they thin a page out, one more Query follows.
   *
   * `accept` (a link's scope) drops entries in memory; with it the matches left may be few, so
   * `maxRead` bounds the entries read: when it stops there, `coveredTo` is the key of the last entry
   * read (every match up to it was answered) and the caller goes on from it.
   */
  async searchPage(
    installationId: number,
    options: {
      q: string;
      after?: WordKey | undefined;
      limit: number;
      accept?: (entry: IndexedRepository) => boolean;
      maxRead?: number;
    },
  ): Promise<{ entries: Array<IndexEntry & { key: WordKey }>; more: boolean; coveredTo?: WordKey }> {
    const { q, limit } = options;
    if (!isSearchable(q)) return { entries: [], more: false };
    const maxRead = options.maxRead ?? Number.POSITIVE_INFINITY;
    const pk = keys.repoIndexState(installationId).PK;
    const prefix = `${prefixes.repoIndexWord}${q}`;
    let afterSk = options.after
      ? keys.repoIndexWord(installationId, options.after.suffix, options.after.name, options.after.id).SK
      : undefined;
    const entries: Array<IndexEntry & { key: WordKey }> = [];
    let read = 0;
    let lastRead: WordKey | undefined;
    for (;;) {
      const { items, lastSk } = await this.table.queryPage<WordItem>({
        pk,
        skPrefix: prefix,
        afterSk,
        // A few spare for the rare duplicate.
        limit: Math.max(1, Math.min(limit - entries.length + 4, maxRead - read)),
      });
      read += items.length;
      for (const item of items) {
        const entry = view(item);
        const key = { suffix: String(item.suffix), name: entry.fullName.toLowerCase(), id: entry.id };
        lastRead = key;
        if (firstMatchingStart(entry.name.toLowerCase(), q) !== Number(item.start)) continue;
        if (options.accept && !options.accept(entry)) continue;
        entries.push({ ...entry, key });
        if (entries.length === limit) {
          // Entries may follow: the caller asks again after the last one (the key, not the page).
          return { entries, more: true };
        }
      }
      if (lastSk === undefined) return { entries, more: false };
      afterSk = lastSk;
      if (read >= maxRead && lastRead !== undefined) return { entries, more: true, coveredTo: lastRead };
    }
  }

  /**
   * The list's read of one name range (a link's scope: docs/repository-index.md "Scoped links"): up
   * to `limit` entries whose lower-case full name is `exact` (one name: one entry, two while a
   * deleted repository's name is reused and not yet reconciled) or starts with `prefix`, strictly
   * after `after`, in the list's order. One Query, its cost that of the entries it returns, however
   * many the installation holds. An `after` before the range reads from its start; one past it
   * reads nothing.
   */
  async listRange(
    installationId: number,
    range: NameRange,
    options: { after?: NameKey | undefined; limit: number },
  ): Promise<{ entries: Array<IndexEntry & { key: NameKey }>; more: boolean }> {
    const pk = keys.repoIndexState(installationId).PK;
    const skPrefix =
      'exact' in range
        ? `${prefixes.repoIndexByName}${range.exact}#`
        : `${prefixes.repoIndexByName}${range.prefix}`;
    let afterSk = options.after
      ? keys.repoIndexByName(installationId, options.after.name, options.after.id).SK
      : undefined;
    // DynamoDB refuses a start key outside the Query's key range.
    if (afterSk !== undefined && !afterSk.startsWith(skPrefix)) {
      if (afterSk > skPrefix) return { entries: [], more: false };
      afterSk = undefined;
    }
    const { items, lastSk } = await this.table.queryPage({ pk, skPrefix, afterSk, limit: options.limit });
    return {
      entries: items.map((item) => {
        const entry = view(item);
        return { ...entry, key: { name: entry.fullName.toLowerCase(), id: entry.id } };
      }),
      more: lastSk !== undefined,
    };
  }

  /**
   * The owners (lower-case logins) of the installation's list entries, in the list's order: one
   * while its account keeps its login (an installation reaches only its account's repositories); two
   * or more after a rename, until the reconciler rewrites the old login's entries. Two Queries of one
   * entry at once (the first and the last name), then one more per further owner, at most
   * MAX_INDEXED_OWNERS (an index that far behind answers 503 until its sync).
   */
  async indexedOwners(installationId: number): Promise<string[]> {
    const pk = keys.repoIndexState(installationId).PK;
    const one = (options: { afterSk?: string; descending?: boolean }) =>
      this.table.queryPage({ pk, skPrefix: prefixes.repoIndexByName, limit: 1, ...options });
    const ownerOf = (item: Item | undefined) =>
      item === undefined ? undefined : String(item.fullName).toLowerCase().split('/')[0];
    const [first, last] = await Promise.all([one({}), one({ descending: true })]);
    const firstOwner = ownerOf(first.items[0]);
    const lastOwner = ownerOf(last.items[0]);
    if (firstOwner === undefined || lastOwner === undefined) return [];
    const owners = [firstOwner];
    while (owners.at(-1) !== lastOwner) {
      if (owners.length >= MAX_INDEXED_OWNERS) throw new ServiceUnavailableError({ retryAfterSeconds: 60 });
      // Past every entry of the owner: `~` sorts after every character a name may hold.
      const next = ownerOf(
        (await one({ afterSk: `${prefixes.repoIndexByName}${owners.at(-1) ?? ''}/~` })).items[0],
      );
      if (next === undefined) break;
      owners.push(next);
    }
    return owners;
  }

  private async readRecords(
    installationId: number,
    ids: readonly number[],
  ): Promise<{ records: Map<number, RecordItem>; markers: Map<number, Item> }> {
    const items = await this.table.batchGet(
      ids.flatMap((id) => [keys.repoIndexRecord(installationId, id), keys.repoIndexGone(installationId, id)]),
    );
    const records = new Map<number, RecordItem>();
    const markers = new Map<number, Item>();
    for (const item of items) {
      if (item.SK.startsWith(prefixes.repoIndexRecord)) records.set(Number(item.id), item as RecordItem);
      else markers.set(Number(item.id), item);
    }
    return { records, markers };
  }

  /**
   * Writes the plans in transactions of several repositories each (with their shard's count), shards
   * in parallel, one shard's transactions one after another (so this call never conflicts with
   * itself). A transaction whose condition failed (someone wrote in between) is left for a retry
   * after a fresh read. Returns the ids committed.
   */
  private async commit(
    installationId: number,
    plans: readonly Plan[],
    alsoWrite?: TransactOperation,
  ): Promise<number[]> {
    const byShard = new Map<number, Plan[]>();
    for (const plan of plans) byShard.set(plan.shard, [...(byShard.get(plan.shard) ?? []), plan]);
    const committed: number[] = [];
    const shards = [...byShard];
    // A few transactions at once: DynamoDB (Local above all) serialises writes to one partition.
    const run = async ([shard, shardPlans]: [number, Plan[]]) => {
      let batch: Plan[] = [];
      let size = 1;
      const flush = async () => {
        if (batch.length === 0) return;
        const delta = batch.reduce((sum, plan) => sum + plan.delta, 0);
        const ops = batch.flatMap((plan) => plan.ops);
        if (delta !== 0)
          ops.push({
            update: keys.repoIndexCount(installationId, shard),
            expression: 'ADD n :delta',
            values: { ':delta': delta },
          });
        // (With alsoWrite there is one repository: one shard, one transaction.)
        const also = alsoWrite ? ops.push(alsoWrite) - 1 : -1;
        try {
          await this.transactWithConflictRetries(ops);
          committed.push(...batch.map((plan) => plan.repositoryId));
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
          if (error.failedOperations.includes(also)) throw error;
        }
        batch = [];
        size = 1;
      };
      for (const plan of shardPlans) {
        if (size + plan.ops.length > MAX_TRANSACTION_OPS) await flush();
        batch.push(plan);
        size += plan.ops.length;
      }
      await flush();
    };
    for (let index = 0; index < shards.length; index += COMMIT_CONCURRENCY)
      await Promise.all(shards.slice(index, index + COMMIT_CONCURRENCY).map(run));
    return committed;
  }

  /** Another writer on the same items (TransactionConflict) is "busy", not "no": try again shortly. */
  private async transactWithConflictRetries(ops: TransactOperation[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.table.transactWrite(ops);
        return;
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError) || attempt >= RETRIES) throw error;
        await sleep(20 * 2 ** attempt + Math.random() * 50);
      }
    }
  }

  /** Runs `attempt` on the ids, then again on the ids it returns (their condition failed), a few times. */
  private async withRetries(ids: number[], attempt: (ids: number[]) => Promise<number[]>): Promise<void> {
    let left = ids;
    for (let round = 0; left.length > 0; round++) {
      if (round > RETRIES) throw new ServiceUnavailableError({ retryAfterSeconds: 2 });
      // BatchGet takes 100 keys; two per id.
      const next: number[] = [];
      for (let index = 0; index < left.length; index += 500)
        next.push(...(await attempt(left.slice(index, index + 500))));
      left = next;
      if (left.length > 0) await sleep(10 * 2 ** round);
    }
  }
}
