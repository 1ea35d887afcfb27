import { domainEvent, type EventOrigin } from '../shared/events/domain-event.js';
import { installationChangeEvents, installationDeletedEvent } from '../shared/events/installation-events.js';
import { toDetails } from '../shared/installations/github-installations.js';
import { inScope } from '../shared/installations/repository-scope.js';
import { logger } from '../shared/logger.js';
import { requestRepositorySync } from '../shared/repositories/request-sync.js';
import { getServices } from '../shared/services.js';
import { outboxOperation } from '../shared/store/event-outbox.js';
import type { ExpectedDetails, InstallationDetails } from '../shared/store/installation-store.js';
import type { TransactOperation } from '../shared/store/table.js';
import { deleteInstallationTokens } from '../shared/store/installation-token-cache.js';
import type { HandledDelivery, PushDelivery } from './payloads.js';
import {
  clearInstallationIndex,
  indexInstallationRepositories,
  indexRepositoryEvent,
} from './index-events.js';

export type Outcome = 'applied' | 'ignored';

const installations = () => getServices().installations;

/**
 * A change's events are derived from the details as read just before it (installation-events.ts) and
 * the write commits only over those details: when another write came between, the read is done again,
 * this many times at most (then the delivery fails and GitHub's redelivery tries it afresh). Details
 * only move forward (GitHub's `updated_at`), so a delivery loses at most once per newer-or-older state
 * committed while it runs: 8 concurrent deliveries of one installation never exhaust this.
 */
const REPORT_ATTEMPTS = 8;

class DetailsKeptChangingError extends Error {
  constructor(installationId: number) {
    super(`The details of installation ${installationId} kept changing while a delivery was applied.`);
    this.name = 'DetailsKeptChangingError';
  }
}

const expectedAsRead = (read: InstallationDetails | undefined): ExpectedDetails =>
  read ? { updatedAt: read.updatedAt } : 'absent';

/**
 * An event's details, stored unless older than what is stored (GitHub's `updated_at`). When the stored
 * details carry the same `updated_at` with another content, only GitHub knows which came last: the
 * event is stored (in order is the common case) and the reconciler, which may read the App's view
 * (this function may not), then stores GitHub's current word over it.
 * What the write changes (suspension, login, permissions) is reported in the same transaction, to every
 * account linked to the installation (docs/events.md "What GitHub reports").
 */
async function applyDetails(
  details: InstallationDetails,
  origin: EventOrigin,
  alongside: readonly TransactOperation[] = [],
): Promise<Outcome> {
  const store = installations();
  for (let attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
    const { details: read, accountIds } = await store.reportState(details.id);
    const expect = expectedAsRead(read);
    const events = installationChangeEvents(read, details, origin, accountIds).map((event) =>
      outboxOperation(event),
    );
    const writes = [...alongside, ...events];
    if (await store.applyEventDetails(details, writes, { expect })) return 'applied';
    if (await store.isAmbiguous(details)) {
      // The confirmation request is stored with what it questions: a lost confirmation is redone on schedule.
      const applied = await store.applyEventDetails(
        details,
        [...writes, store.confirmationRequest(details.id)],
        {
          sameSecond: true,
          expect,
        },
      );
      if (applied) {
        logger.info('Installation event of the same second as the stored details: confirming with GitHub', {
          installationId: details.id,
        });
        await requestRepositorySync(details.id, 'confirm');
        return 'applied';
      }
    }
    // Refused by its order (older than stored), unless the details moved since the read.
    const now = await store.getDetails(details.id);
    if (now?.updatedAt === read?.updatedAt) return 'ignored';
  }
  throw new DetailsKeptChangingError(details.id);
}

async function onInstallation(
  delivery: Extract<HandledDelivery, { kind: 'installation' }>,
  origin: EventOrigin,
): Promise<Outcome> {
  const { table } = getServices();
  const details = toDetails(delivery.installation);
  switch (delivery.action) {
    case 'deleted': {
      // Reported with the removal of the stored details, to the accounts linked before the uninstall.
      const unlinked = await installations().deleteInstallation(
        details.id,
        new Date().toISOString(),
        (_stored, accountIds) => [outboxOperation(installationDeletedEvent(details, origin, accountIds))],
      );
      await deleteInstallationTokens(table, details.id);
      logger.info('Installation deleted', { installationId: details.id, unlinkedAccounts: unlinked });
      await clearInstallationIndex(details.id);
      return 'applied';
    }
    case 'created':
    case 'unsuspend':
      return applyDetails(details, origin);
    case 'suspend':
    case 'new_permissions_accepted': {
      // Tokens minted before no longer match what the installation allows.
      const applied = await applyDetails(details, origin);
      await deleteInstallationTokens(table, details.id);
      return applied;
    }
  }
}

async function onInstallationRepositories(
  delivery: Extract<HandledDelivery, { kind: 'installation_repositories' }>,
  origin: EventOrigin,
): Promise<Outcome> {
  const details = toDetails(delivery.installation);
  const stored = await applyDetails(
    { ...details, repositorySelection: delivery.repositorySelection },
    origin,
  );
  // The index follows even when the details were older than stored (the repositories still changed).
  const indexed = await indexInstallationRepositories(details.id, delivery.added, delivery.removed);
  return stored === 'applied' || indexed ? 'applied' : 'ignored';
}

/**
 * The new login, where the installation is known, with its `installation.renamed` when the login stored
 * was another (read just before, as in applyDetails).
 */
async function renameReported(installationId: number, login: string, origin: EventOrigin): Promise<boolean> {
  const store = installations();
  for (let attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
    const { details: read, accountIds } = await store.reportState(installationId);
    if (!read) return false;
    const events = installationChangeEvents(read, { ...read, accountLogin: login }, origin, accountIds);
    const alongside = events.map((event) => outboxOperation(event));
    if (await store.renameAccount(installationId, login, { alongside, expect: expectedAsRead(read) }))
      return true;
  }
  throw new DetailsKeptChangingError(installationId);
}

async function onInstallationRenamed(
  delivery: Extract<HandledDelivery, { kind: 'installation_target.renamed' }>,
  origin: EventOrigin,
): Promise<Outcome> {
  const { installationId, accountId, login } = delivery;
  const renamed = await renameReported(installationId, login, origin);
  // A rename carries no time to order it by: a redelivered older one may have just been written, so
  // GitHub's current login is confirmed after it (the reconciler reads it as the App).
  if (renamed) await requestRepositorySync(installationId, 'confirm');
  // A personal account renamed: the signed-in user's profile shows the new login too.
  const { users } = getServices();
  const profile = delivery.targetType === 'User' ? await users.getProfile(accountId) : undefined;
  if (profile) await users.putProfile({ ...profile, login });
  return renamed || profile ? 'applied' : 'ignored';
}

/**
 * The user's token goes with its `user.authorization_revoked` (to every account the user belongs to) in
 * one transaction: reported once, when the service held the authorization; then their sessions.
 */
async function onAuthorizationRevoked(
  delivery: Extract<HandledDelivery, { kind: 'github_app_authorization.revoked' }>,
  origin: EventOrigin,
): Promise<Outcome> {
  const { users, sessions, accounts } = getServices();
  const { userId } = delivery;
  const [memberships, profile] = await Promise.all([accounts.listForUser(userId), users.getProfile(userId)]);
  const login = profile?.login ?? delivery.login ?? String(userId);
  const event = domainEvent(
    'user.authorization_revoked',
    origin,
    memberships.map((account) => account.id),
    { user: { id: userId, login } },
  );
  const reported = await users.revokeToken(userId, [outboxOperation(event)]);
  const ended = await sessions.deleteAllForUser(userId);
  logger.info('Authorization revoked: tokens and sessions removed', { userId, sessions: ended, reported });
  return 'applied';
}

/**
 * A push to a repository of an installation: `repository.pushed` to every account linked to it whose
 * link's scope includes the repository (the link twins carry the scopes: no read more), in one
 * transaction with the delivery's record. No such account: nothing to report (ignored).
 */
async function applyPush(
  delivery: PushDelivery,
  origin: EventOrigin,
  alongside: readonly TransactOperation[],
): Promise<Outcome> {
  const { installationId } = delivery;
  if (installationId === undefined) return 'ignored';
  const scopes = await installations().linkedAccountScopes(installationId);
  const accountIds = [...scopes]
    .filter(([, scope]) => inScope(scope, delivery.repository.name))
    .map(([accountId]) => accountId);
  if (accountIds.length === 0) return 'ignored';
  const event = domainEvent('repository.pushed', origin, accountIds, {
    repository: { ...delivery.repository, installationId },
    ref: delivery.ref,
    before: delivery.before,
    after: delivery.after,
    commitCount: delivery.commitCount,
    compareUrl: delivery.compareUrl,
    pusher: delivery.pusher,
  });
  await getServices().table.transactWrite([...alongside, outboxOperation(event)]);
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
export async function applyEvent(delivery: HandledDelivery, origin: EventOrigin): Promise<Outcome> {
  switch (delivery.kind) {
    case 'installation':
      return onInstallation(delivery, origin);
    case 'installation_repositories':
      return onInstallationRepositories(delivery, origin);
    case 'installation_target.renamed':
      return onInstallationRenamed(delivery, origin);
    case 'github_app_authorization.revoked':
      return onAuthorizationRevoked(delivery, origin);
    case 'repository':
      return onRepository(delivery);
    case 'push':
      // Taken in one write with the record (applyInOneWrite); under a lease, the lease records it.
      return applyPush(delivery, origin, []);
  }
}

/** Deliveries that change nothing whatever the table holds: recorded as ignored, nothing applied. */
export function changesNothing(delivery: HandledDelivery): boolean {
  return (
    (delivery.kind === 'repository' || delivery.kind === 'push') && delivery.installationId === undefined
  );
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
  origin: EventOrigin,
): Promise<Outcome> | undefined {
  const apply = (details: InstallationDetails) => applyDetails(details, origin, [record]);
  if (delivery.kind === 'installation' && (delivery.action === 'created' || delivery.action === 'unsuspend'))
    return apply(toDetails(delivery.installation));
  if (delivery.kind === 'push') return applyPush(delivery, origin, [record]);
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
