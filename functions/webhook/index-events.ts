import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { isBefore, type IndexedRepository } from '../shared/store/repository-index-store.js';
import type { TransactOperation } from '../shared/store/table.js';
import type { EventRepository, RepositoryAction } from './payloads.js';

/**
 * What webhooks do to the repository index (docs/repository-index.md "Webhooks"). Only installations
 * the service knows (stored details; an uninstall deletes them beside its tombstone) are indexed.
 * Ordering: an upsert never overwrites a newer `updated_at`, and a deletion or removal leaves a
 * marker (the time it was received) that refuses any upsert observed before it.
 */

const index = () => getServices().repositoryIndex;
const installations = () => getServices().installations;

/** An uninstall's index is cleared within this much of the delivery's time; the rest is left pending. */
const CLEAR_BUDGET_MS = 4000;

function toIndexed(installationId: number, repo: EventRepository): IndexedRepository {
  return {
    id: repo.id,
    installationId,
    owner: repo.owner,
    name: repo.name,
    fullName: repo.fullName,
    private: repo.private,
    visibility: repo.visibility ?? (repo.private ? 'private' : 'public'),
    // installation_repositories' repositories carry no default branch: the reconciler fills it in.
    defaultBranch: repo.defaultBranch ?? 'main',
    archived: repo.archived ?? false,
    htmlUrl: repo.htmlUrl ?? `${getServices().config.githubWebUrl}/${repo.fullName}`,
    updatedAt: repo.updatedAt ?? null,
  };
}

async function known(installationId: number): Promise<boolean> {
  return (await installations().getDetails(installationId)) !== undefined;
}

/**
 * installation_repositories added/removed. Added repositories are GitHub's minimal objects: inserted
 * where absent (never over a fuller record), defaults for what is missing, no GitHub call.
 */
export async function indexInstallationRepositories(
  installationId: number,
  added: readonly EventRepository[],
  removed: readonly EventRepository[],
): Promise<boolean> {
  if ((added.length === 0 && removed.length === 0) || !(await known(installationId))) return false;
  const receivedAt = new Date().toISOString();
  const store = index();
  if (removed.length > 0)
    await store.remove(
      installationId,
      removed.map((repo) => repo.id),
      { markDeletedAt: receivedAt },
    );
  if (added.length > 0)
    await store.upsert(
      installationId,
      added.map((repo) => toIndexed(installationId, repo)),
      { onlyIfAbsent: true, observedAt: receivedAt },
    );
  return true;
}

/**
 * A `repository` event for one installation: deleted removes (with a marker); the others carry the
 * whole repository and upsert it. A transfer also removes it from the other known installations that
 * index it on another account (GitHub tells an `all` installation of the old owner nothing).
 */
export async function indexRepositoryEvent(
  installationId: number,
  action: RepositoryAction,
  repo: EventRepository,
  /** Written in the same transaction as the index (apply-event.ts applyInOneWrite); not with `deleted`. */
  record?: TransactOperation,
): Promise<boolean> {
  const receivedAt = new Date().toISOString();
  const store = index();
  if (action === 'deleted') {
    if (!(await known(installationId))) return false;
    await store.remove(installationId, [repo.id], { markDeletedAt: receivedAt });
    return true;
  }
  // Both reads at once (one round trip): the copies are read for nothing only for an unknown installation.
  const [details, indexed] = await Promise.all([
    installations().getDetails(installationId),
    store.copies(repo.id),
  ]);
  if (!details) return false;
  // GitHub sends a repository's events to its owner's installations only: a copy indexed elsewhere
  // with a newer `updated_at` means the repository was on that account after this event was true
  // (it moved on: a late delivery). The event neither writes here nor removes that copy.
  const copies = indexed.filter((copy) => copy.installationId !== installationId);
  const newer = copies.find(
    (copy) => copy.updatedAt && repo.updatedAt && isBefore(repo.updatedAt, copy.updatedAt),
  );
  if (newer) {
    logger.info('Late repository event: a newer copy is indexed under another installation', {
      repositoryId: repo.id,
      newerIn: newer.installationId,
    });
    return false;
  }
  await store.upsert(installationId, [toIndexed(installationId, repo)], {
    observedAt: repo.updatedAt ?? receivedAt,
    ...(record ? { alsoWrite: record } : {}),
  });
  if (action === 'transferred') {
    const others = copies.map((copy) => copy.installationId);
    const stored = await installations().getManyDetails(others);
    const elsewhere = stored
      .filter((other) => repo.ownerId !== undefined && other.accountId !== repo.ownerId)
      .map((other) => other.id);
    await Promise.all(
      elsewhere.map((other) => store.remove(other, [repo.id], { markDeletedAt: receivedAt })),
    );
    if (elsewhere.length > 0)
      logger.info('Transferred repository removed from the old owner’s installations', {
        repositoryId: repo.id,
        installations: elsewhere,
      });
  }
  return true;
}

/**
 * installation.deleted: the index is cleared in batches for a few seconds; what is left stays
 * listed as pending (`REPOS#CLEARING`) for the reconciler's next run (RepositoryIndexStore.pendingClears).
 * Nothing lists it meanwhile: the installation's links are gone.
 */
export async function clearInstallationIndex(installationId: number): Promise<void> {
  const { done, removed } = await index().clear(installationId, {
    maxItems: Number.MAX_SAFE_INTEGER,
    deadline: Date.now() + CLEAR_BUDGET_MS,
  });
  logger.info('Repository index of a deleted installation cleared', { installationId, removed, done });
}
