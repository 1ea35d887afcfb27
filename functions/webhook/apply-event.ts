import { toDetails } from '../shared/installations/github-installations.js';
import { logger } from '../shared/logger.js';
import { requestRepositorySync } from '../shared/repositories/request-sync.js';
import { getServices } from '../shared/services.js';
import type { InstallationDetails } from '../shared/store/installation-store.js';
import type { TransactOperation } from '../shared/store/table.js';
import { deleteInstallationTokens } from '../shared/store/installation-token-cache.js';
import type { HandledDelivery } from './payloads.js';
import {
  clearInstallationIndex,
  indexInstallationRepositories,
  indexRepositoryEvent,
} from './index-events.js';

export type Outcome = 'applied' | 'ignored';

const installations = () => getServices().installations;

/**
 * An event's details, stored unless older than what is stored (GitHub's `updated_at`). When the stored
 * details carry the same `updated_at` with another content, only GitHub knows which came last: the
 * event is stored (in order is the common case) and the reconciler, which may read the App's view
 * (this function may not), then stores GitHub's current word over it.
 */
async function applyDetails(
  details: InstallationDetails,
  alongside?: readonly TransactOperation[],
): Promise<Outcome> {
  const store = installations();
  if (await store.applyEventDetails(details, alongside)) return 'applied';
  if (!(await store.isAmbiguous(details))) return 'ignored';
  // The confirmation request is stored with what it questions: a lost confirmation is redone on schedule.
  const applied = await store.applyEventDetails(
    details,
    [...(alongside ?? []), store.confirmationRequest(details.id)],
    { sameSecond: true },
  );
  logger.info('Installation event of the same second as the stored details: confirming with GitHub', {
    installationId: details.id,
  });
  await requestRepositorySync(details.id, 'confirm');
  return applied ? 'applied' : 'ignored';
}

async function onInstallation(
  delivery: Extract<HandledDelivery, { kind: 'installation' }>,
): Promise<Outcome> {
  const { table } = getServices();
  const details = toDetails(delivery.installation);
  switch (delivery.action) {
    case 'deleted': {
      const unlinked = await installations().deleteInstallation(details.id, new Date().toISOString());
      await deleteInstallationTokens(table, details.id);
      logger.info('Installation deleted', { installationId: details.id, unlinkedAccounts: unlinked });
      await clearInstallationIndex(details.id);
      return 'applied';
    }
    case 'created':
    case 'unsuspend':
      return applyDetails(details);
    case 'suspend':
    case 'new_permissions_accepted': {
      // Tokens minted before no longer match what the installation allows.
      const applied = await applyDetails(details);
      await deleteInstallationTokens(table, details.id);
      return applied;
    }
  }
}

async function onInstallationRepositories(
  delivery: Extract<HandledDelivery, { kind: 'installation_repositories' }>,
): Promise<Outcome> {
  const details = toDetails(delivery.installation);
  const stored = await applyDetails({ ...details, repositorySelection: delivery.repositorySelection });
  // The index follows even when the details were older than stored (the repositories still changed).
  const indexed = await indexInstallationRepositories(details.id, delivery.added, delivery.removed);
  return stored === 'applied' || indexed ? 'applied' : 'ignored';
}

async function onInstallationRenamed(
  delivery: Extract<HandledDelivery, { kind: 'installation_target.renamed' }>,
): Promise<Outcome> {
  const { installationId, accountId, login } = delivery;
  const renamed = await installations().renameAccount(installationId, login);
  // A rename carries no time to order it by: a redelivered older one may have just been written, so
  // GitHub's current login is confirmed after it (the reconciler reads it as the App).
  if (renamed) await requestRepositorySync(installationId, 'confirm');
  // A personal account renamed: the signed-in user's profile shows the new login too.
  const { users } = getServices();
  const profile = delivery.targetType === 'User' ? await users.getProfile(accountId) : undefined;
  if (profile) await users.putProfile({ ...profile, login });
  return renamed || profile ? 'applied' : 'ignored';
}

async function onAuthorizationRevoked(userId: number): Promise<Outcome> {
  const { users, sessions } = getServices();
  await users.deleteToken(userId);
  const ended = await sessions.deleteAllForUser(userId);
  logger.info('Authorization revoked: tokens and sessions removed', { userId, sessions: ended });
  return 'applied';
}

/** Changes after which a repository name may name another repository (or none). */
const NAME_CHANGES: ReadonlySet<string> = new Set(['deleted', 'renamed', 'transferred']);

/**
 * Every repository event updates the installation's repository index (index-events.ts). Besides,
 * installation tokens are cached narrowed to repositories by name, and GitHub binds a token to the
 * repository ids at minting: once a name is freed (deleted, renamed, transferred) a new repository
 * under it would be out of the cached token's reach for up to an hour. Those events drop the
 * installation's cached tokens; the next call mints afresh.
 */
async function onRepository(delivery: Extract<HandledDelivery, { kind: 'repository' }>): Promise<Outcome> {
  const { repositoryId, installationId, action } = delivery;
  if (installationId === undefined) return 'ignored';
  const indexed = await indexRepositoryEvent(installationId, action, delivery.repository);
  if (!NAME_CHANGES.has(action)) return indexed ? 'applied' : 'ignored';
  const dropped = await deleteInstallationTokens(getServices().table, installationId);
  logger.info('Repository name freed: cached installation tokens dropped', {
    installationId,
    repositoryId,
    tokens: dropped,
  });
  return 'applied';
}

/**
 * Applies a verified, validated delivery (payloads.ts). Every branch is idempotent: a repeat changes
 * nothing more.
 */
export async function applyEvent(delivery: HandledDelivery): Promise<Outcome> {
  switch (delivery.kind) {
    case 'installation':
      return onInstallation(delivery);
    case 'installation_repositories':
      return onInstallationRepositories(delivery);
    case 'installation_target.renamed':
      return onInstallationRenamed(delivery);
    case 'github_app_authorization.revoked':
      return onAuthorizationRevoked(delivery.userId);
    case 'repository':
      return onRepository(delivery);
  }
}

/** Deliveries that change nothing whatever the table holds: recorded as ignored, nothing applied. */
export function changesNothing(delivery: HandledDelivery): boolean {
  return delivery.kind === 'repository' && delivery.installationId === undefined;
}

/**
 * For a delivery whose whole effect is one conditional write (installation details from an event, a
 * repository upserted into the index):
 * applies it in one transaction with `record` (the delivery recorded as applied), so the effect and
 * its record stand or fall together and no lease is needed. `ignored` when the effect's own condition
 * refused it (deleted, or older than what is stored): nothing was written, the record included. A
 * failed condition of `record` itself throws ConditionFailedError. Undefined for every other delivery
 * (they take the lease: begin → apply → finish).
 */
export function applyInOneWrite(
  delivery: HandledDelivery,
  record: TransactOperation,
): Promise<Outcome> | undefined {
  const apply = (details: InstallationDetails) => applyDetails(details, [record]);
  if (delivery.kind === 'installation' && (delivery.action === 'created' || delivery.action === 'unsuspend'))
    return apply(toDetails(delivery.installation));
  // A repository event that only upserts one repository: its index entries and the record in one
  // transaction (the record alone when the index holds it already). Deletions and name changes also
  // drop cached tokens or other installations' copies: several writes, under the lease.
  if (
    delivery.kind === 'repository' &&
    delivery.installationId !== undefined &&
    delivery.action !== 'deleted' &&
    !NAME_CHANGES.has(delivery.action)
  )
    return indexRepositoryEvent(delivery.installationId, delivery.action, delivery.repository, record).then(
      (indexed) => (indexed ? 'applied' : 'ignored'),
    );
  // installation_repositories also changes the repository index: several writes, under the lease.
  return undefined;
}
