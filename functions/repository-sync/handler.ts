import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { githubActor, type EventOrigin } from '../shared/events/domain-event.js';
import { installationChangeEvents } from '../shared/events/installation-events.js';
import { getAppAuth, installationTokenSession } from '../shared/github/app-auth.js';
import {
  fetchInstallation,
  toDetails,
  type GitHubInstallation,
} from '../shared/installations/github-installations.js';
import { logger } from '../shared/logger.js';
import { count, flushMetrics, METRIC } from '../shared/metrics.js';
import { requestRepositorySync, type RepositorySyncRequest } from '../shared/repositories/request-sync.js';
import { getServices } from '../shared/services.js';
import { tracer } from '../shared/tracer.js';
import { outboxOperation } from '../shared/store/event-outbox.js';
import type { InstallationDetails } from '../shared/store/installation-store.js';
import type { SyncRunSummary } from '../shared/store/repository-sync-store.js';
import { appInstallations } from './app-installations.js';
import { syncLimits } from './limits.js';
import { SYNC_LIMITS, syncInstallation } from './sync-installation.js';

export type ScheduledEvent = EventBridgeEvent<'Scheduled Event', unknown>;
export type RepositorySyncEvent = RepositorySyncRequest | ScheduledEvent;

export type RepositorySyncResult =
  | { kind: 'installation'; installationId: number; summary: SyncRunSummary }
  | { kind: 'schedule'; requested: number }
  | { kind: 'confirm'; installationId: number; stored: boolean };

const isRequest = (event: RepositorySyncEvent): event is RepositorySyncRequest =>
  typeof (event as Partial<RepositorySyncRequest>).installationId === 'number';

/** A confirmation whose installation's details kept changing under it: left pending for the schedule. */
class ConfirmationContendedError extends Error {
  constructor(installationId: number) {
    super(`The details of installation ${installationId} kept changing while they were confirmed.`);
    this.name = 'ConfirmationContendedError';
  }
}

const CONFIRM_ATTEMPTS = 4;

/**
 * GitHub's word stored over the table's, with the events of what it changes (a suspension or login the
 * webhook stored from an event that turned out not to be the last, permissions): derived from the details
 * read just before, the write committing only over them (as the webhook does: installation-events.ts).
 * Reported as GitHub's, correlated by this invocation's request id. False when not stored (unknown,
 * deleted, or something newer was stored meanwhile).
 */
async function confirmReported(details: InstallationDetails, origin: EventOrigin): Promise<boolean> {
  const { installations } = getServices();
  for (let attempt = 1; attempt <= CONFIRM_ATTEMPTS; attempt++) {
    const { details: read, accountIds } = await installations.reportState(details.id);
    if (!read) return false;
    const alongside = installationChangeEvents(read, details, origin, accountIds).map((event) =>
      outboxOperation(event),
    );
    if (await installations.confirmDetails(details, { alongside, expect: { updatedAt: read.updatedAt } }))
      return true;
    if ((await installations.getDetails(details.id))?.updatedAt === read.updatedAt) return false;
  }
  throw new ConfirmationContendedError(details.id);
}

const confirmationOrigin = (context: Context): EventOrigin => ({
  actor: githubActor(),
  correlationId: context.awsRequestId,
});

/**
 * The installation's details as GitHub describes them now, stored over the table's (the webhook, which
 * may not read the App's key, asks for this when an event's `updated_at` ties with what is stored).
 */
async function confirmDetails(installationId: number, context: Context): Promise<RepositorySyncResult> {
  const { installations } = getServices();
  const readAt = new Date().toISOString();
  const details = await fetchInstallation(installationId);
  // Unknown to GitHub: uninstalled, and its `deleted` delivery removes what the table keeps.
  const stored = details !== undefined && (await confirmReported(details, confirmationOrigin(context)));
  await installations.settleConfirmation(installationId, readAt);
  logger.info('Installation details confirmed with GitHub', { installationId, stored });
  return { kind: 'confirm', installationId, stored };
}

/** One installation: see sync-installation.ts. A run stopped for time asks for its own continuation. */
async function syncOne(request: RepositorySyncRequest, context: Context): Promise<RepositorySyncResult> {
  const { repositoryIndex, repositorySync, github } = getServices();
  const { installationId } = request;
  logger.appendKeys({ installationId, reason: request.reason });
  const summary = await syncInstallation(installationId, {
    index: repositoryIndex,
    store: repositorySync,
    github,
    withToken: installationTokenSession(installationId, { permissions: { metadata: 'read' } }),
    remainingMs: () => context.getRemainingTimeInMillis(),
    limits: syncLimits(),
  });
  count(METRIC.repositorySyncRuns, { reason: summary.outcome });
  logger.info('Repository sync run', { ...summary });
  // Out of time with progress made: go on at once rather than at the next scheduled run.
  if (summary.outcome === 'checkpointed' && summary.stoppedBy === 'time' && summary.pages > 0)
    await requestRepositorySync(installationId, 'continue', { fromSyncFunction: true });
  return { kind: 'installation', installationId, summary };
}

/**
 * Confirmations asked for before the listing and not yet done (their asynchronous run failed or was
 * lost): GitHub's word is the listing itself, so they cost no GitHub call. An installation GitHub no
 * longer lists was uninstalled: its `deleted` delivery (or its redelivery) removes it. Returns how many.
 */
async function confirmPending(
  listed: readonly GitHubInstallation[],
  listedAt: string,
  origin: EventOrigin,
): Promise<number> {
  const { installations } = getServices();
  const pending = (await installations.pendingConfirmations()).filter(
    (request) => request.requestedAt <= listedAt,
  );
  const byId = new Map(listed.map((installation) => [installation.id, installation]));
  for (const { installationId } of pending) {
    const installation = byId.get(installationId);
    try {
      if (installation) await confirmReported(toDetails(installation), origin);
    } catch (error) {
      if (!(error instanceof ConfirmationContendedError)) throw error;
      logger.warn('Confirmation left pending: the details kept changing', { installationId });
      continue;
    }
    await installations.settleConfirmation(installationId, listedAt);
  }
  return pending.length;
}

/**
 * The schedule: one sync requested per installation of the App (each runs in its own invocation); the
 * confirmations left pending (see confirmPending); and the index of uninstalled installations that an
 * uninstall left partly cleared is cleared further, for as long as this invocation may run.
 */
async function fanOut(context: Context): Promise<RepositorySyncResult> {
  const { request } = await getAppAuth();
  const listedAt = new Date().toISOString();
  const listed = await appInstallations(request);
  const ids = listed.map((installation) => installation.id);
  for (let i = 0; i < ids.length; i += 10)
    await Promise.all(
      ids.slice(i, i + 10).map((id) => requestRepositorySync(id, 'schedule', { fromSyncFunction: true })),
    );
  const confirmed = await confirmPending(listed, listedAt, confirmationOrigin(context));
  const index = getServices().repositoryIndex;
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SYNC_LIMITS.marginMs;
  let cleared = 0;
  for (const installationId of await index.pendingClears()) {
    if (Date.now() >= deadline) break;
    cleared += (await index.clear(installationId, { deadline })).removed;
  }
  logger.info('Repository sync scheduled', {
    installations: ids.length,
    clearedItems: cleared,
    confirmedInstallations: confirmed,
  });
  return { kind: 'schedule', requested: ids.length };
}

function run(event: RepositorySyncEvent, context: Context): Promise<RepositorySyncResult> {
  if (!isRequest(event)) return fanOut(context);
  return event.reason === 'confirm' ? confirmDetails(event.installationId, context) : syncOne(event, context);
}

/**
 * The reconciler (docs/repository-index.md "Reconciler"): invoked asynchronously with an installation
 * id (first install or link, new permissions, its own continuation), or by the schedule, which fans out.
 */
export const handler: (event: RepositorySyncEvent, context: Context) => Promise<RepositorySyncResult> = middy<
  RepositorySyncEvent,
  RepositorySyncResult
>(run)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .use(tracer.handlerMiddleware())
  // A run that throws is what the repository-sync alarm watches (beside the function's Errors).
  .use({ onError: () => count(METRIC.repositorySyncFailures) });
