import { coversRepository } from '../../local/github-emulator/repository-events.js';
import {
  RepositoryIndexStore,
  type IndexedRepository,
} from '../../functions/shared/store/repository-index-store.js';
import type { ServiceFixture } from './service.js';

/**
 * Fills an installation's repository index from the emulator's world, as a completed sync would
 * (status `ok`, `syncedAt` now). A stand-in for the reconciler until it lands: it spends no GitHub
 * call, so the list's call counts stay the list's own.
 */
export async function seedIndex(
  fx: Pick<ServiceFixture, 'emulator' | 'table'>,
  installationId: number,
  options: { synced?: boolean } = {},
): Promise<number> {
  const world = fx.emulator.world;
  const installation = world.installations.get(installationId);
  if (!installation) throw new Error(`no installation ${installationId}`);
  const repositories: IndexedRepository[] = [...world.repositories.values()]
    .filter((repo) => coversRepository(installation, repo))
    .map((repo) => {
      const owner = world.account(repo.ownerId).login;
      return {
        id: repo.id,
        installationId,
        owner,
        name: repo.name,
        fullName: `${owner}/${repo.name}`,
        private: repo.private,
        visibility: repo.private ? 'private' : 'public',
        defaultBranch: repo.defaultBranch,
        archived: repo.archived,
        htmlUrl: `${fx.emulator.url}/${owner}/${repo.name}`,
        updatedAt: repo.updatedAt,
      };
    });
  const index = new RepositoryIndexStore(fx.table.table);
  await index.upsert(installationId, repositories);
  if (options.synced !== false)
    await index.setState(installationId, { status: 'ok', syncedAt: new Date().toISOString() });
  return repositories.length;
}

/** Polls `check` until it returns true, at most `timeoutMs` (a bounded wait, never a fixed sleep). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
